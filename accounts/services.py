"""Issuing, revoking and checking API keys; creating integrator clients."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace.errors import DomainError, ErrorKind

from .models import SUPPLIER_SCOPES, ApiClient, ApiKey, Scope, User


def _new_plain_key() -> tuple[str, str]:
    lookup = secrets.token_hex(6)
    return lookup, f"{ApiKey.PREFIX}_{lookup}_{secrets.token_urlsafe(32)}"


def api_key_issue(*, user: User, name: str, actor: User | None) -> tuple[ApiKey, str]:
    """Make a key for `user`. The plain key is returned once and never stored."""
    if user.is_staff or not (hasattr(user, "api_client") or hasattr(user, "supplier_membership")):
        raise DomainError(
            "not_api_user",
            _("API keys are issued to integrator clients and supplier users only."),
            fields={"user": [_("Keys are for integrator accounts and supplier users, not staff.")]},
            kind=ErrorKind.INVALID,
        )
    lookup, plain = _new_plain_key()
    key = ApiKey.objects.create(
        user=user, name=name, lookup=lookup, key_hash=ApiKey.hash(plain), created_by=actor
    )
    return key, plain


def api_key_revoke(*, key: ApiKey, actor: User | None) -> ApiKey:
    """Revoke a key; the next request made with it is refused. Revoking twice is harmless."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    key.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return key


LOOKUP = re.compile(r"^[0-9a-f]{12}$")


def api_key_authenticate(plain_key: str) -> ApiKey | None:
    """The live key matching `plain_key`, or None. Records when the key was last used.

    A key works while it is not revoked, its user is active, and the user is still an active
    integrator's account or a member of a supplier that is not terminated."""
    try:
        prefix, lookup, _secret = plain_key.split("_", 2)
    except ValueError:
        return None
    if prefix != ApiKey.PREFIX or not LOOKUP.match(lookup):
        return None
    key = (
        ApiKey.objects.select_related("user__api_client", "user__supplier_membership__supplier")
        .filter(lookup=lookup, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None or not secrets.compare_digest(key.key_hash, ApiKey.hash(plain_key)):
        return None
    client = getattr(key.user, "api_client", None)
    membership = getattr(key.user, "supplier_membership", None)
    if client is not None:
        if not client.is_active:
            return None
    elif membership is None or membership.supplier.status == "terminated":
        return None
    now = timezone.now()
    stale_before = now - settings.API_KEY_LAST_USED_RESOLUTION
    if key.last_used_at is None or key.last_used_at < stale_before:
        # Conditional, so concurrent requests write once and no request waits on a row lock.
        ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gte=stale_before).update(
            last_used_at=now
        )
        key.last_used_at = now
    return key


def scopes_for_user(user: User) -> frozenset[str]:
    """What the API lets this user do: an integrator its client's scopes, a supplier member the
    supplier scopes, a staff member reading."""
    client = getattr(user, "api_client", None)
    if client is not None:
        return frozenset(client.scopes) if client.is_active else frozenset()
    if hasattr(user, "supplier_membership"):
        return SUPPLIER_SCOPES
    if user.is_staff:
        finance = user.has_perm("suppliers.add_ledgerentry")
        return frozenset({Scope.READ.value, *([Scope.FINANCE_WRITE.value] if finance else [])})
    return frozenset()


def _validate_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = list(dict.fromkeys(scopes))
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise DomainError(
            "unknown_scope",
            _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)},
            fields={"scopes": [_("Choose from %(scopes)s.") % {"scopes": ", ".join(Scope.values)}]},
            kind=ErrorKind.INVALID,
        )
    return scopes


@transaction.atomic
def api_client_create(
    *,
    name: str,
    kind: str,
    scopes: Iterable[str],
    actor: User | None,
    contact_email: str = "",
) -> tuple[ApiClient, str]:
    """Register an integrator with its service account and a first key (returned in plain)."""
    scopes = _validate_scopes(scopes)
    base = f"api-{slugify(name)[:100] or 'client'}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User.objects.create_user(username=username, password=None)
    client = ApiClient.objects.create(
        name=name, kind=kind, scopes=scopes, contact_email=contact_email, user=user
    )
    _key, plain = api_key_issue(user=user, name=f"{name} key 1", actor=actor)
    return client, plain
