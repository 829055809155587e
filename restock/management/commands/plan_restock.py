import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from marketplace.errors import DomainError
from marketplace.models import JobRun
from restock.models import PlanChunk
from restock.services.runs import plan_inline, plan_start


class Command(BaseCommand):
    help = (
        "Forecast every fully-managed listing and propose its restock (what beat runs nightly): "
        "the chunks go to the Celery workers and the bar follows them; --inline runs them here, "
        "one after another (a machine without workers)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk",
            type=int,
            default=None,
            help="Listings a chunk (default RESTOCK_CHUNK_LISTINGS).",
        )
        parser.add_argument("--inline", action="store_true", help="Run the chunks in this process.")
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="Start the run and return; its progress is in the admin's job runs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = plan_start(chunk_listings=options["chunk"], dispatch=not options["inline"])
        except DomainError as error:
            raise CommandError(f"--chunk: {error}") from error
        self.stdout.write(f"restock planning run {run.pk}: {run.total} listings")
        show = options["verbosity"] > 0
        with tqdm(
            total=run.total or 0, desc="restock_plan", unit="listing", disable=not show
        ) as bar:
            if options["inline"]:
                run = plan_inline(run, on_chunk=lambda chunk: bar.update(chunk.listings))
            elif not options["no_wait"]:
                run = self._follow(run, bar)
        run.refresh_from_db()
        if run.status != JobRun.Status.RUNNING:
            self.stdout.write(f"{run.get_status_display()}: {run.summary}")
        pending = PlanChunk.objects.filter(run=run, done_at__isnull=True).count()
        if run.status == JobRun.Status.FAILED or (options["inline"] and pending):
            raise CommandError(f"run {run.pk}: {pending} chunks not done")

    def _follow(self, run: JobRun, bar: tqdm) -> JobRun:
        """The bar follows the workers (the run's done count) until the run ends."""
        while True:
            run.refresh_from_db()
            bar.update(run.done - bar.n)
            if run.status != JobRun.Status.RUNNING:
                return run
            time.sleep(1)
