from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.errors import DomainError
from marketplace.models import Event
from suppliers.models import SUPPLIER_MACHINE, Factory, Membership, Supplier
from suppliers.services.status import (
    Application,
    supplier_activate,
    supplier_apply,
    supplier_approve,
    supplier_reinstate,
    supplier_reject,
    supplier_request_changes,
    supplier_resubmit,
    supplier_suspend,
    supplier_terminate,
    supplier_transition,
)
from tests.factories.accounts import UserFactory
from tests.factories.suppliers import SupplierFactory, credit_code

pytestmark = pytest.mark.django_db
S = Supplier.Status

ALL_MOVES = [(a, b) for a in S.values for b in S.values if a != b]


@pytest.mark.parametrize(("current", "target"), ALL_MOVES)
def test_only_the_moves_of_the_table_are_allowed(current, target):
    supplier = SupplierFactory(status=current)
    operator = UserFactory()
    if SUPPLIER_MACHINE.allows(current, target):
        supplier_transition(supplier, target, actor=operator, reason="because")
        supplier.refresh_from_db()
        assert supplier.status == target
        event = Event.objects.get(kind="supplier.status_changed", supplier=supplier)
        assert (event.actor, event.reason) == (operator, "because")
        assert event.payload == {"from": current, "to": target}
    else:
        with pytest.raises(DomainError) as refused:
            supplier_transition(supplier, target, actor=operator, reason="because")
        assert refused.value.code == "invalid_transition"
        supplier.refresh_from_db()
        assert supplier.status == current
        assert not Event.objects.exists()


def test_moving_to_the_current_state_changes_nothing():
    supplier = SupplierFactory(status=S.ACTIVE)
    supplier_transition(supplier, S.ACTIVE, actor=None)
    assert not Event.objects.exists()


@pytest.mark.parametrize("move", [supplier_suspend, supplier_terminate])
def test_suspending_and_terminating_need_a_reason(move):
    supplier = SupplierFactory(status=S.ACTIVE)
    with pytest.raises(DomainError) as refused:
        move(supplier, actor=UserFactory(), reason="  ")
    assert refused.value.fields == {"reason": ["Required."]}


def test_the_whole_life_of_a_supplier():
    operator = UserFactory()
    supplier = SupplierFactory(status=S.APPLIED)
    supplier_approve(supplier, actor=operator)
    supplier_activate(supplier, actor=operator)
    supplier_suspend(supplier, actor=operator, reason="quality")
    supplier_reinstate(supplier, actor=operator, reason="fixed")
    supplier_terminate(supplier, actor=operator, reason="left the platform")
    history = [
        (e.payload["from"], e.payload["to"], e.reason)
        for e in Event.objects.filter(kind="supplier.status_changed").order_by("id")
    ]
    assert history == [
        ("applied", "onboarding", ""),
        ("onboarding", "active", ""),
        ("active", "suspended", "quality"),
        ("suspended", "active", "fixed"),
        ("active", "terminated", "left the platform"),
    ]


def test_reject_is_for_applications_and_reinstate_for_suspended_only():
    with pytest.raises(DomainError):
        supplier_reject(SupplierFactory(status=S.ACTIVE), actor=UserFactory(), reason="x")
    with pytest.raises(DomainError):
        supplier_reinstate(SupplierFactory(status=S.ONBOARDING), actor=UserFactory())


def application(code_number: int = 1, **changes) -> Application:
    fields = {
        "name_zh": "汕头乐玩玩具厂",
        "name_en": "Shantou Lewan Toys",
        "credit_code": credit_code(code_number),
        "contact_name": "陈先生",
        "contact_phone": "+86 754 0000 0000",
        "contact_email": "chen@lewan.example.cn",
        "intended_categories": ["toys"],
        "factories": [
            {
                "province": "Guangdong",
                "city": "Shantou",
                "address": "Chenghai 8",
                "industrial_cluster": "Chenghai toys",
            }
        ],
        "business_licence": SimpleUploadedFile(
            "licence.pdf", b"%PDF-1.4 licence", "application/pdf"
        ),
        **changes,
    }
    return Application(**fields)


