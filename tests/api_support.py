"""What every API test does: call with a key, check the one error body, walk cursor pages."""

from __future__ import annotations

from rest_framework.test import APIClient


def bearer(plain: str) -> APIClient:
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return caller


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    # A compliance gate's refusal adds the reasons (compliance.api.answer, ComplianceBlockedError).
    extra = {"reasons"} if code == "compliance_blocked" else set()
    assert set(body) == {"code", "message", "fields"} | extra
    assert body["code"] == code, body
    return body


def walk(caller: APIClient, url: str) -> list[dict]:
    """Every row of a cursor-paginated list, following `next`."""
    rows = []
    while url:
        response = caller.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


def demo_api_data(credentials_file) -> dict[str, str]:
    """The demo data (`seed_demo`), plus what the API's operations need an object of that the
    demo does not yet have (JIT orders, one of them penalised late), and an API key for the
    demo supplier Bright Toys, and one for a test lab's client: {"integrator": key, "supplier":
    key, "lab": key}. Needs DEMO_DATA=true."""
    import importlib
    import json
    from datetime import timedelta

    from django.apps import apps
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from catalogue.models import Listing
    from orders.models import Penalty
    from orders.services.sweep import sweep_jit_deadlines
    from tests.factories.accounts import supplier_token
    from tests.factories.orders import jit_order

    # The SPEC's test programmes, as migrate seeds them (the test database starts without):
    # the demo's evidence, its failed retest and the enforcement case it opens need them.
    importlib.import_module("compliance.migrations.0006_seed_required_standards").seed(apps, None)
    # The return reasons, as migrate seeds them: the demo's returns give them.
    importlib.import_module("returns.migrations.0003_seed_return_reasons").seed(apps, None)
    call_command("seed_demo", credentials_file=str(credentials_file), verbosity=0)
    owner = User.objects.get(username="bright")
    supplier_id = owner.supplier_membership.supplier_id
    listing = Listing.objects.filter(
        supplier_id=supplier_id, is_jit=True, status=Listing.Status.LIVE
    ).first()
    # The demo's own JIT orders cross their deadlines minutes after seeding; a penalty is
    # needed now.
    if listing is not None and not Penalty.objects.filter(supplier_id=supplier_id).exists():
        jit_order(listing, external_id="DEMO-JIT-1")
        jit_order(
            listing, external_id="DEMO-JIT-2", ordered_at=timezone.now() - timedelta(hours=30)
        )
        sweep_jit_deadlines()
    _demo_restock_proposal(supplier_id)
    return {
        "integrator": json.loads(credentials_file.read_text())["api_key"],
        "supplier": supplier_token(owner),
        "lab": _demo_lab_key(),
    }


def _demo_restock_proposal(supplier_id: int) -> None:
    """An open restock proposal of the demo supplier's fully-managed listing, until the demo's
    planning run makes them: the restock-proposal routes have one to answer."""
    from catalogue.models import Listing
    from restock.models import RestockProposal
    from tests.factories.restock import RestockProposalFactory

    listing = Listing.objects.filter(
        supplier_id=supplier_id, mode=Listing.Mode.FULLY_MANAGED
    ).first()
    if listing is None or RestockProposal.objects.filter(supplier_id=supplier_id).exists():
        return
    RestockProposalFactory(listing=listing, quantity=12, case_pack=6, need="10.500")


def _demo_lab_key() -> str:
    """A test lab's API client (scope labs:write), accredited for every standard: the caller
    through which labs post test records (the demo integrator holds the scope but is no lab)."""
    from datetime import date

    from accounts.models import ApiClient, Scope
    from accounts.services import api_client_create
    from compliance.models import Lab, LabAccreditation, Standard

    client, key = api_client_create(
        name="Demo test lab client",
        kind=ApiClient.Kind.LAB,
        scopes=[Scope.READ.value, Scope.LABS_WRITE.value],
        actor=None,
    )
    lab, _created = Lab.objects.get_or_create(
        name="Demo test lab", defaults={"country": "CN", "accreditation_body": "CNAS"}
    )
    Lab.objects.filter(pk=lab.pk).update(api_client=client)
    LabAccreditation.objects.bulk_create(
        LabAccreditation(lab=lab, standard=standard, valid_from=date(2020, 1, 1))
        for standard in Standard.objects.all()
    )
    return key
