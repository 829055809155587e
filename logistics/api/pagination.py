from marketplace.api.pagination import CreatedCursorPagination


class IssuedCursorPagination(CreatedCursorPagination):
    """Stocking orders, newest issued first."""

    ordering = ("-issued_at", "-id")


class PositionCursorPagination(CreatedCursorPagination):
    """Stock positions by listing, then warehouse (a listing sits in a few warehouses at most)."""

    ordering = ("listing_id", "warehouse_id")


class SlotCursorPagination(CreatedCursorPagination):
    """Pickup slots, soonest first."""

    ordering = ("date", "id")


class OfferedCursorPagination(CreatedCursorPagination):
    """Overstock offers, newest first."""

    ordering = ("-offered_at", "-id")
