from django.contrib import admin
from django.urls import include, path, register_converter

from sentimatrix import views
from sentimatrix.converters import ObjectIdConverter

register_converter(ObjectIdConverter, "oid")

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health_view, name="health"),
    path("health/db", views.health_db_view, name="health-db"),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
