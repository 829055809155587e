from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RestockConfig(AppConfig):
    name = "restock"
    verbose_name = _("Demand-driven restock")
