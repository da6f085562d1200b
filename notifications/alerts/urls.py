"""The signed-in user's alerts across projects; mounted at ``alerts/``."""

from django.urls import path

from notifications.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("acknowledge/", views.alert_acknowledge_all, name="acknowledge_all"),
    path("<oid:alert_id>/", views.alert_detail, name="detail"),
    path("<oid:alert_id>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("<oid:alert_id>/mute/", views.alert_mute_rule, name="mute_rule"),
]
