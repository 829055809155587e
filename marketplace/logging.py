"""Request ids for the logs.

Each request gets an id (the caller's `X-Request-ID` when it sends a sane one, else a new one);
it is echoed in the response and added to every log record written while the request runs.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[self.header] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a response's 4xx/5xx after the middleware chain has returned; it passes
        # the request along, which carries the id.
        request = getattr(record, "request", None)
        record.request_id = request_id_var.get() or getattr(request, "request_id", None)
        return True


def bind_task_id(task_id: str | None = None, **_: object) -> None:
    """Celery `task_prerun` receiver: a task's records carry its task id as their request id."""
    request_id_var.set(task_id)


def unbind_task_id(**_: object) -> None:
    """Celery `task_postrun` receiver: the worker's own records after a task carry no id."""
    request_id_var.set(None)
