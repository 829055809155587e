"""Guards in front of every view.

- `RejectNulMiddleware`: a NUL character in the path, the query string or a form post is a 400
  (PostgreSQL refuses NUL in text, so any search box, filter or reason reaching the database
  would be a 500).
- `ApiErrorsAsJsonMiddleware`: every error under /api/ has the API's error body, also the ones
  Django answers itself (an unknown address or an unexpected error with DEBUG on, a CSRF
  failure, a suspicious request), which would otherwise be HTML pages.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults

from marketplace.api.exceptions import error_body

API_PREFIX = "/api/"

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
    500: "server_error",
}
_MESSAGES = {
    400: gettext_lazy("The request could not be understood."),
    403: gettext_lazy("You may not do this."),
    404: gettext_lazy("No API endpoint at this address."),
    405: gettext_lazy("This method is not allowed here."),
}
# Headers of the original response that still hold for the JSON one.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _nul_parameter(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    sources = [request.GET]
    # Form posts of the admin and the portal (a reason, a note typed into a box); the API reads
    # JSON only, and its parser refuses NUL itself.
    if request.method == "POST" and not is_api(request):
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name:
                return "query"
            if any("\x00" in value for value in values):
                return name
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _nul_parameter(request)
        if name is None:
            return self.get_response(request)
        message = _("NUL characters are not allowed.")
        if is_api(request):
            return JsonResponse(
                error_body("invalid", f"{name}: {message}", {name: [message]}), status=400
            )
        return defaults.bad_request(request, ValueError(message))


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code = _CODES.get(status, "error")
        if status >= 500:
            message = _("An unexpected error occurred; it has been logged.")
        else:
            message = str(_MESSAGES.get(status, response.reason_phrase))
        replacement = JsonResponse(error_body(code, message), status=status)
        for header in _KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement
