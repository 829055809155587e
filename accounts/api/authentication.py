"""`Authorization: Bearer <api key>` for integrators and supplier users."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.services import api_key_authenticate
from marketplace.api.throttling import auth_failure_record, auth_failures_wait


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, plain_key = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        # Wrong keys are counted per address: past API_AUTH_FAILURE_RATE the address is
        # answered 429 until its window ends, whatever key it sends.
        if (wait := auth_failures_wait(request)) is not None:
            raise exceptions.Throttled(wait)
        key = api_key_authenticate(plain_key.strip())
        if key is None:
            if (wait := auth_failure_record(request)) is not None:
                raise exceptions.Throttled(wait)
            raise exceptions.AuthenticationFailed(_("Invalid, revoked or inactive API key."))
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the admin (integrators) or the portal (suppliers).",
        }
