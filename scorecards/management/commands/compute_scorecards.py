from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.formatting import suppliers_today
from marketplace.jobs import tracked_job
from scorecards.services.compute import compute_scorecards


class Command(BaseCommand):
    help = (
        "Compute every trading supplier's scorecard for a day (China's today by default) over "
        "the last SCORECARD_WINDOW_DAYS, as beat does nightly; --backfill N also the N days "
        "before it, oldest first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="The China date, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--backfill", type=int, default=0, help="Also compute this many earlier days."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else suppliers_today()
        except ValueError as exc:
            raise CommandError(f"--day: {exc}") from exc
        if day > suppliers_today():
            raise CommandError("--day: a scorecard cannot be computed for a future day.")
        if not 0 <= options["backfill"] <= 366:
            raise CommandError("--backfill: between 0 and 366 days.")
        for back in range(options["backfill"], -1, -1):
            with tracked_job("scorecards", bar=options["verbosity"] > 0) as job:
                run = compute_scorecards(day=day - timedelta(days=back), job=job)
                job.summary = str(run)
            self.stdout.write(str(run))
