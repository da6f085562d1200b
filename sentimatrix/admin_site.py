from django.contrib import admin


class SentimatrixAdminSite(admin.AdminSite):
    site_header = "Sentimatrix Studio administration"
    site_title = "Sentimatrix Studio admin"
    index_title = "Data and users"
