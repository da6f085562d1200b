from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.settings_view, name="settings"),
    path("plans/", views.plans_view, name="plans"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<oid:key_id>/delete/", views.api_key_delete, name="api_key_delete"),
    path("api-keys/<oid:key_id>/test/", views.api_key_test, name="api_key_test"),
    path("security/", views.security_events, name="security"),
    path("data/", views.your_data, name="data"),
    path("data/export/", views.export_data, name="export_data"),
    path("data/delete/", views.delete_account, name="delete_account"),
]
