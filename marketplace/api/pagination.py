from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Stable pages over lists that grow without bound: newest first, by creation then id."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500
