"""Webhook pages: list, create, edit, delete, send a test, the delivery log, redeliver."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from notifications import services, vault, webhook_sweep
from notifications.forms import WebhookForm
from notifications.models import Webhook, WebhookDelivery
from sentimatrix.ownership import owned_or_404
from sentimatrix.validators import add_form_errors


def _own(request, webhook_id) -> Webhook:
    return owned_or_404(Webhook, request.user, webhook_id)


@login_required
def webhook_list(request):
    webhooks = list(services.webhooks_of(request.user))
    return render(
        request,
        "notifications/webhooks/list.html",
        {
            "webhooks": [(w, vault.has_secret(w)) for w in webhooks],
            "disabled": [w for w in webhooks if w.disabled_reason and not w.enabled],
        },
    )


def _save(request, form, webhook=None):
    """Run the service for a valid form; errors it raises go back onto the form."""
    try:
        if webhook is None:
            return services.create_webhook(request.user, **form.service_kwargs(), request=request)
        return services.update_webhook(webhook, **form.service_kwargs(), request=request)
    except ValidationError as exc:
        add_form_errors(form, exc)
        return None


def _saved_page(request, saved, created: bool):
    verb = "added" if created else "saved"
    if saved.new_secret:
        # Shown in this response only: the secret is stored encrypted and never displayed again.
        return render(
            request,
            "notifications/webhooks/secret.html",
            {"webhook": saved.webhook, "secret": saved.new_secret},
        )
    messages.success(request, f"Webhook “{saved.webhook}” {verb}.")
    return redirect("webhooks:list")


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        if saved is not None:
            return _saved_page(request, saved, created=True)
    return render(request, "notifications/webhooks/form.html", {"form": form, "webhook": None})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, webhook_id):
    webhook = _own(request, webhook_id)
    form = WebhookForm(request.POST or None, webhook=webhook)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, webhook)
        if saved is not None:
            return _saved_page(request, saved, created=False)
    return render(request, "notifications/webhooks/form.html", {"form": form, "webhook": webhook})


@login_required
@require_POST
def webhook_delete(request, webhook_id):
    webhook = _own(request, webhook_id)
    services.delete_webhook(webhook, request=request)
    messages.success(request, f"Webhook “{webhook}” deleted with its delivery log.")
    return redirect("webhooks:list")


@login_required
@require_POST
def webhook_test(request, webhook_id):
    webhook = _own(request, webhook_id)
    services.send_test(webhook)
    messages.success(request, "Test event queued. Its delivery appears below within a few seconds.")
    return redirect("webhooks:deliveries", webhook_id=webhook.pk)


@login_required
def webhook_deliveries(request, webhook_id):
    webhook = _own(request, webhook_id)
    deliveries = list(services.deliveries_of(webhook))
    return render(
        request,
        "notifications/webhooks/deliveries.html",
        {"webhook": webhook, "deliveries": deliveries, "stalled": webhook_sweep.stalled_ids(deliveries)},
    )


@login_required
@require_POST
def delivery_redeliver(request, delivery_id):
    previous = get_object_or_404(
        WebhookDelivery.objects.select_related("webhook"), pk=delivery_id, user=request.user
    )
    services.redeliver(previous)
    messages.success(request, f"{previous.get_event_display()} event queued again.")
    return redirect("webhooks:deliveries", webhook_id=previous.webhook_id)
