from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    default = True
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from marketplace.schedule import install_periodic_tasks

        # After every migrate, so a new deployment gets its jobs and a new job reaches an old
        # deployment, without touching what an operator has changed.
        post_migrate.connect(install_periodic_tasks, sender=self)
