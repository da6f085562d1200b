"""The unsubscribe page of report recipients (no account), mounted at ``reports/unsubscribe/``."""

from django.urls import path

from notifications.reports import views

app_name = "reports_unsubscribe"

urlpatterns = [
    path("<str:token>/", views.report_unsubscribe, name="unsubscribe"),
]
