from django.contrib import admin
from django.urls import include, path

from sentimatrix import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health_view, name="health"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
