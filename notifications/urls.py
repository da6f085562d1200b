from django.urls import path

from notifications import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<oid:webhook_id>/edit/", views.webhook_edit, name="edit"),
    path("<oid:webhook_id>/delete/", views.webhook_delete, name="delete"),
    path("<oid:webhook_id>/test/", views.webhook_test, name="test"),
    path("<oid:webhook_id>/deliveries/", views.webhook_deliveries, name="deliveries"),
    path("deliveries/<oid:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
