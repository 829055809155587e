"""Demo data for trying the three doors. Safe to run again: it finds what exists, resets the demo
passwords, and reuses the demo API key while it still works."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiClient, Scope, User
from accounts.roles import COMPLIANCE, FINANCE, OPERATORS
from accounts.services import api_client_create, api_key_authenticate, api_key_issue
from catalogue.demo import seed_catalogue
from compliance.demo import seed_audits_and_cases
from logistics.demo import seed_logistics
from logistics.services.quarantine import quarantine_for_cases
from marketplace.jobs import tracked_job
from orders.demo import seed_consumer_orders, seed_jit_orders
from portal.demo import demo_notifications_mostly_read
from restock.demo import seed_restock
from returns.demo import seed_return_rates, seed_returns
from scorecards.demo import seed_scorecards
from shipping.demo import seed_parcels
from suppliers.demo import SUPPLIERS, seed_supplier

CREDENTIALS_FILE = settings.VAR_DIR / "demo_credentials.json"
DEMO_CLIENT = "Demo storefront"


@dataclass(frozen=True)
class DemoUser:
    role: str
    username: str
    supplier: str | None = None
    group: str | None = None

    @property
    def password(self) -> str:
        return f"{self.username}-demo-2026"


STAFF = [
    DemoUser("admin", "admin"),
    DemoUser("operator", "operator", group=OPERATORS),
    DemoUser("compliance", "compliance", group=COMPLIANCE),
    DemoUser("finance", "finance", group=FINANCE),
]


class Command(BaseCommand):
    help = "Load demo users, suppliers and an integrator API key (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--credentials-file",
            default=str(CREDENTIALS_FILE),
            help="Where to write the demo logins and API key as JSON.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or os.environ.get("DEMO_DATA", "").lower() == "true"):
            # Demo logins have published passwords, a superuser among them.
            raise CommandError(
                "seed_demo creates accounts with known passwords; it runs only with DEBUG=true "
                "or DEMO_DATA=true (never on a real deployment)."
            )
        self.credentials_file = Path(options["credentials_file"])
        steps = len(STAFF) + len(SUPPLIERS) + 3
        with tracked_job("seed_demo", total=steps, bar=options["verbosity"] > 0) as job:
            credentials: list[dict[str, Any]] = []
            for demo in STAFF:
                with transaction.atomic():
                    self._staff_user(demo)
                credentials.append(self._row(demo))
                job.advance()
            operator = User.objects.get(username="operator")
            for demo_supplier in SUPPLIERS:
                owner = None
                if demo_supplier.owner:
                    demo = DemoUser("supplier", demo_supplier.owner, supplier=demo_supplier.name_en)
                    owner = self._user(demo, is_staff=False, is_superuser=False)
                    credentials.append(self._row(demo))
                seed_supplier(demo_supplier, operator=operator, owner=owner)
                job.advance()
            seed_catalogue(operator=operator)
            seed_logistics(operator=operator)
            seed_consumer_orders(operator=operator)
            seed_parcels(operator=operator)
            seed_jit_orders(actor=operator)
            seed_audits_and_cases(officer=User.objects.get(username="compliance"))
            quarantine_for_cases()
            # After the parcels' demo: the returns are of delivered parcels.
            seed_returns(operator=operator)
            # After the returns: the daily return-rate job, so the rates tab has figures.
            seed_return_rates()
            # Last of the data: the suppliers' scorecards read all of it (with ~60 days of
            # history before today's).
            seed_scorecards()
            # After the scorecards (a very poor supplier gets no proposal): the storefront's
            # demand and a planning run, so the restock pages have proposals.
            seed_restock()
            job.advance()
            api_key = self._api_key()
            job.advance()
            self.credentials_file.write_text(
                json.dumps({"users": credentials, "api_key": api_key}, ensure_ascii=False, indent=2)
            )
            job.advance()
            # Everything above made events: leave a newcomer a handful to read, not all of them.
            demo_notifications_mostly_read()
            job.summary = f"{len(credentials)} logins, {len(SUPPLIERS)} suppliers, 1 API client"
        self._print(credentials, api_key)

    @staticmethod
    def _row(demo: DemoUser) -> dict[str, Any]:
        return {
            "role": demo.role,
            "username": demo.username,
            "password": demo.password,
            "supplier": demo.supplier,
        }

    @staticmethod
    def _user(demo: DemoUser, **fields: Any) -> User:
        user, _ = User.objects.get_or_create(username=demo.username)
        for name, value in {
            "email": f"{demo.username}@demo.marketplace.localhost",
            **fields,
        }.items():
            setattr(user, name, value)
        user.set_password(demo.password)
        user.save()
        return user

    def _staff_user(self, demo: DemoUser) -> None:
        user = self._user(demo, is_staff=True, is_superuser=demo.group is None)
        user.groups.set(Group.objects.filter(name=demo.group))

    def _api_key(self) -> str:
        previous = None
        if self.credentials_file.exists():
            previous = json.loads(self.credentials_file.read_text()).get("api_key")
        client = ApiClient.objects.filter(name=DEMO_CLIENT).select_related("user").first()
        if client is None:
            _client, plain = api_client_create(
                name=DEMO_CLIENT, kind=ApiClient.Kind.STOREFRONT, scopes=Scope.values, actor=None
            )
            return plain
        ApiClient.objects.filter(pk=client.pk).update(is_active=True, scopes=Scope.values)
        if previous and (key := api_key_authenticate(previous)) and key.user_id == client.user_id:
            return str(previous)
        _key, plain = api_key_issue(user=client.user, name=f"{DEMO_CLIENT} key", actor=None)
        return plain

    def _print(self, credentials: list[dict[str, Any]], api_key: str) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for row in credentials:
            where = "/portal/" if row["role"] == "supplier" else "/admin/"
            supplier = f"  ({row['supplier']})" if row["supplier"] else ""
            self.stdout.write(
                f"  {row['role']:<10} {where:<9} {row['username']:<11} {row['password']}{supplier}"
            )
        self.stdout.write(f"  integrator API key (every scope): {api_key}")
        self.stdout.write(f"  written to {self.credentials_file}")
