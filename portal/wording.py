"""Words the portal makes from codes and figures when a page is read, in the reader's language:
times with their zone, the names of penalty tiers and what happened in each case, the
description of each deposit-ledger entry, warehouse and carrier names.

Nothing here is stored: services keep codes, references and what people typed, so the same
record reads in Chinese for one member and in English for another.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalogue.models import Product
from logistics.models import Carrier, Warehouse
from marketplace import formatting
from orders.models import JitOrder, Penalty
from orders.rules import rules
from returns.models import ReturnRateBreach
from suppliers.models import LedgerEntry, Supplier, WithdrawalRequest

Kind = LedgerEntry.Kind
Tier = Penalty.Tier

# --- Times -------------------------------------------------------------------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)


def zone_name() -> str:
    """The portal's zone as suppliers call it."""
    if settings.PORTAL_TIME_ZONE in ("Asia/Shanghai", "Asia/Chongqing", "PRC"):
        return _("China time")
    offset = timezone.now().astimezone(_zone()).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def local_time(value: datetime | str | None, *, seconds: bool = False) -> str:
    """A moment as "2026-03-01 14:05 China time" (or an ISO text from a payload, parsed);
    empty when there is none. `formatting.when` in the portal's zone, its name in words."""
    if value is None or value == "":
        return ""
    text = formatting.when(value, zone=_zone(), format="Y-m-d H:i:s" if seconds else "Y-m-d H:i")
    if isinstance(value, str) and text == value:
        return value  # not a time: shown as it came
    return _("%(time)s %(zone)s") % {"time": text, "zone": zone_name()}


def percent(value: Decimal | str | float | None) -> str:
    """A rate kept as a fraction, as a percentage with one decimal: 0.0950 → "9.5%"."""
    try:
        return f"{Decimal(str(value)) * 100:.1f}%"
    except (ArithmeticError, TypeError, ValueError):
        return "—"


def money(value: Decimal | str | int | None) -> str:
    """An amount in CNY as the portal's tables show it: "20,000.00"."""
    return formatting.amount(value) if value is not None else ""


# --- Names -------------------------------------------------------------------------------------


def product_title(product: Product | None) -> str:
    if product is None:
        return "—"
    if (get_language() or "").startswith("zh") and product.title_zh:
        return product.title_zh
    return product.title_en or product.title_zh


def warehouse_name(warehouse: Warehouse | None) -> str:
    return warehouse.display_name if warehouse is not None else "—"


def jit_warehouse_name() -> str:
    """Where JIT orders go, in the reader's language (the setting names the warehouse)."""
    warehouse = Warehouse.objects.filter(name=settings.JIT_WAREHOUSE).first()
    return warehouse.display_name if warehouse is not None else settings.JIT_WAREHOUSE


def jit_carrier_name() -> str:
    return str(Carrier.SF_EXPRESS.label)


# --- Penalties ---------------------------------------------------------------------------------


def tier_name(tier: str) -> str:
    try:
        return str(Tier(tier).label)
    except ValueError:
        return tier


