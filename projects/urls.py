from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<oid:project_id>/", views.project_detail, name="detail"),
    path("<oid:project_id>/edit/", views.project_edit, name="edit"),
    path("<oid:project_id>/delete/", views.project_delete, name="delete"),
    path("<oid:project_id>/archive/", views.project_archive, name="archive"),
    path("<oid:project_id>/pause/", views.project_pause, name="pause"),
    path("<oid:project_id>/resume/", views.project_resume, name="resume"),
    path("<oid:project_id>/save-preset/", views.save_preset, name="save_preset"),
    path("<oid:project_id>/targets/add/", views.add_target, name="add_target"),
    path("<oid:project_id>/targets/bulk/", views.bulk_add, name="bulk_add"),
    path("<oid:project_id>/targets/<oid:target_id>/pause/", views.target_pause, name="target_pause"),
    path("<oid:project_id>/targets/<oid:target_id>/edit/", views.target_edit, name="target_edit"),
]
