from marketplace.api.pagination import CreatedCursorPagination


class OrderedCursorPagination(CreatedCursorPagination):
    """JIT orders, oldest first: the order of their deadlines (the supplier's to-ship queue)."""

    ordering = ("ordered_at", "id")


class AssessedCursorPagination(CreatedCursorPagination):
    """Penalties, newest first."""

    ordering = ("-assessed_at", "-id")
