"""Schedule pages; mounted at ``schedules/`` with the namespace ``schedules``."""

from django.urls import path

from projects import schedule_views as views

app_name = "schedules"

urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("project/<oid:project_id>/", views.schedule_edit, name="edit"),
    path("project/<oid:project_id>/enable/", views.schedule_toggle, name="toggle"),
    path("project/<oid:project_id>/remove/", views.schedule_remove, name="remove"),
]
