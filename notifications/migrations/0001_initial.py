"""Webhooks and their deliveries move here from the scraping app, collections and all.

The models keep their collections (``webhooks``, ``webhook_deliveries``) and indexes, which the
scraping app's migrations created: this migration only tells Django's state that the models are
now this app's (``scraping.0004`` removes them from the scraping app's state), and renames the
content types that named them under scraping so admin history and permissions follow.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import django_mongodb_backend.fields
import notifications.models
from django.conf import settings
from django.db import migrations, models


MODELS = ("deliveryrequest", "deliveryresponse", "webhookstats", "webhook", "webhookdelivery")


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="notifications", model=model).exists():
            content_type.objects.filter(app_label="scraping", model=model).update(app_label="notifications")


def restore_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="scraping", model=model).exists():
            content_type.objects.filter(app_label="notifications", model=model).update(app_label="scraping")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0001_initial"),
        ("scraping", "0003_webhook_test_event"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeliveryRequest',
                    fields=[
                        ('id', django_mongodb_backend.fields.ObjectIdAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.CharField(max_length=2048)),
                        ('headers', models.JSONField(blank=True, default=dict)),
                        ('body', models.TextField(blank=True)),
                    ],
                    options={
                        'abstract': False,
                        'managed': False,
                        'default_permissions': (),
                    },
                ),
                migrations.CreateModel(
                    name='DeliveryResponse',
                    fields=[
                        ('id', django_mongodb_backend.fields.ObjectIdAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('headers', models.JSONField(blank=True, default=dict)),
                        ('body', models.TextField(blank=True)),
                        ('time_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ],
                    options={
                        'abstract': False,
                        'managed': False,
                        'default_permissions': (),
                    },
                ),
                migrations.CreateModel(
                    name='WebhookStats',
                    fields=[
                        ('id', django_mongodb_backend.fields.ObjectIdAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('total_deliveries', models.PositiveIntegerField(default=0)),
                        ('successful_deliveries', models.PositiveIntegerField(default=0)),
                        ('failed_deliveries', models.PositiveIntegerField(default=0)),
                        ('last_delivery', models.DateTimeField(blank=True, null=True)),
                        ('last_status', models.CharField(blank=True, choices=[('success', 'Success'), ('failed', 'Failed')], max_length=8)),
                    ],
                    options={
                        'abstract': False,
                        'managed': False,
                        'default_permissions': (),
                    },
                ),
                migrations.CreateModel(
                    name='Webhook',
                    fields=[
                        ('id', django_mongodb_backend.fields.ObjectIdAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.CharField(max_length=2048, validators=[django.core.validators.URLValidator(message='Enter a valid http(s) URL.', schemes=['http', 'https'])])),
                        ('events', django_mongodb_backend.fields.ArrayField(base_field=models.CharField(choices=[('job.completed', 'Job completed'), ('job.failed', 'Job failed'), ('results.new', 'New results'), ('test', 'Test')], max_length=32), default=list)),
                        ('label', models.CharField(blank=True, max_length=100)),
                        ('secret_encrypted', models.BinaryField(blank=True, null=True)),
                        ('secret_nonce', models.BinaryField(blank=True, null=True)),
                        ('secret_tag', models.BinaryField(blank=True, null=True)),
                        ('secret_key_id', models.CharField(blank=True, max_length=64)),
                        ('enabled', models.BooleanField(default=True)),
                        ('stats', django_mongodb_backend.fields.EmbeddedModelField(default=notifications.models.WebhookStats, embedded_model=notifications.models.WebhookStats)),
                        ('consecutive_failures', models.PositiveIntegerField(default=0)),
                        ('disabled_reason', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'webhooks',
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', django_mongodb_backend.fields.ObjectIdAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event', models.CharField(choices=[('job.completed', 'Job completed'), ('job.failed', 'Job failed'), ('results.new', 'New results'), ('test', 'Test')], max_length=32)),
                        ('status', models.CharField(choices=[('success', 'Success'), ('failed', 'Failed'), ('pending', 'Pending')], default='pending', max_length=8)),
                        ('request', django_mongodb_backend.fields.EmbeddedModelField(default=notifications.models.DeliveryRequest, embedded_model=notifications.models.DeliveryRequest)),
                        ('response', django_mongodb_backend.fields.EmbeddedModelField(blank=True, embedded_model=notifications.models.DeliveryResponse, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('webhook', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.webhook')),
                    ],
                    options={
                        'verbose_name_plural': 'webhook deliveries',
                        'db_table': 'webhook_deliveries',
                    },
                ),
                migrations.AddIndex(
                    model_name='webhook',
                    index=models.Index(fields=['user'], name='webhooks_user'),
                ),
                migrations.AddIndex(
                    model_name='webhook',
                    index=models.Index(fields=['enabled', 'events'], name='webhooks_enabled_events'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(fields=['webhook', '-created_at'], name='deliveries_webhook_created'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(fields=['user'], name='deliveries_user'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(fields=['status'], name='deliveries_status'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
