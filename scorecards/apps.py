from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = _("Scorecards")

    def ready(self) -> None:
        from django.core import checks

        from .checks import check_scorecard_settings

        checks.register(check_scorecard_settings)
