from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "backoffice.admin_site.BackOfficeAdminSite"


class BackofficeConfig(AppConfig):
    default = True
    name = "backoffice"
