"""Writes the list of event kinds in docs/webhooks.md from marketplace/event_kinds.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.event_kinds import with_kinds_section

DOC = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


class Command(BaseCommand):
    help = "Rewrite the event kinds section of docs/webhooks.md from the code's own list."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail when the document is not what this command would write.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = DOC.read_text(encoding="utf-8")
        try:
            wanted = with_kinds_section(current)
        except ValueError as error:
            raise CommandError(f"{DOC}: {error}") from None
        if wanted == current:
            self.stdout.write("docs/webhooks.md is up to date.")
            return
        if options["check"]:
            raise CommandError(
                "docs/webhooks.md lists other event kinds than the code: run "
                "`python manage.py webhook_docs`."
            )
        DOC.write_text(wanted, encoding="utf-8")
        self.stdout.write("docs/webhooks.md rewritten.")
