from django.urls import path

from scraping import views

app_name = "jobs"
urlpatterns = [
    path("project/<oid:project_id>/", views.job_list, name="list"),
    path("<oid:job_id>/", views.job_detail, name="detail"),
    path("<oid:job_id>/progress/", views.job_progress, name="progress"),
    path("<oid:job_id>/cancel/", views.job_cancel, name="cancel"),
]