def test_applying_creates_the_owner_the_supplier_and_its_factories():
    membership = supplier_apply(
        application(), username="lewan", email="chen@lewan.example.cn", password="x-long-password-1"
    )
    supplier = membership.supplier
    assert membership.role == Membership.Role.OWNER
    assert supplier.status == S.APPLIED
    assert supplier.factories.get().city == "Shantou"
    assert supplier.business_licence.name.endswith(".pdf")
    assert membership.user.check_password("x-long-password-1")
    event = Event.objects.get(kind="supplier.applied")
    assert (event.actor, event.supplier) == (membership.user, supplier)


def test_an_application_needs_a_factory_and_a_free_code_and_username():
    with pytest.raises(DomainError) as refused:
        supplier_apply(application(factories=[]), username="a", email="a@x.cn", password="p")
    assert "factories" in refused.value.fields
    supplier_apply(application(), username="first", email="a@x.cn", password="p-long-123")
    with pytest.raises(DomainError) as taken:
        supplier_apply(application(), username="second", email="b@x.cn", password="p-long-123")
    assert "credit_code" in taken.value.fields
    with pytest.raises(DomainError) as username:
        supplier_apply(application(2), username="FIRST", email="c@x.cn", password="p-long-123")
    assert "username" in username.value.fields
    assert Supplier.objects.count() == 1
    assert Factory.objects.count() == 1


def test_changes_requested_then_resubmitted():
    membership = supplier_apply(
        application(), username="lewan", email="c@x.cn", password="p-long-123"
    )
    supplier = membership.supplier
    operator = UserFactory()
    supplier_request_changes(supplier, actor=operator, comment="The licence scan is unreadable.")
    supplier.refresh_from_db()
    assert supplier.changes_requested
    assert supplier.review_comment == "The licence scan is unreadable."
    supplier_resubmit(
        supplier,
        application(
            name_en="Shantou Lewan Toys Co.",
            factories=[
                {
                    "province": "Guangdong",
                    "city": "Shantou",
                    "address": "Chenghai 9",
                    "industrial_cluster": "",
                },
                {
                    "province": "Fujian",
                    "city": "Quanzhou",
                    "address": "Jinjiang 1",
                    "industrial_cluster": "",
                },
            ],
        ),
        actor=membership.user,
    )
    supplier.refresh_from_db()
    assert not supplier.changes_requested
    assert supplier.name_en == "Shantou Lewan Toys Co."
    assert supplier.factories.count() == 2
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["supplier.applied", "supplier.changes_requested", "supplier.resubmitted"]
    with pytest.raises(DomainError):
        supplier_resubmit(supplier, application(), actor=membership.user)


def test_changes_are_asked_only_of_applications_with_a_comment():
    with pytest.raises(DomainError):
        supplier_request_changes(SupplierFactory(status=S.ACTIVE), actor=UserFactory(), comment="x")
    with pytest.raises(DomainError) as refused:
        supplier_request_changes(SupplierFactory(status=S.APPLIED), actor=UserFactory(), comment="")
    assert "reason" in refused.value.fields


def test_approving_clears_a_pending_change_request():
    supplier = SupplierFactory(status=S.APPLIED)
    supplier_request_changes(supplier, actor=UserFactory(), comment="fix it")
    supplier_approve(supplier, actor=UserFactory())
    supplier.refresh_from_db()
    assert supplier.status == S.ONBOARDING
    assert not supplier.changes_requested


def test_reject_sees_an_approval_made_meanwhile():
    supplier = SupplierFactory(status=S.APPLIED)
    stale = Supplier.objects.get(pk=supplier.pk)  # loaded before another operator approves
    supplier_approve(supplier, actor=UserFactory())
    with pytest.raises(DomainError) as refused:
        supplier_reject(stale, actor=UserFactory(), reason="incomplete")
    assert refused.value.code == "invalid_transition"
    supplier.refresh_from_db()
    assert supplier.status == S.ONBOARDING
