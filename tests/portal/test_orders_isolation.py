"""The JIT order pages read by another supplier's people: none of this supplier's orders,
waybills, defects, penalties, appeals, photos or attachments show on any page, and every address
that takes an id of this supplier's answers 404 and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Event
from orders.models import Appeal, AppealAttachment, InspectionPhoto, JitOrder, Penalty
from orders.services.orders import (
    order_declare_stockout,
    order_inspect,
    order_receive,
    order_ship,
    penalty_appeal,
)
from orders.services.sweep import sweep_jit_deadlines
from tests import isolation
from tests.factories.catalogue import ProductFactory
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, rival_member

from .test_orders import pdf, png

pytestmark = pytest.mark.django_db

SECRETS = [
    "Secret JIT Kite",
    "秘密风筝",
    "SO-SECRET-1",
    "SO-SECRET-2",
    "SF998877665544",
    "secret defect: torn sail",
    "secret stockout reason",
    "secret appeal reason",
    "secret-evidence",
]
PAGES = ["portal:orders_to_ship", "portal:orders", "portal:penalties"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def secret(db, operator):
    listing = jit_listing()
    listing.product = ProductFactory(
        owner=listing.supplier, title_en="Secret JIT Kite", title_zh="秘密风筝"
    )
    listing.save(update_fields=["product"])
    owner = MembershipFactory(supplier=listing.supplier, role="owner").user
    waiting = jit_order(listing, external_id="SO-SECRET-1")
    rejected = jit_order(
        listing, external_id="SO-SECRET-2", ordered_at=timezone.now() - timedelta(hours=30)
    )
    order_ship(rejected, waybill="SF998877665544", actor=owner)
    order_receive(rejected, quantity=2, actor=operator)
    order_inspect(rejected, accept=False, actor=operator, defect_notes="secret defect: torn sail")
    photo = InspectionPhoto.objects.create(order=rejected, image=png("secret-photo.png"))
    sweep_jit_deadlines()
    # Shipped 30 h after the order and rejected: a late penalty and a quality one.
    penalty = Penalty.objects.get(order=rejected, tier="late_24h")
    appeal = penalty_appeal(penalty, reason="secret appeal reason", actor=owner)
    attachment = AppealAttachment.objects.create(appeal=appeal, file=pdf("secret-evidence.pdf"))
    stocked_out = jit_order(listing, external_id="SO-SECRET-3")
    order_declare_stockout(stocked_out, reason="secret stockout reason", actor=owner)
    return {
        "owner": owner,
        "waiting": waiting,
        "rejected": rejected,
        "photo": photo,
        "penalty": penalty,
        "unappealed": Penalty.objects.get(order=rejected, tier="quality"),
        "attachment": attachment,
    }


@pytest.fixture(params=RIVAL_ROLES)
def rival(request, db):
    """Another supplier's owner or clerk, with JIT orders of its own."""
    listing = jit_listing()
    jit_order(listing, external_id="SO-RIVAL")
    return rival_member(request.param, listing.supplier)


def leaked(response) -> list[str]:
    return isolation.leaked(response, SECRETS)


@pytest.mark.parametrize("name", PAGES)
def test_another_supplier_never_sees_this_suppliers_orders(client, secret, rival, name):
    client.force_login(rival)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert leaked(response) == [], name


@pytest.mark.parametrize("name", PAGES)
def test_the_markers_show_to_the_supplier_itself(client, secret, name):
    client.force_login(secret["owner"])
    assert leaked(client.get(reverse(name)))


def test_filters_do_not_reach_another_supplier(client, secret, rival):
    client.force_login(rival)
    for query in ({"status": "rejected_quality"}, {"status": "awaiting_shipment"}):
        assert leaked(client.get(reverse("portal:orders"), query)) == []


def id_requests(secret):
    waiting, rejected = secret["waiting"], secret["rejected"]
    penalty, photo, attachment = secret["penalty"], secret["photo"], secret["attachment"]
    packing = reverse("portal:orders_packing_list")
    return [
        ("get", reverse("portal:order_detail", args=[waiting.pk]), {}),
        ("get", reverse("portal:order_detail", args=[rejected.pk]), {}),
        ("post", reverse("portal:order_stockout", args=[waiting.pk]), {"reason": "taken"}),
        ("get", reverse("portal:order_photo", args=[rejected.pk, photo.pk]), {}),
        ("get", reverse("portal:penalty_detail", args=[penalty.pk]), {}),
        (
            "post",
            reverse("portal:penalty_detail", args=[secret["unappealed"].pk]),
            {"reason": "mine now", "attachments": [pdf()]},
        ),
        ("get", reverse("portal:penalty_attachment", args=[penalty.pk, attachment.pk]), {}),
        ("get", packing + f"?ids={waiting.pk}", {}),
        (
            "post",
            reverse("portal:orders_to_ship"),
            {"ids": [waiting.pk], f"waybill_{waiting.pk}": "SF123456789012"},
        ),
    ]


def state():
    return (
        list(JitOrder.objects.values_list("pk", "status", "waybill").order_by("pk")),
        list(Penalty.objects.values_list("pk", "status").order_by("pk")),
        list(Appeal.objects.values_list("pk", flat=True)),
        list(AppealAttachment.objects.values_list("pk", flat=True)),
        Event.objects.count(),
    )


def test_every_id_of_this_supplier_is_a_404_for_another(client, secret, rival):
    client.force_login(rival)
    assert_ids_are_404(client, id_requests(secret), state=state, secrets=SECRETS)


def test_shipping_mixes_of_own_and_foreign_orders_ship_nothing(client, secret, rival):
    """One id of another supplier among one's own: a 404, and one's own order stays put."""
    own = JitOrder.objects.get(external_id="SO-RIVAL")
    client.force_login(rival)
    before = state()
    response = client.post(
        reverse("portal:orders_to_ship"),
        {
            "ids": [own.pk, secret["waiting"].pk],
            f"waybill_{own.pk}": "SF123456789012",
            f"waybill_{secret['waiting'].pk}": "SF123456789013",
        },
    )
    assert response.status_code == 404
    assert state() == before
    packing = reverse("portal:orders_packing_list")
    assert client.get(packing, {"ids": f"{own.pk},{secret['waiting'].pk}"}).status_code == 404


def test_a_photo_or_attachment_under_another_id_is_a_404(client, secret):
    """The owning order or penalty is part of the address: another of the supplier's own ids
    does not reach the file."""
    client.force_login(secret["owner"])
    photo, attachment = secret["photo"], secret["attachment"]
    waiting, penalty = secret["waiting"], secret["penalty"]
    assert client.get(reverse("portal:order_photo", args=[waiting.pk, photo.pk])).status_code == 404
    url = reverse("portal:penalty_attachment", args=[secret["unappealed"].pk, attachment.pk])
    assert client.get(url).status_code == 404
    url = reverse("portal:penalty_attachment", args=[penalty.pk, attachment.pk])
    assert client.get(url).status_code == 200
    own = reverse("portal:order_photo", args=[secret["rejected"].pk, photo.pk])
    assert client.get(own).status_code == 200


def test_unknown_ids_are_404(client, secret):
    client.force_login(secret["owner"])
    for name in ("order_detail", "penalty_detail"):
        assert client.get(reverse(f"portal:{name}", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["operator", "compliance_officer", "finance_user"])
def test_staff_get_403_on_the_order_pages(client, request, role):
    client.force_login(request.getfixturevalue(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
