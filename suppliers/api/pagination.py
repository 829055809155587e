from marketplace.api.pagination import CreatedCursorPagination


class PostedCursorPagination(CreatedCursorPagination):
    """Ledger entries, newest posting first."""

    ordering = ("-posted_at", "-id")
