from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sentimatrix import health


@require_GET
def home(request):
    """The landing page for visitors; signed-in users go straight to their projects."""
    if request.user.is_authenticated:
        return redirect("projects:list")
    return render(request, "home.html")


def _is_staff(request) -> bool:
    return request.user.is_authenticated and request.user.is_active and request.user.is_staff


@never_cache
@require_GET
def health_view(request):
    report = health.overall() if _is_staff(request) else health.public_status()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@never_cache
@require_GET
def health_db_view(request):
    """Collection counts and the server version for staff; up or down for everyone else."""
    report = health.database_report() if _is_staff(request) else health.public_database_report()
    return JsonResponse(report, status=200 if report["connected"] else 503)
