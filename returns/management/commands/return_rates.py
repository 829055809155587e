from typing import Any

from django.core.management.base import BaseCommand

from marketplace.jobs import tracked_job
from returns.services.return_rate import return_rates_compute


class Command(BaseCommand):
    help = (
        "Rate every listing's returns over the last RETURN_RATE_WINDOW_DAYS and open or end "
        "its breaches (what beat runs daily)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with tracked_job("return_rates", bar=options["verbosity"] > 0) as job:
            run = return_rates_compute(progress=job)
            job.summary = str(run)
        self.stdout.write(str(run))