def _hours(value: Any) -> int:
    return int(value.total_seconds() // 3600)


def _was_shipped(penalty: Penalty) -> bool:
    """Whether the order had shipped when the penalty was assessed: the evidence says (its
    time of shipment), else the order's own record."""
    evidence = penalty.evidence or {}
    if "shipped_at" in evidence:
        return bool(evidence.get("shipped_at"))
    shipped_at = penalty.order.shipped_at if penalty.order_id else None
    return shipped_at is not None and shipped_at <= penalty.assessed_at


def penalty_case(penalty: Penalty) -> str:
    """What the supplier did or did not do, as the tier applies to this order."""
    r = rules()
    tier = penalty.tier
    if tier in (Tier.LATE_24H, Tier.LATE_48H):
        hours = _hours(r.ship_within if tier == Tier.LATE_24H else r.late_after)
        if _was_shipped(penalty):
            return _("Shipped more than %(hours)d h after the order") % {"hours": hours}
        return _("Not shipped within %(hours)d h of the order") % {"hours": hours}
    if tier == Tier.QUALITY:
        return _("Rejected at inspection for quality")
    if tier == Tier.STOCKOUT:
        evidence = penalty.evidence or {}
        declared = evidence.get("stockout_declared_at") or (
            "stockout_declared_at" not in evidence
            and penalty.order_id
            and penalty.order.stockout_declared_at
        )
        if declared:
            return _("Stockout declared by you")
        return _("Not shipped within %(hours)d h of the order: a stockout") % {
            "hours": _hours(r.stockout_after)
        }
    return tier_name(tier)


# --- The deposit ledger ------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryText:
    description: str
    # What a person typed with the entry (finance's memo), shown as typed.
    memo: str
    url: str


def _case_of(entry: LedgerEntry) -> int | None:
    """The enforcement case a fine (or its reversal) was posted for: its reference."""
    reference_id = entry.reference_id or ""
    return int(reference_id) if reference_id.isdigit() else None


def _typed_memo(entry: LedgerEntry, *, worded: bool) -> str:
    """The memo as it was typed: finance's adjustments and chargebacks always carry one; a
    penalty posted by hand keeps its memo when there is no penalty record to word it from. What
    the system wrote on its own postings (older rows) is not shown: the description says it."""
    if entry.kind in (Kind.ADJUSTMENT, Kind.CHARGEBACK):
        return entry.memo
    if entry.kind == Kind.PENALTY and not worded:
        return entry.memo
    return ""


def _penalties_by_entry(entry_ids: Iterable[int]) -> dict[int, Penalty]:
    ids = [pk for pk in set(entry_ids) if pk]
    if not ids:
        return {}
    return {
        p.ledger_entry_id: p
        for p in Penalty.objects.filter(ledger_entry_id__in=ids).select_related("order", "appeal")
        if p.ledger_entry_id is not None
    }


def _penalty_words(penalty: Penalty) -> dict[str, Any]:
    return {"tier": tier_name(penalty.tier), "order": penalty.order_id}


def _reversal_why(penalty: Penalty | None, entry: LedgerEntry) -> str:
    if penalty is not None:
        if penalty.status == Penalty.Status.REVERSED:
            return _("the carrier's first scan shows it shipped in time")
        appeal = getattr(penalty, "appeal", None)
        if appeal is not None and appeal.decision == "waived":
            if appeal.decision_reason:
                return _("waived on appeal: %(reason)s") % {"reason": appeal.decision_reason}
            return _("waived on appeal")
        order = penalty.order
        if penalty.tier in (Tier.LATE_24H, Tier.LATE_48H) and order.first_scan_at:
            r = rules()
            limit = r.ship_within if penalty.tier == Tier.LATE_24H else r.late_after
            if order.first_scan_at <= order.ordered_at + limit:
                return _("the carrier's first scan shows it shipped in time")
    return entry.memo if entry.posted_by_id else ""


def describe_entries(entries: Sequence[LedgerEntry]) -> dict[int, EntryText]:
    """The words for each entry, by its id: what it is, from its kind and what it refers to.
    A fixed number of queries, whatever the number of entries."""
    penalty_ids = [e.pk for e in entries if e.kind == Kind.PENALTY]
    corrected = [e.corrects_id for e in entries if e.corrects_id]
    penalties = _penalties_by_entry([*penalty_ids, *(pk for pk in corrected if pk)])
    withdrawal_ids = [e.pk for e in entries if e.kind == Kind.WITHDRAWAL]
    withdrawals = (
        {w.entry_id: w for w in WithdrawalRequest.objects.filter(entry_id__in=withdrawal_ids)}
        if withdrawal_ids
        else {}
    )
    order_type = ContentType.objects.get_for_model(JitOrder)
    breach_type = ContentType.objects.get_for_model(ReturnRateBreach)
    texts: dict[int, EntryText] = {}
    for entry in entries:
        url = ""
        order_id = (
            entry.reference_id
            if entry.reference_type_id == order_type.pk and entry.reference_id.isdigit()
            else ""
        )
        if entry.kind == Kind.TOP_UP:
            text = _("Bank transfer %(reference)s") % {"reference": entry.bank_reference or "—"}
        elif entry.kind == Kind.PENALTY:
            penalty = penalties.get(entry.pk)
            if penalty is not None:
                text = _("Penalty %(tier)s on order #%(order)s: %(case)s") % {
                    **_penalty_words(penalty),
                    "case": penalty_case(penalty),
                }
                url = reverse("portal:penalty_detail", args=[penalty.pk])
            elif order_id:
                text = _("Penalty on order #%(order)s") % {"order": order_id}
                url = reverse("portal:order_detail", args=[int(order_id)])
            else:
                text = _("Penalty")
        elif entry.kind == Kind.PENALTY_REVERSAL:
            penalty = penalties.get(entry.corrects_id or 0)
            why = _reversal_why(penalty, entry)
            if penalty is not None:
                what = _("Penalty %(tier)s on order #%(order)s given back") % _penalty_words(
                    penalty
                )
                url = reverse("portal:penalty_detail", args=[penalty.pk])
            elif entry.corrects_id:
                what = _("Entry #%(id)s given back") % {"id": entry.corrects_id}
            else:
                what = _("Penalty given back")
            text = _("%(what)s: %(why)s") % {"what": what, "why": why} if why else what
        elif entry.kind == Kind.WITHDRAWAL:
            request = withdrawals.get(entry.pk)
            if request is not None:
                text = _("Withdrawal request #%(id)s, paid to %(account)s") % {
                    "id": request.pk,
                    "account": request.bank_account,
                }
                url = reverse("portal:withdrawals")
            else:
                text = _("Withdrawal")
        elif entry.kind == Kind.FINE and entry.reference_type_id == breach_type.pk:
            text = _("Return-rate fine (breach #%(breach)s)") % {"breach": entry.reference_id}
            url = reverse("portal:return_rates")
        elif entry.kind == Kind.FINE_REVERSAL and entry.reference_type_id == breach_type.pk:
            text = _("Return-rate fine given back: your appeal was upheld (breach #%(breach)s)") % {
                "breach": entry.reference_id
            }
            url = reverse("portal:return_rates")
        elif entry.kind == Kind.FINE:
            text = _("Enforcement fine")
            case_id = _case_of(entry)
            if case_id:
                text = _("Enforcement fine, case #%(case)s") % {"case": case_id}
                url = reverse("portal:compliance_case_detail", args=[case_id])
        elif entry.kind == Kind.FINE_REVERSAL:
            text = _("Enforcement fine given back: the case was overturned")
            case_id = _case_of(entry)
            if case_id:
                text = _("Enforcement fine given back: case #%(case)s overturned") % {
                    "case": case_id
                }
                url = reverse("portal:compliance_case_detail", args=[case_id])
        elif entry.kind == Kind.CHARGEBACK:
            text = (
                _("Chargeback on order #%(order)s") % {"order": order_id}
                if order_id
                else _("Chargeback")
            )
        else:
            text = (
                _("Adjustment of entry #%(id)s") % {"id": entry.corrects_id}
                if entry.corrects_id
                else _("Adjustment")
            )
        memo = _typed_memo(entry, worded=entry.pk in penalties)
        texts[entry.pk] = EntryText(text, memo, url)
    return texts


# --- JIT ---------------------------------------------------------------------------------------


def jit_reason(supplier: Supplier, balance: Decimal) -> str:
    """Why the supplier's JIT status is what it is, with today's figures."""
    Reason = Supplier.JitReason
    minimum = money(settings.JIT_MIN_DEPOSIT_CNY)
    reason = supplier.jit_status_reason
    if supplier.jit_status == Supplier.JitStatus.PAUSED:
        return _(
            "JIT is paused: the deposit, %(balance)s CNY, is below the JIT minimum of "
            "%(minimum)s CNY. Top up to take JIT orders again."
        ) % {"balance": money(balance), "minimum": minimum}
    if reason == Reason.DEPOSIT_RESTORED:
        return _(
            "JIT resumed: the deposit is back at or above the JIT minimum of %(minimum)s CNY."
        ) % {"minimum": minimum}
    if reason in Reason.values:
        return str(Reason(reason).label)
    return reason
