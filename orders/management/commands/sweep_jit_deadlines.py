from typing import Any

from django.core.management.base import BaseCommand

from marketplace.jobs import tracked_job
from orders.services.sweep import sweep_jit_deadlines


class Command(BaseCommand):
    help = "Assess the JIT penalties and send the reminders due now (what beat runs every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        with tracked_job("sweep_jit_deadlines") as job:
            result = sweep_jit_deadlines()
            job.advance(result.penalties + result.reminders)
            job.summary = str(result)
        self.stdout.write(str(result))
