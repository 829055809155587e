"""What the proposal tests share: an open proposal of a listing with a hub to stock, its
supplier's user, an operator who may act on proposals."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from logistics.models import Warehouse
from restock.models import RestockProposal
from suppliers.models import Supplier
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import WarehouseFactory
from tests.factories.restock import RestockProposalFactory
from tests.factories.suppliers import MembershipFactory


def hub() -> Warehouse:
    return WarehouseFactory(code="gz-hub", name="Guangzhou hub", kind=Warehouse.Kind.HUB)


def proposal(
    *, capped: bool = False, supplier: Supplier | None = None, **fields: object
) -> RestockProposal:
    """An open proposal of a fully-managed live listing (of `supplier`, or a new one);
    established (uncapped) unless `capped` (a new listing: STOCKING_CAP_UNITS)."""
    hub()
    listing = fields.pop("listing", None) or ListingFactory(
        mode=Listing.Mode.FULLY_MANAGED,
        status=Listing.Status.LIVE,
        first_batch_accepted_at=None if capped else timezone.now(),
        **({"supplier": supplier} if supplier is not None else {}),
    )
    return RestockProposalFactory(listing=listing, **fields)


def member(p: RestockProposal) -> User:
    return MembershipFactory(supplier=p.supplier).user


def proposal_operator(username: str = "restock-op") -> User:
    """A staff member who may view and change proposals (the operators' role, once granted)."""
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="restock",
            codename__in=["view_restockproposal", "change_restockproposal", "view_forecast"],
        )
    )
    return User.objects.get(pk=user.pk)
