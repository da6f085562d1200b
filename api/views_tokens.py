"""The access-token settings page: list, create (the token is shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from api import tokens
from api.forms import TokenForm
from api.models import ApiToken
from sentimatrix.ownership import owned_or_404
from sentimatrix.refusals import Refused


def _page(request, form, new_token=None, new_value=None, status=200):
    listed = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": listed,
            "now": timezone.now(),
            "new_token": new_token,
            "new_value": new_value,
            "max_active": tokens.MAX_ACTIVE_TOKENS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, value = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.expires_in_days(),
                request=request,
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered in this response only: the token is stored as a hash and never shown again.
            response = _page(request, TokenForm(), new_token=token, new_value=value)
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, form, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def token_revoke(request, token_id):
    token = owned_or_404(ApiToken, request.user, token_id)
    token.user = request.user
    if tokens.revoke_token(token, request=request):
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    return redirect("api:tokens")
