from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit, data, key_check, vault
from accounts.forms import ApiKeyForm, DeleteAccountForm, ProfileForm, preset_choices
from accounts.models import ApiKey, AuditLog
from accounts.plan_change import upgrade_url
from accounts.usage import plan_overview, usage_bars
from sentimatrix.ownership import owned_or_404


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    form = ProfileForm(
        request.POST or None, instance=request.user, preset_choices=preset_choices(request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your settings were saved.")
        return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "usage": usage_bars(request.user), "plan": request.user.get_plan()},
    )


@login_required
@require_GET
def plans_view(request):
    """Every plan's limits beside the signed-in user's own usage, and how to change plan."""
    plans, rows = plan_overview(request.user)
    return render(
        request,
        "accounts/plans.html",
        {"plans": plans, "rows": rows, "plan": request.user.get_plan(), "upgrade_url": upgrade_url()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = vault.store_key(
            request.user,
            provider=form.cleaned_data["provider"],
            name=form.cleaned_data["name"],
            plaintext=form.cleaned_data["key"],
            base_url=form.cleaned_data["base_url"],
        )
        audit.record("api_key.create", request=request, key=key.name, provider=key.provider)
        messages.success(request, f"Key “{key.name}” saved as {key.masked_key}. It will not be shown again.")
        return redirect("accounts:api_keys")
    keys = ApiKey.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/api_keys.html", {"form": form, "keys": keys})


def _own_key(request, key_id) -> ApiKey:
    return owned_or_404(ApiKey, request.user, key_id)


@login_required
@require_POST
def api_key_delete(request, key_id):
    key = _own_key(request, key_id)
    audit.record("api_key.delete", request=request, key=key.name, provider=key.provider)
    key.delete()
    messages.success(request, f"Key “{key.name}” deleted.")
    return redirect("accounts:api_keys")


@login_required
@require_POST
def api_key_test(request, key_id):
    result = key_check.check_key(_own_key(request, key_id), request=request)
    level = {True: messages.SUCCESS, False: messages.ERROR, None: messages.WARNING}[result.valid]
    messages.add_message(request, level, result.message)
    return redirect("accounts:api_keys")


@login_required
def security_events(request):
    events = AuditLog.objects.filter(user=request.user).order_by("-created_at")[:200]
    rows = [(event, audit.EVENTS.get(event.event_type, event.event_type)) for event in events]
    return render(request, "accounts/security.html", {"events": rows})


@login_required
def your_data(request):
    return render(
        request,
        "accounts/data.html",
        {"counts": data.export_size_hint(request.user), "delete_form": DeleteAccountForm(user=request.user)},
    )


@login_required
@require_POST
def export_data(request):
    # A POST with its CSRF token: a link or an image on another site cannot make a signed-in
    # browser produce (and audit) an export.
    audit.record("data.export", request=request, scope="account")
    response = StreamingHttpResponse(data.export_user_data(request.user), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{data.export_filename(request.user)}"'
    return response


@login_required
@require_POST
def delete_account(request):
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request,
            "accounts/data.html",
            {"counts": data.export_size_hint(request.user), "delete_form": form},
            status=400,
        )
    user = request.user
    removed = data.erase_user(user)
    audit.record("account.delete", request=request, user=user, removed=removed)
    logout(request)
    messages.success(request, "Your account and all its data were deleted.")
    return redirect("home")
