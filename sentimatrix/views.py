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


@never_cache
@require_GET
def health_view(request):
    report = health.overall()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@never_cache
@require_GET
def health_db_view(request):
    report = health.database_report()
    return JsonResponse(report, status=200 if report["connected"] else 503)
