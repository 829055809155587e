from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.exceptions import error_body

# --- The index and unknown addresses ----------------------------------------------------------


def _collection_routes(patterns: list[Any], prefix: str = "") -> list[str]:
    """The routes below /api/v1/ without a path parameter: the resources and their actions on
    the whole collection, found from the URL configuration so the index cannot drift."""
    routes: list[str] = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _collection_routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            full = prefix + route
            if full and "<" not in full:
                routes.append(full)
    return routes


class IndexEntryOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The resource, e.g. `jit-orders`.")
    url = serializers.URLField()


class IndexOutput(serializers.Serializer):
    resources = IndexEntryOutput(many=True)
    schema = serializers.URLField(help_text="The OpenAPI 3.1 schema of this API.")
    docs = serializers.URLField(help_text="The same, as browsable documentation.")


class ApiIndexApi(APIView):
    """Every resource of the API with its URL (those with an id in their address, such as
    `jit-orders/{id}/`, are listed in the schema), and where the schema and its documentation
    are. Needs no key."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_index",
        summary="List the resources of the API",
        responses={200: IndexOutput},
    )
    def get(self, request: Request) -> Response:
        base = reverse("api-index")
        # By name, as the root URLconf includes it: this view is one of its patterns.
        patterns = get_resolver("marketplace.api.urls").url_patterns
        routes = sorted(set(_collection_routes(patterns)))
        data = {
            "resources": [
                {"name": route.rstrip("/"), "url": request.build_absolute_uri(base + route)}
                for route in routes
            ],
            "schema": request.build_absolute_uri(reverse("api-schema")),
            "docs": request.build_absolute_uri(reverse("api-docs")),
        }
        return Response(IndexOutput(data).data)


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def api_not_found(request: Request, path: str = "") -> Response:
    """An address under /api/v1/ that names no endpoint: a JSON 404 (Django's own page would be
    HTML, and without the trailing slash a redirect that drops a POST's body)."""
    message = str(_("No API endpoint at this address."))
    target = request.path + "/"
    if not request.path.endswith("/"):
        with suppress(Resolver404):
            if resolve(target).url_name != "api-not-found":
                message = str(_("No API endpoint at this address; did you mean %(path)s?")) % {
                    "path": target
                }
    return Response(error_body("not_found", message), status=404)
