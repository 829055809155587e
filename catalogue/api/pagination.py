from marketplace.api.pagination import CreatedCursorPagination


class OpenedCursorPagination(CreatedCursorPagination):
    """Tenders, newest opened first."""

    ordering = ("-opened_at", "-id")
