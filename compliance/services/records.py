"""Test records: posted by a lab through the API (verified at once, idempotent on lab + report
number), typed in by a compliance officer (counts once a second officer verifies it), or
uploaded by the supplier (counts once an officer verifies it or the lab posts the same report).
Measured values are judged against the specification in force on the issue date, its limits
copied onto each value. A verified record supersedes the counting record it retests.

`_record_counts` is the one place where a record starts to count: what must follow (an
enforcement case for a failure, a sampling request's result) is wired there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.celery import enqueue_on_commit
from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.selectors import supplier_id_for

from ..models import (
    TEST_RECORD_MACHINE,
    Lab,
    Measurement,
    SamplingRequest,
    Standard,
    TestRecord,
    TestSpecification,
    product_model,
)
from ..tasks import open_enforcement_cases
from .expiry import refresh_after_record
from .labs import lab_accredited, lab_for_client, pdf_checked
from .sampling import sampling_result_recorded

Source = TestRecord.Source
Status = TestRecord.Status

VERIFY_PERMISSION = "compliance.change_testrecord"
ADD_PERMISSION = "compliance.add_testrecord"


@dataclass(frozen=True)
class MeasuredValue:
    """One measured value as a door hands it in: the parameter (a specification's slug), the
    value, and its unit (left blank, the specification's)."""

    parameter: str
    value: Decimal
    unit: str = ""


@dataclass(frozen=True)
class RecordIn:
    """A test record as a door hands it in (the standard and lab already found)."""

    product_id: int
    supplier_id: int
    standard: Standard
    lab: Lab
    report_number: str
    result: str
    issued_on: date
    valid_until: date
    report_file: Any = None
    measurements: Sequence[MeasuredValue] = field(default_factory=tuple)
    sampling_request_id: int | None = None


def measured_values_from_lines(text: str, *, field: str = "measured") -> list[MeasuredValue]:
    """Measured values typed one a line, `parameter value [unit]` (the admin's and the portal's
    forms); a line that is not one is refused naming `field`."""
    values: list[MeasuredValue] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        value: Decimal | None = None
        if len(parts) in (2, 3):
            try:
                value = Decimal(parts[1])
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            raise invalid_input(
                "invalid_measurement",
                field,
                _("Line %(n)d: write the parameter, the value (a number) and its unit.")
                % {"n": number},
            )
        values.append(MeasuredValue(parts[0], value, parts[2] if len(parts) == 3 else ""))
    return values


def verdict_of(
    value: Decimal, minimum: Decimal | None, maximum: Decimal | None, band: Decimal
) -> str:
    """Outside a limit, within `band` of one (a warning), or within."""
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return Measurement.Verdict.OUTSIDE
    near_min = minimum is not None and value - minimum <= band
    near_max = maximum is not None and maximum - value <= band
    if band > 0 and (near_min or near_max):
        return Measurement.Verdict.WARNING
    return Measurement.Verdict.WITHIN


def _judged(data: RecordIn) -> list[Measurement]:
    """The measured values, each judged against its specification in force on the issue date
    (the limits copied onto it); a refusal names the value at fault (`measurements[1].unit`)."""
    specs = {
        spec.parameter: spec
        for spec in TestSpecification.objects.in_force(data.issued_on).filter(
            standard=data.standard
        )
    }
    rows: list[Measurement] = []
    seen: set[str] = set()
    for index, measured in enumerate(data.measurements):
        where = f"measurements[{index}]"
        parameter = measured.parameter.strip()
        if not parameter:
            raise invalid_input(
                "invalid_measurement", f"{where}.parameter", _("Name the parameter.")
            )
        if parameter in seen:
            raise invalid_input(
                "invalid_measurement", f"{where}.parameter", _("This parameter is measured twice.")
            )
        seen.add(parameter)
        if not measured.value.is_finite() or abs(measured.value) >= Decimal("1e10"):
            raise invalid_input(
                "invalid_measurement", f"{where}.value", _("Not a measurable value.")
            )
        spec = specs.get(parameter)
        unit = measured.unit.strip()
        if spec is None:
            if not unit:
                raise invalid_input(
                    "invalid_measurement",
                    f"{where}.unit",
                    _("The standard does not specify this parameter: give its unit."),
                )
            rows.append(
                Measurement(
                    parameter=parameter[:60],
                    unit=unit[:20],
                    value=measured.value,
                    verdict=Measurement.Verdict.WITHIN,
                )
            )
            continue
        if unit and unit != spec.unit:
            raise invalid_input(
                "invalid_measurement",
                f"{where}.unit",
                _("The specification measures %(parameter)s in %(unit)s.")
                % {"parameter": parameter, "unit": spec.unit},
            )
        rows.append(
            Measurement(
                specification=spec,
                parameter=parameter,
                unit=spec.unit,
                value=measured.value,
                minimum=spec.minimum,
                maximum=spec.maximum,
                warn_within=spec.warn_within,
                verdict=verdict_of(measured.value, spec.minimum, spec.maximum, spec.warn_within),
            )
        )
    return rows


def _check(data: RecordIn, *, accreditation_required: bool) -> None:
    """The rules every door's record keeps, checked before anything is written."""
    if not data.report_number.strip():
        raise invalid_input("invalid_record", "report_number", _("Give the report number."))
    if len(data.report_number.strip()) > 100:
        raise invalid_input("invalid_record", "report_number", _("At most 100 characters."))
    if data.result not in TestRecord.Result.values:
        raise invalid_input("invalid_record", "result", _("Pass, fail or inconclusive."))
    if data.valid_until < data.issued_on:
        raise invalid_input(
            "dates_out_of_order", "valid_until", _("A report cannot expire before it was issued.")
        )
    if data.issued_on > timezone.localdate():
        raise invalid_input(
            "dates_out_of_order", "issued_on", _("The issue date is in the future.")
        )
    product_exists = (
        product_model()
        .objects.filter(pk=data.product_id)
        .filter(Q(owner_id=data.supplier_id) | Q(listings__supplier_id=data.supplier_id))
        .exists()
    )
    if not product_exists:
        raise invalid_input(
            "unknown_product",
            "product",
            _("No such product of this supplier."),
            kind=ErrorKind.INVALID,
        )
    if (
        data.sampling_request_id is not None
        and not SamplingRequest.objects.filter(pk=data.sampling_request_id).exists()
    ):
        raise invalid_input(
            "unknown_sampling_request", "sampling_request", _("No such sampling request.")
        )
    if accreditation_required and not lab_accredited(data.lab, data.standard, data.issued_on):
        raise invalid_input(
            "not_accredited",
            "standard",
            _("The lab is not accredited for %(standard)s on %(day)s.")
            % {"standard": data.standard.code, "day": data.issued_on.isoformat()},
        )


def _create(
    data: RecordIn,
    *,
    source: str,
    actor: User,
    sha256: str,
    measurements: list[Measurement],
    verified: bool,
) -> TestRecord:
    now = timezone.now()
    record = TestRecord(
        product_id=data.product_id,
        supplier_id=data.supplier_id,
        standard=data.standard,
        lab=data.lab,
        report_number=data.report_number.strip(),
        result=data.result,
        issued_on=data.issued_on,
        valid_until=data.valid_until,
        report_sha256=sha256,
        source=source,
        status=Status.VERIFIED if verified else Status.UNVERIFIED,
        recorded_by=None if source == Source.LAB else actor,
        recorded_via=getattr(actor, "api_client", None) if source == Source.LAB else None,
        recorded_at=now,
        verified_at=now if verified else None,
        sampling_request_id=data.sampling_request_id,
    )
    if data.report_file is not None:
        data.report_file.seek(0)
        record.report_file.save(
            getattr(data.report_file, "name", "report.pdf") or "report.pdf",
            data.report_file,
            save=False,
        )
    record.save()
    for row in measurements:
        row.record = record
    Measurement.objects.bulk_create(measurements)
    record_event(
        "compliance.test_record_posted",
        actor=actor,
        supplier_id=record.supplier_id,
        subject=record,
        payload={
            "record": record.pk,
            "product": record.product_id,
            "standard": record.standard.code,
            "result": record.result,
            "source": record.source,
            "report_number": record.report_number,
        },
    )
    if verified:
        _record_counts(record, actor=actor)
    return record


def _file_required(data: RecordIn) -> str:
    if data.report_file is None:
        raise invalid_input("invalid_record", "report_file", _("Attach the report (PDF)."))
    return pdf_checked(data.report_file, field="report_file")


# --- What starts a record counting ------------------------------------------------------------


def _record_counts(record: TestRecord, *, actor: User | None) -> None:
    """The one place where a record starts to count (verified at `verified_at`): it supersedes
    the counting records of the same product, supplier and standard that it retests (issued on
    or before it), or is superseded at once by a newer one already counting.

    What follows from it starts here too: a failed record opens an enforcement case (the job,
    queued after commit), a record answering a sampling request completes it, and the listings
    of its product refresh their per-market status (a lapse may be over)."""
    now = record.verified_at or timezone.now()
    counting = (
        TestRecord.objects.select_for_update()
        .filter(
            product_id=record.product_id,
            supplier_id=record.supplier_id,
            standard_id=record.standard_id,
            status=Status.VERIFIED,
            superseded_by__isnull=True,
        )
        .exclude(pk=record.pk)
        .order_by("issued_on", "id")
    )
    rows = list(counting)
    newer = [row for row in rows if row.issued_on > record.issued_on]
    older = [row for row in rows if row.issued_on <= record.issued_on]
    if newer:
        # A late verification of an older report: the retest already counting replaces it.
        _supersede(record, by=newer[0], at=now, actor=actor)
    for row in older:
        _supersede(row, by=record, at=now, actor=actor)
    if record.result == TestRecord.Result.FAIL:
        enqueue_on_commit(open_enforcement_cases)
    if record.sampling_request is not None:
        sampling_result_recorded(record.sampling_request, record, actor=actor)
    refresh_after_record(record, actor=actor)


def _supersede(old: TestRecord, *, by: TestRecord, at: Any, actor: User | None) -> None:
    old.superseded_by = by
    old.superseded_at = at
    old.save(update_fields=["superseded_by", "superseded_at"])
    record_event(
        "compliance.test_record_superseded",
        actor=actor,
        supplier_id=old.supplier_id,
        subject=old,
        # The same standard as the retest's, which is loaded.
        payload={"record": old.pk, "superseded_by": by.pk, "standard": by.standard.code},
    )


# --- The three doors' entries -----------------------------------------------------------------


def _same_as(existing: TestRecord, data: RecordIn, sha256: str | None) -> list[str]:
    """The fields of a repeated report that differ from the record already held."""
    differ = [
        name
        for name, mine, theirs in (
            ("product", existing.product_id, data.product_id),
            ("supplier", existing.supplier_id, data.supplier_id),
            ("standard", existing.standard_id, data.standard.pk),
            ("result", existing.result, data.result),
            ("issued_on", existing.issued_on, data.issued_on),
            ("valid_until", existing.valid_until, data.valid_until),
        )
        if mine != theirs
    ]
    if sha256 is not None and existing.report_sha256 != sha256:
        differ.append("report_file")
    held = {(m.parameter, m.value, m.unit) for m in existing.measurements.all()}
    given = {
        (m.parameter.strip(), Decimal(m.value), m.unit.strip() or unit)
        for m, unit in ((m, _unit_of(existing, m.parameter)) for m in data.measurements)
    }
    if held and given != held:
        differ.append("measurements")
    return differ


def _unit_of(existing: TestRecord, parameter: str) -> str:
    for m in existing.measurements.all():
        if m.parameter == parameter.strip():
            return m.unit
    return ""


def _conflict(existing: TestRecord, differ: list[str]) -> DomainError:
    message = _("Report %(number)s is already recorded with other data.") % {
        "number": existing.report_number
    }
    return DomainError(
        "report_conflict",
        message,
        kind=ErrorKind.CONFLICT,
        fields={name: _("Differs from the record already held.") for name in differ},
    )


def test_record_post(data: RecordIn, *, actor: User) -> tuple[TestRecord, bool]:
    """A lab posts a result through its API client (scope labs:write): verified at once.
    Idempotent on lab + report number: the same report again returns the record held
    (created False); other data under the same number is a conflict naming what differs. A
    supplier's unverified upload of the same report is confirmed by it (verified, the lab's
    measured values added when it had none). Returns (record, created)."""
    lab = lab_for_client(actor)
    if data.lab.pk != lab.pk:
        raise DomainError(
            "not_your_lab", _("A lab posts its own reports only."), kind=ErrorKind.FORBIDDEN
        )
    _check(data, accreditation_required=True)
    sha256 = _file_required(data)
    measurements = _judged(data)
    rejected_post = TestRecord.objects.filter(
        lab=lab,
        report_number=data.report_number.strip(),
        source=Source.LAB,
        status=Status.REJECTED,
    ).exists()
    if rejected_post:
        # The lab's own report was rejected (found not genuine): posting it again changes nothing.
        raise invalid_input(
            "report_rejected",
            "report_number",
            _("Report %(number)s was rejected by a compliance officer.")
            % {"number": data.report_number.strip()},
            kind=ErrorKind.CONFLICT,
        )
    for attempt in range(2):
        existing = _held(lab, data.report_number)
        if existing is not None:
            return _repeat(existing, data, sha256, measurements, actor=actor), False
        try:
            with transaction.atomic():
                record = _create(
                    data,
                    source=Source.LAB,
                    actor=actor,
                    sha256=sha256,
                    measurements=measurements,
                    verified=True,
                )
            return record, True
        except IntegrityError:
            # The same report posted at the same moment: the other request made it; compare.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _held(lab: Lab, report_number: str) -> TestRecord | None:
    return (
        TestRecord.objects.filter(lab=lab, report_number=report_number.strip())
        .exclude(status=Status.REJECTED)
        .prefetch_related("measurements")
        .first()
    )


def _repeat(
    existing: TestRecord,
    data: RecordIn,
    sha256: str,
    measurements: list[Measurement],
    *,
    actor: User,
) -> TestRecord:
    if existing.source == Source.LAB:
        differ = _same_as(existing, data, sha256)
        if differ:
            raise _conflict(existing, differ)
        return existing
    # Someone else's entry of this report: the lab's post confirms it when the data agree.
    differ = _same_as(existing, data, None)
    if differ:
        raise _conflict(existing, differ)
    with transaction.atomic():
        if not existing.measurements.exists() and measurements:
            for row in measurements:
                row.record = existing
            Measurement.objects.bulk_create(measurements)
        if existing.status == Status.UNVERIFIED:
            _verify(existing, actor=actor, note=_("Confirmed by the lab's own post."))
    existing.refresh_from_db()
    return existing


def test_record_enter(data: RecordIn, *, actor: User) -> TestRecord:
    """A compliance officer types in a record (from a report received by mail, say): it stays
    unverified until a second officer verifies it. A lab outside its accreditation is not
    refused here (the record is evidence of what was received) but is a fraud signal."""
    if not actor.has_perm(ADD_PERMISSION):
        raise DomainError(
            "forbidden", _("Only compliance officers enter records."), kind=ErrorKind.FORBIDDEN
        )
    return _enter(data, source=Source.OFFICER, actor=actor)


def test_record_upload(data: RecordIn, *, actor: User) -> TestRecord:
    """The supplier uploads a report it holds: unverified until an officer verifies it or the
    lab posts the same report number."""
    supplier_id = supplier_id_for(actor)
    if supplier_id is None or supplier_id != data.supplier_id:
        raise DomainError(
            "forbidden", _("A supplier uploads its own reports only."), kind=ErrorKind.FORBIDDEN
        )
    return _enter(data, source=Source.SUPPLIER, actor=actor)


def _enter(data: RecordIn, *, source: str, actor: User) -> TestRecord:
    _check(data, accreditation_required=False)
    sha256 = _file_required(data)
    measurements = _judged(data)
    if _held(data.lab, data.report_number) is not None:
        raise invalid_input(
            "report_number_taken",
            "report_number",
            _("This lab's report %(number)s is already recorded.")
            % {"number": data.report_number.strip()},
            kind=ErrorKind.CONFLICT,
        )
    try:
        with transaction.atomic():
            return _create(
                data,
                source=source,
                actor=actor,
                sha256=sha256,
                measurements=measurements,
                verified=False,
            )
    except IntegrityError:
        raise invalid_input(
            "report_number_taken",
            "report_number",
            _("This lab's report %(number)s is already recorded.")
            % {"number": data.report_number.strip()},
            kind=ErrorKind.CONFLICT,
        ) from None


# --- Verification -----------------------------------------------------------------------------


def _require_officer(actor: User) -> None:
    if supplier_id_for(actor) is not None or not actor.has_perm(VERIFY_PERMISSION):
        raise DomainError(
            "forbidden",
            _("Only compliance officers verify or reject records."),
            kind=ErrorKind.FORBIDDEN,
        )


def _verify(record: TestRecord, *, actor: User, note: str) -> TestRecord:
    now = timezone.now()

    def counts(locked: TestRecord, before: TestRecord) -> None:
        _record_counts(locked, actor=actor)

    return transition(
        record,
        TEST_RECORD_MACHINE,
        Status.VERIFIED,
        actor=actor,
        reason=note,
        changes={
            "verified_by": actor if actor.is_staff else None,
            "verified_at": now,
            "status_note": note[:300],
        },
        then=counts,
        payload={"record": record.pk, "standard": record.standard.code, "result": record.result},
    )


def test_record_verify(record: TestRecord, *, actor: User, note: str) -> TestRecord:
    """An officer verifies a record after checking it with the lab. A record an officer typed
    in needs a second, different officer."""
    _require_officer(actor)

    def second_officer(locked: TestRecord) -> None:
        if locked.source == Source.OFFICER and locked.recorded_by_id == actor.pk:
            raise DomainError(
                "second_officer_required",
                _("A record you entered is verified by another officer."),
                kind=ErrorKind.FORBIDDEN,
            )

    with transaction.atomic():
        locked = TestRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status != Status.VERIFIED:
            second_officer(locked)
        verified = _verify(locked, actor=actor, note=note.strip())
    record.refresh_from_db()
    return verified


def test_record_reject(record: TestRecord, *, actor: User, note: str) -> TestRecord:
    """An officer rejects a record as not genuine or not what it claims, saying why."""
    _require_officer(actor)
    note = note.strip()
    if not note:
        raise invalid_input("reason_required", "note", _("Say why the record is rejected."))
    return transition(
        record,
        TEST_RECORD_MACHINE,
        Status.REJECTED,
        actor=actor,
        reason=note,
        changes={"verified_by": actor, "verified_at": timezone.now(), "status_note": note[:300]},
        payload={"record": record.pk, "standard": record.standard.code, "result": record.result},
        then=lambda locked, _before: refresh_after_record(locked, actor=actor),
    )


# Named for the business action, not tests: pytest must not collect them where imported.
for _service in (
    test_record_post,
    test_record_enter,
    test_record_upload,
    test_record_verify,
    test_record_reject,
):
    setattr(_service, "__test__", False)  # noqa: B010
