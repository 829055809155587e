"""Every kind of event the code records, with what its `reason` holds and an example payload.

This is the one list: the admin offers these kinds to webhook endpoints, the OpenAPI schema
lists them, and docs/webhooks.md shows them as `python manage.py webhook_docs` writes them.
tests/marketplace/test_event_kinds.py reads every `record_event` / `NewEvent` call in the code
and fails when a kind is recorded but not listed here (or listed but never recorded), when a
payload's keys differ from the example's, or when docs/webhooks.md is not what the command
writes.

Payload conventions: amounts are strings of CNY with two decimals, times ISO 8601 in UTC, ids
integers (`warehouse` of a stocking order is the warehouse's code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EventKind:
    when: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    # Keys some emissions of the kind leave out.
    optional: frozenset[str] = frozenset()

    @property
    def summary(self) -> str:
        """One line for the admin's and the schema's lists."""
        keys = ", ".join(self.payload)
        return f"{self.when} Payload {{{keys}}}." if keys else self.when


def _move(a: str, b: str) -> dict[str, str]:
    return {"from": a, "to": b}


# Grouped as docs/webhooks.md shows them: the part before the dot.
EVENT_KINDS: dict[str, EventKind] = {
    # --- Suppliers ---
    "supplier.applied": EventKind("A factory owner applied through the portal."),
    "supplier.changes_requested": EventKind(
        "An operator sent the application back for changes.", reason="the operator's comment"
    ),
    "supplier.resubmitted": EventKind("The applicant sent the changed application back."),
    "supplier.status_changed": EventKind(
        "The supplier's status moved: approved, rejected, activated, suspended, reinstated or "
        "terminated (applied, onboarding, active, suspended, terminated).",
        _move("onboarding", "active"),
        reason="why, as the operator gave it",
    ),
    "supplier.jit_enrolled": EventKind("The supplier joined the JIT pilot."),
    "supplier.jit_paused": EventKind(
        "JIT paused: the deposit fell below the JIT minimum.",
        {"balance": "4200.00"},
        reason="the balance against the minimum",
    ),
    "supplier.jit_resumed": EventKind(
        "JIT resumed: the deposit is back at or above the minimum.",
        {"balance": "5200.00"},
        reason="the balance against the minimum",
    ),
    "supplier.withdrawal_requested": EventKind(
        "The owner asked to withdraw from the deposit (the payout is a ledger.posted).",
        {"amount": "3000.00"},
    ),
    "supplier.withdrawal_approved": EventKind(
        "Finance paid a withdrawal out.",
        {"from": "requested", "to": "approved", "amount": "3000.00"},
    ),
    "supplier.withdrawal_rejected": EventKind(
        "Finance refused a withdrawal.",
        {"from": "requested", "to": "rejected"},
        reason="finance's reason",
    ),
    "supplier.member_invited": EventKind(
        "The owner invited a colleague by email.", {"email": "li.na@example.com"}
    ),
    "supplier.member_joined": EventKind(
        "An invited colleague made an account and joined.", {"username": "lina"}
    ),
    "supplier.member_removed": EventKind(
        "The owner removed a colleague (the account stops).", {"username": "lina"}
    ),
    "supplier.owner_changed": EventKind(
        "The ownership passed to another member (usernames).", _move("bright", "lina")
    ),
    # --- The deposit ledger ---
    "ledger.posted": EventKind(
        "An entry on the deposit ledger: top_up, penalty, penalty_reversal, chargeback, "
        "withdrawal or adjustment; `balance` is the deposit after it.",
        {"kind": "top_up", "amount": "5000.00", "balance": "12500.00"},
        reason="the entry's memo",
    ),
    # --- The catalogue ---
    "product.created": EventKind(
        "A product was created (`source`: portal, api or import).",
        {
            "title_en": "Plush rabbit, 30 cm",
            "category": "toys.plush",
            "hs_code": "950300",
            "source": "portal",
        },
    ),
    "product.updated": EventKind(
        "A supplier changed a product: the fields changed; `image` is the new image's id when "
        "an image was added.",
        {"changed": ["title_en", "weight_g"], "image": 31},
        optional=frozenset({"image"}),
    ),
    "listing.created": EventKind(
        "A supplier created a listing (mode fully_managed or semi_managed).",
        {"mode": "fully_managed", "is_jit": True},
    ),
    "listing.status_changed": EventKind(
        "A listing moved (draft, submitted, price_review, compliance_review, approved, live, "
        "paused, delisted). `rule` names the rule that paused it for review, when one did "
        "(`return_rate`: the return-rate feedback).",
        {**_move("live", "paused"), "rule": "return_rate"},
        reason="why: an operator's reason, or the stock that ran out",
        optional=frozenset({"rule"}),
    ),
    "listing.price_proposed": EventKind(
        "The supplier proposed a supply price (CNY).",
        {"listing": 812, "round": 1, "price": "18.50"},
    ),
    "listing.price_countered": EventKind(
        "An operator countered with another price.",
        {**_move("proposed", "countered"), "listing": 812, "round": 1, "price": "17.20"},
        reason="the operator's note",
    ),
    "listing.price_rejected": EventKind(
        "An operator rejected the proposed price.",
        {**_move("proposed", "rejected"), "listing": 812, "round": 1},
        reason="the operator's note",
    ),
    "listing.price_withdrawn": EventKind(
        "The supplier withdrew its price.",
        {**_move("countered", "withdrawn"), "listing": 812, "round": 2},
    ),
    "listing.price_agreed": EventKind(
        "The supply price is agreed (accepted by either side).",
        {**_move("countered", "accepted"), "listing": 812, "round": 2, "price": "17.20"},
    ),
    "listing.retail_price_set": EventKind(
        "An operator set a listing's retail price for a market.",
        {"market": "US", "amount": "12.99", "currency": "USD"},
    ),
    "listing.gpsr_details_set": EventKind(
        "The supplier named the listing's manufacturer and EU responsible person (GPSR), which "
        "the EU compliance answer requires: the fields changed.",
        {"changed": ["gpsr_manufacturer", "eu_responsible_person"]},
    ),
    "tender.opened": EventKind(
        "An operator opened a tender (a reverse auction) for a product.",
        {"product": 97, "quantity": 5000, "closes_at": "2026-03-01T10:00:00+00:00"},
    ),
    "tender.bid_placed": EventKind(
        "A supplier placed or lowered its sealed bid (no amount is sent)."
    ),
    "tender.closed": EventKind(
        "A tender closed (awarded or unawarded).",
        {**_move("open", "awarded"), "status": "awarded"},
    ),
    "tender.awarded": EventKind(
        "The supplier won the tender: its listing was created or re-priced.",
        {"tender": 14, "listing": 905},
    ),
    "tender.lost": EventKind("The supplier's bid did not win (no prices).", {"tender": 14}),
    # --- JIT orders and penalties ---
    "order.created": EventKind(
        "A storefront ordered a JIT listing; ship by `deadline`.",
        {"quantity": 3, "goods_value": "55.50", "deadline": "2026-03-02T08:00:00+00:00"},
    ),
    "order.shipped": EventKind(
        "The supplier recorded the shipment of a JIT order.",
        _move("awaiting_shipment", "shipped"),
    ),
    "order.scanned": EventKind(
        "The carrier's first scan: the official time of shipment.",
        {"first_scan_at": "2026-03-01T14:25:00+00:00"},
    ),
    "order.received": EventKind(
        "The JIT warehouse counted the goods.", _move("shipped", "received")
    ),
    "order.accepted": EventKind("The goods passed inspection.", _move("received", "accepted")),
    "order.rejected_quality": EventKind(
        "The goods failed inspection.",
        _move("received", "rejected_quality"),
        reason="the defect notes",
    ),
    "order.failed_stockout": EventKind(
        "The supplier declared a stockout.",
        _move("awaiting_shipment", "failed_stockout"),
        reason="the supplier's reason",
    ),
    "order.cancelled": EventKind(
        "The consumer cancelled before shipment.", _move("awaiting_shipment", "cancelled")
    ),
    "order.shipping_reminder": EventKind(
        "A JIT order is still unshipped 18 h (`first`) or 23 h (`second`) after the order.",
        {"order": 40211, "reminder": "first", "deadline": "2026-03-02T08:00:00+00:00"},
        reason="the deadline",
    ),
    "order.penalty_assessed": EventKind(
        "A penalty was taken from the deposit (tiers late_24h, late_48h, quality, stockout).",
        {"order": 40211, "tier": "late_24h", "amount": "55.50"},
        reason="the rule",
    ),
    "order.penalty_appealed": EventKind(
        "The supplier appealed a penalty.",
        _move("assessed", "appealed"),
        reason="the supplier's grounds",
    ),
    "order.penalty_upheld": EventKind(
        "An operator upheld an appealed penalty (`amount` is 0: nothing given back).",
        {**_move("appealed", "upheld"), "amount": "0"},
        reason="the operator's reason",
    ),
    "order.penalty_waived": EventKind(
        "An operator waived a penalty: `amount` is given back to the deposit.",
        {**_move("appealed", "waived"), "amount": "55.50"},
        reason="the operator's reason",
    ),
    "order.penalty_reversed": EventKind(
        "The carrier's first scan showed shipment before the tier's deadline: the penalty no "
        "longer stands and `amount` is given back to the deposit.",
        {
            "from": "assessed",
            "to": "reversed",
            "order": 7713,
            "tier": "late_24h",
            "amount": "55.50",
            "first_scan_at": "2026-03-10T09:20:00+00:00",
            "deadline": "2026-03-11T08:00:00+00:00",
        },
        reason="the scan and the deadline it beat",
    ),
    # --- Consignment ---
    "stocking.issued": EventKind(
        "The platform asked the supplier to stock a listing in a warehouse.",
        {
            "listing": 905,
            "quantity": 30,
            "warehouse": "CN-DG-01",
            "expires_at": "2026-03-15T08:00:00+00:00",
        },
    ),
    "stocking.accepted": EventKind(
        "The supplier accepted a stocking order.", _move("issued", "accepted")
    ),
    "stocking.declined": EventKind(
        "The supplier declined a stocking order.",
        _move("issued", "declined"),
        reason="the supplier's reason",
    ),
    "stocking.shipped": EventKind(
        "The stocking order's goods are on their way.", _move("accepted", "shipped")
    ),
    "stocking.lapsed": EventKind(
        "A stocking order expired unshipped.", _move("accepted", "lapsed"), reason="why"
    ),
    "stocking.cancelled": EventKind(
        "An operator cancelled a stocking order.",
        _move("issued", "cancelled"),
        reason="the operator's reason",
    ),
    "inbound.created": EventKind(
        "The supplier sent an inbound shipment notice (`pickup`: a circular pickup asked).",
        {"stocking_order": 611, "pickup": False},
    ),
    "inbound.booked": EventKind("An inbound shipment was booked.", _move("draft", "booked")),
    "inbound.in_transit": EventKind(
        "An inbound shipment left the factory.", _move("booked", "in_transit")
    ),
    "inbound.arrived": EventKind(
        "An inbound shipment reached the warehouse.", _move("in_transit", "arrived")
    ),
    "inbound.receiving": EventKind("Receiving started.", _move("arrived", "receiving")),
    "inbound.received": EventKind("Every line was counted.", _move("receiving", "received")),
    "inbound.closed": EventKind("Every lot was inspected.", _move("received", "closed")),
    "inbound.cancelled": EventKind(
        "An inbound shipment was cancelled.",
        _move("booked", "cancelled"),
        reason="the reason given",
    ),
    "inbound.pickup_scheduled": EventKind(
        "A circular pickup slot was assigned.", {"date": "2026-03-04", "window": "09:00-12:00"}
    ),
    "inbound.counted": EventKind(
        "A line was counted at receiving (`discrepancy` = received - declared).",
        {"line": 1203, "declared": 30, "received": 29, "damaged": 1, "discrepancy": -1},
    ),
    "inspection.accepted": EventKind(
        "A lot passed inspection and became stock (ISO 2859-1 plan: code letter, sample "
        "size, accept and reject numbers).",
        {
            "line": 1203,
            "lot_size": 28,
            "severity": "normal",
            "letter": "D",
            "sample_size": 8,
            "accept": 1,
            "reject": 2,
            "defects": 0,
        },
    ),
    "inspection.rejected": EventKind(
        "A lot failed inspection and goes back at the supplier's cost.",
        {
            "line": 1203,
            "lot_size": 28,
            "severity": "normal",
            "letter": "D",
            "sample_size": 8,
            "accept": 1,
            "reject": 2,
            "defects": 3,
        },
        reason="what happens to the lot",
    ),
    "inspection.severity_changed": EventKind(
        "The switching rules moved a supplier's product (normal, tightened, discontinued).",
        {"product": 97, "from": "normal", "to": "tightened"},
        reason="the rule that moved it, or the corrective action",
    ),
    "consumer_order.reserved": EventKind(
        "A storefront order reserved consignment stock (a semi-managed order: the seller's "
        "overseas stock in the market, `warehouse` null).",
        {"listing": 905, "quantity": 2, "warehouse": 3},
    ),
    "consumer_order.fulfilled": EventKind(
        "A consumer order shipped: the goods passed to the platform and a payable to the "
        "supplier was recorded.",
        {**_move("reserved", "fulfilled"), "payable": "37.00", "quantity": 2},
    ),
    "consumer_order.cancelled": EventKind(
        "A consumer order was cancelled; its stock released.", _move("reserved", "cancelled")
    ),
    # --- Shipping ---
    "air_freight_batch.departed": EventKind(
        "An air freight batch left its hub: its parcels departed (those the compliance gate "
        "refused went to the hold queue instead).",
        {**_move("open", "departed"), "parcels": 120, "held": 1},
    ),
    "air_freight_batch.arrived": EventKind(
        "An air freight batch landed in its market: its parcels arrived in destination.",
        _move("departed", "arrived"),
    ),
    "parcel.created": EventKind(
        "A consumer order became a parcel (a fully-managed order when fulfilled, split by "
        "weight; a semi-managed one when placed, for its seller to ship).",
        {
            "order": 512,
            "mode": "platform",
            "market": "US",
            "tracking_number": "UP0000000042",
            "weight_g": 800,
        },
    ),
    "parcel.held": EventKind(
        "The compliance gate refused the parcel's listing in its market: the parcel went to "
        "the hold queue (`reasons`: the answer's reason codes).",
        {"market": "US", "reasons": ["market_hold"]},
    ),
    "parcel.released": EventKind(
        "The compliance answer allows the held parcel to ship again: out of the hold queue.",
        {"market": "US"},
    ),
    "parcel.shipped": EventKind(
        "The parcel left: the seller posted its carrier and tracking number (`batch` null), or "
        "its air freight batch departed.",
        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "batch": None},
    ),
    "overstock.offered": EventKind(
        "Stock unsold for OVERSTOCK_DAYS was offered back to its supplier.",
        {"listing": 905, "quantity": 12, "received_at": "2025-11-20T06:00:00+00:00"},
        reason="how long it has been unsold",
    ),
    "overstock.returned": EventKind(
        "The supplier took overstock back at its freight.",
        {**_move("offered", "returned"), "quantity": 12},
        reason="its note",
    ),
    "overstock.left_for_markdown": EventKind(
        "The supplier left overstock for a markdown.",
        {**_move("offered", "left_for_markdown"), "quantity": 12},
        reason="its note",
    ),
    "overstock.marked_down": EventKind(
        "An operator recorded the markdown.",
        {**_move("left_for_markdown", "marked_down"), "quantity": 12},
        reason="the operator's note",
    ),
    # --- Compliance ---
    # (rules and the answer: lapses and restorations per listing and market)
    "compliance.lapsed": EventKind(
        "A live listing stopped being sellable in a market (the daily expiry job, or a record "
        "changed): a required test or certificate expired, was superseded or rejected, a hold "
        "started. Each reason has its code and, where it has one, its standard and date.",
        {
            "listing": 905,
            "market": "EU",
            "reasons": [{"code": "test_expired", "standard": "EN 71-3", "on": "2026-11-30"}],
        },
        reason="the reasons, in English",
    ),
    "compliance.restored": EventKind(
        "A listing that had lapsed in a market may be sold there again (a new passing record "
        "arrived, a hold was lifted).",
        {"listing": 905, "market": "EU"},
    ),
    "compliance.test_expiring": EventKind(
        "A required test record of a live listing expires within a warning threshold "
        "(COMPLIANCE_EXPIRY_WARNING_DAYS: 30 and 7 days); sent once per record and threshold.",
        {
            "test_record": 41,
            "standard": "EN 71-3",
            "report_number": "RPT-000041",
            "valid_until": "2026-12-12",
            "days": 7,
            "days_left": 7,
            "listings": [905],
        },
    ),
    "compliance.certificate_expiring": EventKind(
        "A verified certificate a live listing relies on expires within a warning threshold "
        "(COMPLIANCE_EXPIRY_WARNING_DAYS); sent once per certificate and threshold.",
        {
            "certificate": 12,
            "number": "DOC-00012",
            "standards": ["EN 71-1"],
            "valid_until": "2027-01-04",
            "days": 30,
            "days_left": 30,
        },
    ),
    # (evidence: labs, test records, certificates)
    "compliance.test_record_posted": EventKind(
        "A test record was recorded: posted by its lab (verified at once), entered by a "
        "compliance officer or uploaded by the supplier (both unverified until checked).",
        {
            "record": 311,
            "product": 97,
            "standard": "EN 71-3",
            "result": "pass",
            "source": "lab",
            "report_number": "SGS-2026-004417",
        },
    ),
    "compliance.test_record_verified": EventKind(
        "A test record was verified (by a second officer, an officer checking a supplier's "
        "upload, or the lab posting the same report): it counts from now.",
        {**_move("unverified", "verified"), "record": 311, "standard": "EN 71-3", "result": "pass"},
        reason="the officer's note",
    ),
    "compliance.test_record_rejected": EventKind(
        "An officer rejected a test record as not genuine or not what it claims.",
        {**_move("unverified", "rejected"), "record": 311, "standard": "EN 71-3", "result": "pass"},
        reason="why",
    ),
    "compliance.test_record_superseded": EventKind(
        "A retest of the same product, supplier and standard replaced a counting record (which "
        "is kept).",
        {"record": 298, "superseded_by": 311, "standard": "EN 71-3"},
    ),
    "compliance.certificate_recorded": EventKind(
        "A certificate was uploaded by the supplier or entered by an officer (unverified).",
        {"certificate": 52, "kind": "cpc", "number": "CPC-2026-0012"},
    ),
    "compliance.certificate_verified": EventKind(
        "An officer checked a certificate with its issuer and found it genuine.",
        {**_move("unverified", "verified"), "certificate": 52, "check_method": "issuer_registry"},
        reason="the officer's note",
    ),
    "compliance.certificate_rejected": EventKind(
        "An officer rejected a certificate as not genuine.",
        {**_move("unverified", "rejected"), "certificate": 52, "check_method": "document"},
        reason="why",
    ),
    "compliance.certificate_efiling_updated": EventKind(
        "The CPSC eFiling data of a certificate changed (the fields named).",
        {"certificate": 52, "fields": ["certifier", "records_keeper"]},
    ),
    # (enforcement: cases, holds, fines, appeals, quarantine)
    "compliance.case_opened": EventKind(
        "A failed test opened an enforcement case: the supplier's listings of the product are "
        "held in the markets the standard covers; at step 2 a fine, at step 3 the supplier "
        "suspended (`fine` is null below step 2).",
        {
            "record": 5120,
            "standard": "EN 71-3",
            "listings": [905, 906],
            "step": 2,
            "markets": ["EU", "UK"],
            "fine": "2000.00",
            "suspended": False,
            "appeal_until": "2026-03-08T06:00:00+00:00",
        },
        reason="the standard and the failed report",
    ),
    "compliance.case_appealed": EventKind(
        "The supplier appealed an enforcement case within the appeal window.",
        {**_move("open", "appealed"), "step": 2, "evidence": True},
        reason="the supplier's appeal (its first 300 characters)",
    ),
    "compliance.case_upheld": EventKind(
        "A compliance officer upheld an appealed case: its effects stand.",
        {**_move("appealed", "upheld"), "step": 2},
        reason="the officer's note",
    ),
    "compliance.case_overturned": EventKind(
        "A compliance officer overturned an appealed case: its fine reversed, its holds lifted, "
        "the supplier reinstated if the case suspended it.",
        {**_move("appealed", "overturned"), "step": 2},
        reason="the officer's note",
    ),
    "compliance.stock_quarantined": EventKind(
        "The available units of a failed lot (or, when the record names no lot, of the held "
        "listings) were quarantined: not sellable, still on hand (`lot` null when none).",
        {"case": 31, "listing": 905, "warehouse": 3, "lot": 88, "quantity": 40},
        reason="the enforcement case",
    ),
    "compliance.quarantine_released": EventKind(
        "Quarantined units were released back to available (an officer, or the case overturned).",
        {**_move("held", "released"), "quantity": 40},
        reason="the officer's note",
    ),
    "compliance.quarantine_written_off": EventKind(
        "Quarantined units were written off by an officer.",
        {**_move("held", "written_off"), "quantity": 40},
        reason="the officer's note",
    ),
    "compliance.market_held": EventKind(
        "A listing was held off sale in a market, by an enforcement case or by an officer "
        "(`case` null).",
        {"hold": 77, "listing": 905, "market": "EU", "reason": "enforcement", "case": 31},
        reason="the hold's note",
    ),
    "compliance.market_lifted": EventKind(
        "A hold was lifted: its case overturned, or an officer lifted it.",
        {"hold": 77, "listing": 905, "market": "EU", "reason": "enforcement", "case": 31},
        reason="why it was lifted",
    ),
    # (audits and corrective actions)
    "compliance.audit_recorded": EventKind(
        "An officer recorded a factory audit; each finding got a corrective action with a due "
        "date (`findings` counts them by severity).",
        {
            "audit": 41,
            "audited_on": "2026-11-20",
            "score": 78,
            "findings": {"critical": 1, "major": 2, "minor": 0},
        },
    ),
    "compliance.action_answered": EventKind(
        "The supplier saved its answer to a corrective action (root cause, containment, "
        "preventive step).",
        {"action": 88},
    ),
    "compliance.action_evidence_added": EventKind(
        "The supplier attached an evidence file to a corrective action.",
        {"action": 88, "evidence": 301},
    ),
    "compliance.action_submitted": EventKind(
        "The supplier marked a corrective action done, for an officer's review.",
        {**_move("open", "submitted"), "action": 88, "due_on": "2026-12-20"},
    ),
    "compliance.action_closed": EventKind(
        "An officer closed a corrective action after reviewing its effectiveness.",
        {**_move("submitted", "closed"), "action": 88, "due_on": "2026-12-20"},
        reason="the effectiveness review",
    ),
    "compliance.action_open": EventKind(
        "An officer reopened a submitted corrective action: the supplier must do more.",
        {**_move("submitted", "open"), "action": 88, "due_on": "2026-12-20"},
        reason="what is still missing",
    ),
    "compliance.action_reminder": EventKind(
        "A corrective action not yet submitted is due in CAPA_REMINDER_DAYS days (10 and 1 by "
        "default); each reminder is sent once.",
        {"action": 88, "due_on": "2026-12-20", "days_left": 10},
    ),
    # (sampling)
    "compliance.sampling_planned": EventKind(
        "The daily draw picked a live listing for a test purchase (not sent to the supplier "
        "until its units are pulled).",
        {"listing": 905, "draw": 12, "weight": "18.000000", "cost": "3000.00"},
        reason="the day of the draw",
    ),
    "compliance.sampling_units_pulled": EventKind(
        "A sampling request's units were pulled: written off consignment stock (kind sample), "
        "or bought from a semi-managed seller (how: stock or purchase).",
        {**_move("planned", "units_pulled"), "units": 1, "how": "stock"},
    ),
    "compliance.sampling_sent_to_lab": EventKind(
        "A sampling request's units went to a lab.",
        {**_move("units_pulled", "sent_to_lab"), "lab": 4, "sent_on": "2026-12-07"},
    ),
    "compliance.sampling_result_recorded": EventKind(
        "The lab's test record of a sampling request arrived (result: pass, fail or inconclusive).",
        {**_move("sent_to_lab", "result_recorded"), "record": 311, "result": "pass"},
    ),
    "compliance.sampling_cancelled": EventKind(
        "A planned sampling request was cancelled; its cost goes back to the month's budget.",
        _move("planned", "cancelled"),
        reason="why, as the officer gave it",
    ),
    # --- Shipping ---
    # (tracking: one event per parcel whose status moved, `at` the time of its new status)
    **{
        f"parcel.{status}": EventKind(
            when, {**_move(before, status), "tracking_number": "LMU0000000412", "at": at}
        )
        for status, before, at, when in (
            (
                "picked_up",
                "created",
                "2026-03-02T01:10:00+00:00",
                "The carrier picked the parcel up (the delivery target counts from here).",
            ),
            (
                "departed_origin",
                "picked_up",
                "2026-03-03T16:40:00+00:00",
                "The parcel left the origin country.",
            ),
            (
                "arrived_destination",
                "departed_origin",
                "2026-03-05T09:00:00+00:00",
                "The parcel arrived in the destination country.",
            ),
            (
                "customs_cleared",
                "arrived_destination",
                "2026-03-06T11:30:00+00:00",
                "Customs released the parcel.",
            ),
            (
                "out_for_delivery",
                "customs_cleared",
                "2026-03-08T07:15:00+00:00",
                "The last-mile partner is out delivering the parcel.",
            ),
            (
                "delivered",
                "out_for_delivery",
                "2026-03-08T15:20:00+00:00",
                "The parcel was delivered (it stays delivered whatever the carrier reports after).",
            ),
            (
                "returned",
                "exception",
                "2026-03-20T10:00:00+00:00",
                "The parcel was returned to its sender.",
            ),
        )
    },
    "parcel.exception": EventKind(
        "The carrier reported a problem and nothing has happened to the parcel since (it moves "
        "on with the next milestone).",
        {
            **_move("out_for_delivery", "exception"),
            "tracking_number": "LMU0000000412",
            "at": "2026-03-08T15:20:00+00:00",
        },
        reason="the carrier's note",
    ),
    "parcel.late": EventKind(
        "The parcel was not delivered DELIVERY_TARGET_DAYS (12) days after pickup; sent once.",
        {
            "tracking_number": "LMU0000000412",
            "picked_up_at": "2026-03-02T01:10:00+00:00",
            "days": 12,
        },
    ),
    # --- Returns ---
    "return.requested": EventKind(
        "A storefront opened a return of items of a delivered parcel (`refund_only`: every "
        "unit is worth less than the refund-only threshold, so nothing travels back).",
        {"parcel": 5120, "units": 2, "refund_only": False},
    ),
    "return.opened": EventKind(
        "The return is authorised: the goods go to the return centre (`return_centre`, a "
        "warehouse id; null for a refund-only return, opened at once).",
        {**_move("requested", "open"), "return_centre": 7},
    ),
    "return.declined": EventKind(
        "An operator declined the return (`decline_reason`: window_ended, final_sale, other).",
        {**_move("requested", "declined"), "decline_reason": "final_sale"},
        reason="the operator's note",
    ),
    "return.cancelled": EventKind(
        "The storefront cancelled the return before the goods were received.",
        _move("open", "cancelled"),
    ),
    "return.received": EventKind(
        "The return centre received and inspected the goods: units received, defective, "
        "restocked and missing.",
        {"received": 2, "defective": 1, "restocked": 1, "missing": 0},
    ),
    "return.closed": EventKind(
        "The return is settled: the goods accounted for and the refund recorded.",
        _move("open", "closed"),
    ),
    "refund.recorded": EventKind(
        "The consumer's refund for a return was recorded (amount in the parcel's currency).",
        {"refund": 311, "amount": "24.99", "currency": "USD", "shipping_included": False},
    ),
    "chargeback.charged": EventKind(
        "Defective returned units were charged back to the supplier: units x the supply price "
        "frozen on the order (CNY) + the handling fee, posted to the deposit.",
        {
            "return": 88,
            "units": 1,
            "unit_supply_price": "20.00",
            "handling_fee": "15.00",
            "amount": "35.00",
        },
    ),
    "chargeback.appealed": EventKind(
        "The supplier appealed a chargeback.",
        _move("standing", "appealed"),
        reason="the supplier's appeal",
    ),
    "chargeback.upheld": EventKind(
        "An operator upheld the appeal: the chargeback is given back (a chargeback_reversal).",
        {**_move("appealed", "upheld"), "amount": "35.00"},
        reason="the operator's note",
    ),
    "chargeback.dismissed": EventKind(
        "An operator dismissed the appeal: the chargeback stands.",
        {**_move("appealed", "dismissed"), "amount": "35.00"},
        reason="the operator's note",
    ),
    # --- Returns: return-rate feedback ---
    "return_rate.warning": EventKind(
        "The daily return-rate job found a listing's 30-day return rate (units returned as "
        "defective or not as described over units sold, at least RETURN_RATE_MIN_UNITS sold) "
        "over RETURN_RATE_LIMIT (8%): the supplier is on warning. Once per breach.",
        {
            "breach": 31,
            "listing": 905,
            "rate": "0.0950",
            "units_sold": 40,
            "units_returned": 4,
            "window_start": "2026-11-05T22:30:00+00:00",
            "window_end": "2026-12-05T22:30:00+00:00",
        },
        reason="the rate, as a percentage",
    ),
    "return_rate.paused": EventKind(
        "The rate is over RETURN_RATE_PAUSE (15%): the listing is paused for an operator's "
        "review (`paused` is false when it was not on sale) and the supplier fined the supply "
        "value of the defective units returned in the window (`fine`, CNY; 0.00 when none). "
        "Appealable until `appeal_until`. Once per breach.",
        {
            "breach": 32,
            "listing": 905,
            "rate": "0.1750",
            "units_sold": 40,
            "units_returned": 7,
            "window_start": "2026-11-05T22:30:00+00:00",
            "window_end": "2026-12-05T22:30:00+00:00",
            "paused": True,
            "fine": "140.00",
            "appeal_until": "2026-12-12T22:30:00+00:00",
        },
        reason="the rate, as a percentage",
    ),
    "return_rate.appealed": EventKind(
        "The supplier appealed a return-rate fine.",
        {**_move("", "pending"), "breach": 32, "listing": 905},
        reason="the supplier's grounds",
    ),
    "return_rate.upheld": EventKind(
        "An operator upheld the appeal: the fine is reversed (the listing stays paused until an "
        "operator resumes it).",
        {**_move("pending", "upheld"), "breach": 32, "listing": 905},
        reason="the operator's note",
    ),
    "return_rate.dismissed": EventKind(
        "An operator dismissed the appeal: the fine stands.",
        {**_move("pending", "dismissed"), "breach": 32, "listing": 905},
        reason="the operator's note",
    ),
    # --- Scorecards ---
    "scorecard.standing_changed": EventKind(
        "The supplier's standing moved with its day's scorecard (from the standing it was last "
        'given; "new" before its first scored scorecard). `score` is the overall score (null '
        "when nothing was scored); `day` is the scorecard's China date.",
        {**_move("good", "poor"), "score": "48.20", "day": "2026-12-05"},
    ),
    # --- Restock proposals ---
    "restock_proposal.proposed": EventKind(
        "The nightly (or on-demand) restock plan proposed a stocking order for a fully-managed "
        "listing: forecast demand over the replenishment time plus safety stock exceeds what is "
        "available, inbound and ordered. `urgent`: the listing is trending. Recorded when the "
        "proposal is made, not when a later run updates it.",
        {"listing": 905, "quantity": 48, "urgent": False},
    ),
    "restock_proposal.withdrawn": EventKind(
        "A later restock plan found the open proposal no longer needed (enough stock on the "
        "way, no orders for RESTOCK_DEAD_DAYS, the supplier's standing very poor, or the "
        "listing no longer planned) and withdrew it.",
        {**_move("open", "withdrawn"), "listing": 905, "quantity": 48},
        reason="why: covered by stock, no orders, very poor standing, or no longer planned",
    ),
}

GROUPS: dict[str, str] = {
    "supplier": "Suppliers",
    "ledger": "The deposit ledger",
    "product": "Products",
    "listing": "Listings and prices",
    "tender": "Tenders",
    "order": "JIT orders and penalties",
    "stocking": "Stocking orders",
    "inbound": "Inbound shipments",
    "inspection": "Inspection",
    "consumer_order": "Consumer orders",
    "overstock": "Overstock",
    "compliance": "Compliance",
    "air_freight_batch": "Shipping: air freight batches",
    "parcel": "Shipping: parcels",
    "return": "Returns",
    "refund": "Refunds",
    "chargeback": "Chargebacks",
    "return_rate": "Return-rate feedback",
    "scorecard": "Scorecards",
    "restock_proposal": "Restock proposals",
}


# --- docs/webhooks.md -------------------------------------------------------------------------

DOC_BEGIN = (
    "<!-- BEGIN EVENT KINDS: written by `python manage.py webhook_docs` from "
    "marketplace/event_kinds.py; edit that list, not this section. -->"
)
DOC_END = "<!-- END EVENT KINDS -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def kinds_markdown() -> str:
    """The section of docs/webhooks.md that lists every kind, between DOC_BEGIN and DOC_END."""
    import json

    lines = [DOC_BEGIN, ""]
    lines.append(
        f"{len(EVENT_KINDS)} kinds. `reason` is empty where the table leaves it blank; "
        "`payload` is `{}` for kinds without one. A key in *italics* is sent only sometimes."
    )
    for prefix, title in GROUPS.items():
        kinds = {k: v for k, v in EVENT_KINDS.items() if k.split(".")[0] == prefix}
        if not kinds:
            continue
        lines += ["", f"### {title}", ""]
        lines.append("| Kind | When | `reason` | `payload` example |")
        lines.append("| --- | --- | --- | --- |")
        for kind, spec in kinds.items():
            example = json.dumps(dict(spec.payload), ensure_ascii=False, separators=(",", ":"))
            optional = ", ".join(f"*{key}*" for key in spec.payload if key in spec.optional)
            payload = f"`{example}`" + (f" ({optional} optional)" if optional else "")
            lines.append(f"| `{kind}` | {_cell(spec.when)} | {_cell(spec.reason)} | {payload} |")
    lines += ["", DOC_END]
    return "\n".join(lines)


def with_kinds_section(document: str) -> str:
    """`document` with its generated section replaced by the current one."""
    try:
        head, rest = document.split(DOC_BEGIN, 1)
        _old, tail = rest.split(DOC_END, 1)
    except ValueError:
        raise ValueError(f"the document has no {DOC_BEGIN!r} ... {DOC_END!r} section") from None
    return head + kinds_markdown() + tail
