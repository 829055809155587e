"""Labs: whether a lab is accredited for a standard on a day, which lab an API client posts
for, and the check every report or certificate file passes (a PDF by its content, within the
size limit), with its SHA-256 for the fraud signals."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.files import PDF_HEADER_WINDOW, content_kind

from ..models import Lab, LabAccreditation, Standard


def lab_accredited(lab: Lab, standard: Standard, on: date) -> bool:
    """Whether the lab's accreditation covers the standard on the day (both ends included)."""
    return LabAccreditation.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on),
        lab=lab,
        standard=standard,
        valid_from__lte=on,
    ).exists()


def lab_for_client(actor: User) -> Lab:
    """The lab whose API client is the caller, active; anyone else may not post results."""
    client = getattr(actor, "api_client", None)
    lab = Lab.objects.filter(api_client=client).first() if client is not None else None
    if lab is None:
        raise DomainError(
            "not_a_lab",
            _("Only a lab's own API client posts test records."),
            kind=ErrorKind.FORBIDDEN,
        )
    if lab.status != Lab.Status.ACTIVE:
        raise DomainError(
            "lab_not_active",
            _("This lab is %(status)s: it may not post results.")
            % {"status": lab.get_status_display()},
            kind=ErrorKind.FORBIDDEN,
        )
    return lab


def pdf_checked(upload: Any, *, field: str) -> str:
    """The SHA-256 of an uploaded report or certificate, once its content shows it is a PDF no
    larger than COMPLIANCE_PDF_MAX_BYTES (the name and the declared type prove nothing); else a
    refusal naming `field`."""
    limit = settings.COMPLIANCE_PDF_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        message = _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
        raise DomainError(
            "file_too_large", message, kind=ErrorKind.INVALID, fields={field: message}
        )
    upload.seek(0)
    head = upload.read(PDF_HEADER_WINDOW)
    if content_kind(head) != "pdf":
        message = _("The file is not a PDF.")
        raise DomainError("not_a_pdf", message, kind=ErrorKind.INVALID, fields={field: message})
    digest = hashlib.sha256(head)
    total = len(head)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        total += len(chunk)
        if total > limit:
            message = _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
            raise DomainError(
                "file_too_large", message, kind=ErrorKind.INVALID, fields={field: message}
            )
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
