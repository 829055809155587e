"""Certificates and declarations of conformity: uploaded by the supplier in the portal or typed in
by a compliance officer, `unverified` until an officer checks them with the issuer (how: the
issuer's register, the issuer's confirmation, the document), then verified or rejected with a
reason. The CPSC eFiling data they carry stays editable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.selectors import supplier_id_for

from ..models import CERTIFICATE_MACHINE, Certificate, Lab, Standard, product_model
from .expiry import refresh_after_record
from .labs import pdf_checked

Status = Certificate.Status
CHANGE_PERMISSION = "compliance.change_certificate"
ADD_PERMISSION = "compliance.add_certificate"

# What the eFiling form edits (Certificate.EFILING_FIELDS, the lab as `test_lab`).
EFILING_TEXT = ("rules_cited", "certifier", "manufactured_at", "last_tested_at", "records_keeper")
EFILING_DATES = ("manufactured_on", "last_tested_on")


@dataclass(frozen=True)
class CertificateIn:
    supplier_id: int
    kind: str
    issuer: str
    number: str
    issued_on: date
    valid_until: date
    product_ids: Sequence[int]
    standards: Sequence[Standard]
    scope: str = ""
    file: Any = None
    # eFiling: {name: value} among EFILING_TEXT, EFILING_DATES and "test_lab" (a Lab or None).
    efiling: dict[str, Any] = field(default_factory=dict)


def _efiling_checked(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name in EFILING_TEXT:
            text = (value or "").strip()
            limit = getattr(Certificate._meta.get_field(name), "max_length", None)
            if limit and len(text) > limit:
                raise invalid_input(
                    "invalid_certificate", name, _("At most %(n)d characters.") % {"n": limit}
                )
            clean[name] = text
        elif name in EFILING_DATES:
            clean[name] = value
        elif name == "test_lab":
            if value is not None and not isinstance(value, Lab):
                raise invalid_input("invalid_certificate", name, _("No such lab."))
            clean[name] = value
        else:
            raise invalid_input("invalid_certificate", name, _("Not an eFiling field."))
    manufactured, tested = clean.get("manufactured_on"), clean.get("last_tested_on")
    today = timezone.localdate()
    for name in ("manufactured_on", "last_tested_on"):
        day = clean.get(name)
        if day is not None and day > today:
            raise invalid_input("dates_out_of_order", name, _("This date is in the future."))
    if manufactured and tested and tested < manufactured:
        raise invalid_input(
            "dates_out_of_order", "last_tested_on", _("The last test is before manufacture.")
        )
    return clean


def _check(data: CertificateIn) -> None:
    if data.kind not in Certificate.Kind.values:
        raise invalid_input("invalid_certificate", "kind", _("Not a kind of certificate."))
    if not data.issuer.strip():
        raise invalid_input("invalid_certificate", "issuer", _("Name the issuer."))
    if not data.number.strip():
        raise invalid_input("invalid_certificate", "number", _("Give the certificate's number."))
    if data.valid_until < data.issued_on:
        raise invalid_input(
            "dates_out_of_order",
            "valid_until",
            _("A certificate cannot expire before it was issued."),
        )
    if data.issued_on > timezone.localdate():
        raise invalid_input(
            "dates_out_of_order", "issued_on", _("The issue date is in the future.")
        )
    if not data.product_ids:
        raise invalid_input("invalid_certificate", "products", _("Choose the products it covers."))
    found = set(
        product_model()
        .objects.filter(pk__in=list(data.product_ids))
        .filter(Q(owner_id=data.supplier_id) | Q(listings__supplier_id=data.supplier_id))
        .values_list("pk", flat=True)
    )
    if found != set(data.product_ids):
        raise invalid_input("unknown_product", "products", _("No such product of this supplier."))
    if not data.standards:
        raise invalid_input(
            "invalid_certificate", "standards", _("Choose the standards it covers.")
        )


def _create(data: CertificateIn, *, actor: User) -> Certificate:
    _check(data)
    efiling = _efiling_checked(data.efiling)
    sha256 = pdf_checked(data.file, field="file") if data.file is not None else ""
    taken = invalid_input(
        "certificate_number_taken",
        "number",
        _("This issuer's certificate %(number)s is already recorded.")
        % {"number": data.number.strip()},
        kind=ErrorKind.CONFLICT,
    )
    if Certificate.objects.filter(issuer=data.issuer.strip(), number=data.number.strip()).exists():
        raise taken
    try:
        with transaction.atomic():
            certificate = Certificate(
                supplier_id=data.supplier_id,
                kind=data.kind,
                issuer=data.issuer.strip(),
                number=data.number.strip(),
                scope=data.scope.strip(),
                issued_on=data.issued_on,
                valid_until=data.valid_until,
                file_sha256=sha256,
                recorded_by=actor,
                recorded_at=timezone.now(),
                **efiling,
            )
            if data.file is not None:
                data.file.seek(0)
                certificate.file.save(
                    getattr(data.file, "name", "") or "certificate.pdf", data.file, save=False
                )
            certificate.save()
            certificate.products.set(list(data.product_ids))
            certificate.standards.set(list(data.standards))
            record_event(
                "compliance.certificate_recorded",
                actor=actor,
                supplier_id=certificate.supplier_id,
                subject=certificate,
                payload={
                    "certificate": certificate.pk,
                    "kind": certificate.kind,
                    "number": certificate.number,
                },
            )
    except IntegrityError:
        raise taken from None
    return certificate


def certificate_upload(data: CertificateIn, *, actor: User) -> Certificate:
    """The supplier uploads a certificate (its PDF required); unverified until an officer
    checks it."""
    supplier_id = supplier_id_for(actor)
    if supplier_id is None or supplier_id != data.supplier_id:
        raise DomainError(
            "forbidden",
            _("A supplier uploads its own certificates only."),
            kind=ErrorKind.FORBIDDEN,
        )
    if data.file is None:
        raise invalid_input("invalid_certificate", "file", _("Attach the certificate (PDF)."))
    return _create(data, actor=actor)


def certificate_enter(data: CertificateIn, *, actor: User) -> Certificate:
    """A compliance officer types in a certificate (the PDF when there is one)."""
    if supplier_id_for(actor) is not None or not actor.has_perm(ADD_PERMISSION):
        raise DomainError(
            "forbidden",
            _("Only compliance officers enter certificates."),
            kind=ErrorKind.FORBIDDEN,
        )
    return _create(data, actor=actor)


def _require_officer(actor: User) -> None:
    if supplier_id_for(actor) is not None or not actor.has_perm(CHANGE_PERMISSION):
        raise DomainError(
            "forbidden",
            _("Only compliance officers check certificates."),
            kind=ErrorKind.FORBIDDEN,
        )


def _method_checked(method: str) -> str:
    if method not in Certificate.CheckMethod.values:
        raise invalid_input(
            "method_required", "check_method", _("Say how the certificate was checked.")
        )
    return method


def certificate_verify(
    certificate: Certificate, *, actor: User, method: str, note: str = ""
) -> Certificate:
    """An officer checked the certificate with its issuer (how, in `method`) and found it
    genuine."""
    _require_officer(actor)
    _method_checked(method)
    return transition(
        certificate,
        CERTIFICATE_MACHINE,
        Status.VERIFIED,
        actor=actor,
        reason=note.strip(),
        changes={"checked_by": actor, "check_method": method, "check_note": note.strip()[:300]},
        payload={"certificate": certificate.pk, "check_method": method},
        then=lambda locked, _before: refresh_after_record(locked, actor=actor),
    )


def certificate_reject(
    certificate: Certificate, *, actor: User, method: str, reason: str
) -> Certificate:
    """An officer found the certificate not genuine (or no longer so): the reason is required."""
    _require_officer(actor)
    _method_checked(method)
    reason = reason.strip()
    if not reason:
        raise invalid_input("reason_required", "note", _("Say why the certificate is rejected."))
    return transition(
        certificate,
        CERTIFICATE_MACHINE,
        Status.REJECTED,
        actor=actor,
        reason=reason,
        changes={"checked_by": actor, "check_method": method, "check_note": reason[:300]},
        payload={"certificate": certificate.pk, "check_method": method},
        then=lambda locked, _before: refresh_after_record(locked, actor=actor),
    )


def certificate_update_efiling(
    certificate: Certificate, *, actor: User, values: dict[str, Any]
) -> Certificate:
    """The supplier (its own) or an officer completes the eFiling data a US entry carries."""
    own = supplier_id_for(actor)
    if own is not None and own != certificate.supplier_id:
        raise DomainError("not_found", _("No such certificate."), kind=ErrorKind.NOT_FOUND)
    if own is None and not actor.has_perm(CHANGE_PERMISSION):
        raise DomainError(
            "forbidden", _("Only compliance officers edit certificates."), kind=ErrorKind.FORBIDDEN
        )
    clean = _efiling_checked(values)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        changed = sorted(name for name, value in clean.items() if getattr(locked, name) != value)
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, clean[name])
        locked.save(update_fields=changed)
        record_event(
            "compliance.certificate_efiling_updated",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={"certificate": locked.pk, "fields": changed},
        )
    for name in changed:
        setattr(certificate, name, clean[name])
    return locked
