"""Webhooks: list, create, read, edit, delete and their deliveries."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import serializers as s
from api.pagination import KeysetPagination
from api.views.base import ApiView
from notifications import services as webhook_services
from notifications.models import Webhook, WebhookDelivery
from sentimatrix.ownership import owned_or_404


def own_webhook(request, webhook_id) -> Webhook:
    return owned_or_404(Webhook, request.user, webhook_id)


def _webhook_refused(exc: DjangoValidationError):
    # The service names fields, except for the URL check, which raises a plain message.
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"url": exc.messages})


def _saved(saved, created: bool):
    saved.webhook.secret = saved.new_secret
    return Response(
        s.WebhookSavedSerializer(saved.webhook).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class WebhookListView(ApiView):
    """Your webhooks; add one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.WebhookSerializer(many=True))
    def get(self, request):
        return self.paged(Webhook.objects.filter(user_id=request.user.pk), s.WebhookSerializer)

    @extend_schema(request=s.WebhookInputSerializer, responses={201: s.WebhookSavedSerializer})
    def post(self, request):
        """Add a webhook; a generated signing secret is in this response only."""
        given = s.WebhookInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            saved = webhook_services.create_webhook(
                request.user,
                url=data["url"],
                events=data["events"],
                label=data["label"],
                enabled=data["enabled"],
                secret_mode=data.get("secret_mode", webhook_services.SecretMode.GENERATE),
                custom_secret=data.get("custom_secret", ""),
                request=request,
            )
        except DjangoValidationError as exc:
            raise _webhook_refused(exc) from exc
        return _saved(saved, created=True)


class WebhookDetailView(ApiView):
    """One webhook."""

    @extend_schema(responses=s.WebhookSerializer)
    def get(self, request, webhook_id):
        return Response(s.WebhookSerializer(own_webhook(request, webhook_id)).data)

    @extend_schema(request=s.WebhookPatchSerializer, responses=s.WebhookSavedSerializer)
    def patch(self, request, webhook_id):
        """Change a webhook; fields left out keep their values (and the secret is kept)."""
        webhook = own_webhook(request, webhook_id)
        given = s.WebhookPatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            saved = webhook_services.update_webhook(
                webhook,
                url=data.get("url", webhook.url),
                events=data.get("events", webhook.events),
                label=data.get("label", webhook.label),
                enabled=data.get("enabled", webhook.enabled),
                secret_mode=data.get("secret_mode", webhook_services.SecretMode.KEEP),
                custom_secret=data.get("custom_secret", ""),
                request=request,
            )
        except DjangoValidationError as exc:
            raise _webhook_refused(exc) from exc
        return _saved(saved, created=False)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        """Delete the webhook and its delivery log."""
        webhook = own_webhook(request, webhook_id)
        webhook_services.delete_webhook(webhook, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(ApiView):
    """A webhook's deliveries."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.DeliverySerializer(many=True))
    def get(self, request, webhook_id):
        """The webhook's delivery log (kept 7 days), newest first."""
        webhook = own_webhook(request, webhook_id)
        return self.paged(WebhookDelivery.objects.filter(webhook_id=webhook.pk), s.DeliverySerializer)
