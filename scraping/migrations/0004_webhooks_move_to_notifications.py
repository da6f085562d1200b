"""Webhooks and their deliveries are the notifications app's now (``notifications.0001``): they
leave the scraping app's state; their collections stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scraping", "0003_webhook_test_event"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="webhook", name="user"),
                migrations.RemoveField(model_name="webhookdelivery", name="webhook"),
                migrations.RemoveField(model_name="webhookdelivery", name="user"),
                migrations.DeleteModel(name="DeliveryRequest"),
                migrations.DeleteModel(name="DeliveryResponse"),
                migrations.DeleteModel(name="WebhookStats"),
                migrations.DeleteModel(name="Webhook"),
                migrations.DeleteModel(name="WebhookDelivery"),
            ],
            database_operations=[],
        ),
    ]
