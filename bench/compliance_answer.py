"""The compliance answer against its floor (issue 12, "Benchmark"); run by `make bench`.

On the throwaway PostgreSQL database bench/run.py made (with the SPEC's programmes, which its
migrations seed):

1. seed N live listings (BENCH_COMPLIANCE_LISTINGS, default 100,000) of 1,000 suppliers in toys,
   building blocks (a child of toys), electronics, cosmetics and home goods, with their
   evidence: a lab record for every test requirement (most passing in date; some failed,
   expired, or from a lab that is not CPSC-accepted; some missing), a certificate per supplier
   and certificate standard covering its products (a few unverified, a few without their
   eFiling data), GPSR details on most listings, market holds on 1% of them, an open critical
   finding for 2% of the suppliers and 5% of the suppliers suspended;
2. the floor: one hand-written SQL statement that judges every (listing, market) for US, EU
   and UK (programme precedence, latest counting record per standard, CPSC flag, certificate
   ranking, eFiling, GPSR, high-risk rule, holds, findings, suspension), returning whether it
   may be sold and how many reasons; timed;
3. `compliance_answers(Listing.objects.all(), ["US", "EU", "UK"])`, timed (queries counted);
4. the two compared: the same may-sell and the same number of reasons for every pair;
5. the per-order gate (`orders.services.orders.compliance_gate`, as order creation calls it,
   the listing loaded with its product and category): p50 / p95 ms and its queries, over
   BENCH_COMPLIANCE_GATES (default 500) random listings.

Goals: set-based <= 2 x floor; the gate <= 2 queries and < 5 ms.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import statistics
import time
from typing import Any

MARKETS = ["US", "EU", "UK"]

FLOOR_SQL = """
WITH prog AS (
    SELECT DISTINCT ON (market, category_id) id, market, category_id
    FROM compliance_testprogramme
    WHERE effective_from <= %(day)s AND (effective_to IS NULL OR effective_to >= %(day)s)
      AND market IN ('US', 'EU', 'UK')
    ORDER BY market, category_id, effective_from DESC, id DESC
),
req AS (
    SELECT r.programme_id, r.standard_id, r.evidence, r.lab_flag, r.efiling
    FROM compliance_programmerequirement r
    JOIN compliance_standard st ON st.id = r.standard_id
    WHERE st.effective_from <= %(day)s AND (st.effective_to IS NULL OR st.effective_to >= %(day)s)
),
lm AS (
    SELECT l.id AS listing_id, l.product_id, l.supplier_id, m.market, c.id AS category_id,
           c.parent_id, c.risk_level, s.status AS supplier_status,
           btrim(l.gpsr_manufacturer) <> '' AND btrim(l.eu_responsible_person) <> '' AS gpsr_ok,
           coalesce(p1.id, p2.id, p3.id) AS programme_id
    FROM catalogue_listing l
    JOIN catalogue_product pr ON pr.id = l.product_id
    JOIN catalogue_category c ON c.id = pr.category_id
    JOIN suppliers_supplier s ON s.id = l.supplier_id
    CROSS JOIN (VALUES ('US'), ('EU'), ('UK')) AS m(market)
    LEFT JOIN prog p1 ON p1.market = m.market AND p1.category_id = c.id
    LEFT JOIN prog p2 ON p2.market = m.market AND p2.category_id = c.parent_id
    LEFT JOIN prog p3 ON p3.market = m.market AND p3.category_id IS NULL
),
counting AS (
    SELECT t.*, lab.cpsc_accepted
    FROM compliance_testrecord t JOIN compliance_lab lab ON lab.id = t.lab_id
    WHERE t.status = 'verified' AND t.verified_at <= %(at)s AND t.recorded_at <= %(at)s
      AND ((t.superseded_by_id IS NULL AND t.superseded_at IS NULL) OR t.superseded_at > %(at)s)
),
rec AS (
    SELECT DISTINCT ON (product_id, supplier_id, standard_id)
           product_id, supplier_id, standard_id, result, valid_until
    FROM counting
    ORDER BY product_id, supplier_id, standard_id, issued_on DESC, recorded_at DESC, id DESC
),
rec_cpsc AS (
    SELECT DISTINCT ON (product_id, supplier_id, standard_id)
           product_id, supplier_id, standard_id, result, valid_until
    FROM counting WHERE cpsc_accepted
    ORDER BY product_id, supplier_id, standard_id, issued_on DESC, recorded_at DESC, id DESC
),
cert AS (
    SELECT DISTINCT ON (cp.product_id, c.supplier_id, cs.standard_id)
           cp.product_id, c.supplier_id, cs.standard_id,
           CASE WHEN c.status = 'verified' AND c.checked_at <= %(at)s
                     AND c.valid_until >= %(day)s THEN 0
                WHEN c.status = 'verified' AND c.checked_at <= %(at)s THEN 2
                WHEN c.status = 'rejected' AND c.checked_at <= %(at)s THEN 3
                ELSE 1 END AS rank,
           c.rules_cited <> '' AND c.certifier <> '' AND c.manufactured_on IS NOT NULL
               AND c.manufactured_at <> '' AND c.last_tested_on IS NOT NULL
               AND c.last_tested_at <> '' AND c.test_lab_id IS NOT NULL
               AND c.records_keeper <> '' AS efiling_complete
    FROM compliance_certificate c
    JOIN compliance_certificate_products cp ON cp.certificate_id = c.id
    JOIN compliance_certificate_standards cs ON cs.certificate_id = c.id
    WHERE c.recorded_at <= %(at)s
    ORDER BY cp.product_id, c.supplier_id, cs.standard_id, 4, c.valid_until DESC,
             c.issued_on DESC, c.id DESC
),
failing AS (
    SELECT lm.listing_id, lm.market, count(*) AS n
    FROM lm
    JOIN req ON req.programme_id = lm.programme_id
    LEFT JOIN rec r ON r.product_id = lm.product_id AND r.supplier_id = lm.supplier_id
                   AND r.standard_id = req.standard_id
    LEFT JOIN rec_cpsc rc ON rc.product_id = lm.product_id AND rc.supplier_id = lm.supplier_id
                   AND rc.standard_id = req.standard_id
    LEFT JOIN cert k ON k.product_id = lm.product_id AND k.supplier_id = lm.supplier_id
                   AND k.standard_id = req.standard_id
    WHERE NOT coalesce(CASE req.evidence
        WHEN 'listing_details' THEN lm.gpsr_ok
        WHEN 'certificate' THEN k.rank = 0
            AND NOT (req.efiling AND %(day)s >= %(efiling_from)s AND NOT k.efiling_complete)
        ELSE
            CASE WHEN req.lab_flag = 'cpsc_accepted'
                 THEN rc.result = 'pass' AND rc.valid_until >= %(day)s
                 ELSE r.result = 'pass' AND r.valid_until >= %(day)s END
            OR (req.evidence = 'test_or_certificate' AND lm.risk_level <> 'high'
                AND k.rank = 0
                AND NOT (req.efiling AND %(day)s >= %(efiling_from)s
                         AND NOT k.efiling_complete))
        END, false)
    GROUP BY lm.listing_id, lm.market
),
judged AS (
    SELECT lm.listing_id, lm.market,
           (lm.supplier_status = 'suspended') AS suspended,
           EXISTS (SELECT 1 FROM compliance_markethold h
                   WHERE h.listing_id = lm.listing_id AND h.market = lm.market
                     AND h.started_at <= %(at)s
                     AND (h.lifted_at IS NULL OR h.lifted_at > %(at)s)) AS held,
           EXISTS (SELECT 1 FROM compliance_finding f
                   JOIN compliance_audit a ON a.id = f.audit_id
                   LEFT JOIN compliance_correctiveaction ca ON ca.finding_id = f.id
                   WHERE a.supplier_id = lm.supplier_id AND f.severity = 'critical'
                     AND a.recorded_at <= %(at)s
                     AND (f.category_id IS NULL OR f.category_id IN (lm.category_id, lm.parent_id))
                     AND NOT (ca.closed_at IS NOT NULL AND ca.closed_at <= %(at)s)) AS finding,
           coalesce(f.n, 0) AS failing
    FROM lm LEFT JOIN failing f ON f.listing_id = lm.listing_id AND f.market = lm.market
)
SELECT listing_id, market,
       NOT (suspended OR held OR finding OR failing > 0) AS may_sell,
       suspended::int + held::int + finding::int + failing AS reasons
FROM judged
"""


def _seed(n: int) -> dict[str, Any]:
    """N live listings with their evidence (mostly set-based SQL)."""
    from django.apps import apps as django_apps
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Category
    from compliance.models import Lab, ProgrammeRequirement, Standard
    from compliance.selectors.answer import _programmes, _rules_for
    from suppliers.models import Supplier

    now = timezone.now()
    today = timezone.localdate()
    tag = now.strftime("%y%m%d%H%M%S")
    Supplier.objects.bulk_create(
        Supplier(
            name_zh=f"合规基准{tag}-{i}",
            name_en=f"Compliance bench {tag}-{i}",
            credit_code=f"C{tag}{i:05d}",
            contact_name="Bench",
            status=Supplier.Status.SUSPENDED if i % 20 == 7 else Supplier.Status.ACTIVE,
        )
        for i in range(1000)
    )
    # The SPEC's programmes as migrate seeds them (a benchmark run before this one may have
    # emptied the database); seeding again changes nothing when they are there.
    seed_programmes = importlib.import_module(
        "compliance.migrations.0006_seed_required_standards"
    ).seed
    seed_programmes(django_apps, None)
    toys = Category.objects.get(code="toys")
    Category.objects.get_or_create(
        code="bench-blocks",
        defaults={"name_en": "Blocks", "name_zh": "积木", "parent": toys, "risk_level": "high"},
    )
    Category.objects.get_or_create(
        code="bench-home", defaults={"name_en": "Home", "name_zh": "家居", "risk_level": "low"}
    )
    codes = ["toys", "bench-blocks", "electronics", "cosmetics", "bench-home"]
    categories = {c.code: c for c in Category.objects.filter(code__in=codes)}
    cpsc = Lab.objects.create(name=f"Bench lab A {tag}", cpsc_accepted=True)
    other = Lab.objects.create(name=f"Bench lab B {tag}", cpsc_accepted=False)
    officer = get_user_model().objects.create_user(username=f"bench-officer-{tag}")

    # Which standards each category needs tested, and certified, in the three markets.
    programmes = _programmes(today, MARKETS)
    tested: list[tuple[int, int]] = []
    certified: list[tuple[int, int]] = []
    for code in codes:
        category = categories[code]
        for market in MARKETS:
            for rule in _rules_for(programmes, market, category.pk, category.parent_id):
                if rule.needs_test:
                    tested.append((category.pk, rule.standard_id))
                if (
                    rule.evidence != ProgrammeRequirement.Evidence.LAB_TEST
                    and rule.needs_certificate
                ):
                    certified.append((category.pk, rule.standard_id))
    tested, certified = sorted(set(tested)), sorted(set(certified))
    assert Standard.objects.exists()

    def values(pairs: list[tuple[int, int]]) -> str:
        return ", ".join(f"({a}, {b})" for a, b in pairs)

    category_ids = ", ".join(str(categories[c].pk) for c in codes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM suppliers_supplier WHERE credit_code LIKE %s",
            [f"C{tag}%"],
        )
        first_supplier, _last = cursor.fetchone()
        cursor.execute(
            f"""
            INSERT INTO catalogue_product (title_en, title_zh, category_id, attributes, hs_code,
                weight_g, length_cm, width_cm, height_cm, declared_value_usd, owner_id,
                created_at)
            SELECT 'Bench product ' || i, '基准商品' || i,
                   (ARRAY[{category_ids}])[1 + i %% 5], '{{}}', '950300', 300, 20, 10, 5, 5,
                   %(first)s + i %% 1000, %(now)s
            FROM generate_series(0, %(n)s - 1) AS i
            """,
            {"first": first_supplier, "now": now, "n": n},
        )
        cursor.execute(
            """
            INSERT INTO catalogue_listing (supplier_id, product_id, mode, is_jit, status,
                status_reason, status_changed_at, paused_for_stock, supply_price_cny,
                gpsr_manufacturer, eu_responsible_person, created_at)
            SELECT p.owner_id, p.id, 'fully_managed', false, 'live', '', %(now)s, false, 10,
                   CASE WHEN p.id %% 10 = 3 THEN '' ELSE 'Maker Co., Shantou, CN' END,
                   'EU Rep GmbH, Hamburg, DE', %(now)s
            FROM catalogue_product p WHERE p.title_en LIKE 'Bench product %%'
            """,
            {"now": now},
        )
        # A record per tested standard: mostly passing in date; 4% failed, 4% expired,
        # 3% from a lab that is not CPSC-accepted, 3% missing.
        cursor.execute(
            f"""
            INSERT INTO compliance_testrecord (product_id, supplier_id, standard_id, lab_id,
                report_number, result, issued_on, valid_until, report_file, report_sha256,
                source, status, recorded_at, verified_at, status_note)
            SELECT l.product_id, l.supplier_id, need.standard_id,
                   CASE WHEN h BETWEEN 92 AND 94 THEN %(other)s ELSE %(cpsc)s END,
                   'B-' || l.id || '-' || need.standard_id,
                   CASE WHEN h BETWEEN 84 AND 87 THEN 'fail' ELSE 'pass' END,
                   %(today)s::date - 200,
                   CASE WHEN h BETWEEN 88 AND 91 THEN %(today)s::date - 5
                        ELSE %(today)s::date + 165 END,
                   '', '', 'lab', 'verified', %(now)s - interval '199 days',
                   %(now)s - interval '199 days', ''
            FROM catalogue_listing l
            JOIN catalogue_product p ON p.id = l.product_id
            JOIN (VALUES {values(tested)}) AS need(category_id, standard_id)
              ON need.category_id = p.category_id
            CROSS JOIN LATERAL (SELECT (l.id * 31 + need.standard_id * 17) %% 100 AS h) AS x
            WHERE p.title_en LIKE 'Bench product %%' AND h < 97
            """,
            {"other": other.pk, "cpsc": cpsc.pk, "today": today, "now": now},
        )
        # A certificate per supplier and certified standard, covering its products that need
        # it: 3% unverified, 3% without their eFiling data.
        cursor.execute(
            f"""
            INSERT INTO compliance_certificate (supplier_id, kind, issuer, number, scope,
                issued_on, valid_until, file, file_sha256, status, check_method, checked_at,
                check_note, rules_cited, certifier, manufactured_on, manufactured_at,
                last_tested_on, last_tested_at, test_lab_id, records_keeper, recorded_by_id,
                checked_by_id, recorded_at)
            SELECT s.id, 'other', 'Bench issuer', 'BC-' || s.id || '-' || std.standard_id, '',
                   %(today)s::date - 100, %(today)s::date + 600, '', '',
                   CASE WHEN h < 3 THEN 'unverified' ELSE 'verified' END,
                   'document', CASE WHEN h < 3 THEN NULL ELSE %(now)s - interval '90 days' END,
                   '', 'rules', CASE WHEN h BETWEEN 3 AND 5 THEN '' ELSE 'Importer' END,
                   %(today)s::date - 120, 'Shantou', %(today)s::date - 200, 'Shenzhen',
                   %(cpsc)s, 'Importer records', %(officer)s, %(officer)s,
                   %(now)s - interval '100 days'
            FROM suppliers_supplier s
            CROSS JOIN (SELECT DISTINCT standard_id FROM (VALUES {values(certified)})
                        AS c(category_id, standard_id)) AS std
            CROSS JOIN LATERAL (SELECT (s.id * 13 + std.standard_id * 7) %% 100 AS h) AS x
            WHERE s.credit_code LIKE %(tag)s
            """,
            {"today": today, "now": now, "cpsc": cpsc.pk, "officer": officer.pk, "tag": f"C{tag}%"},
        )
        cursor.execute(
            """
            INSERT INTO compliance_certificate_standards (certificate_id, standard_id)
            SELECT c.id, split_part(c.number, '-', 3)::int
            FROM compliance_certificate c WHERE c.issuer = 'Bench issuer'
            """
        )
        cursor.execute(
            f"""
            INSERT INTO compliance_certificate_products (certificate_id, product_id)
            SELECT c.id, p.id
            FROM compliance_certificate c
            JOIN compliance_certificate_standards cs ON cs.certificate_id = c.id
            JOIN (VALUES {values(certified)}) AS need(category_id, standard_id)
              ON need.standard_id = cs.standard_id
            JOIN catalogue_product p ON p.owner_id = c.supplier_id
                                    AND p.category_id = need.category_id
            WHERE c.issuer = 'Bench issuer' AND p.title_en LIKE 'Bench product %%'
            """
        )
        cursor.execute(
            """
            INSERT INTO compliance_markethold
                (listing_id, market, reason, note, lift_note, started_at)
            SELECT l.id, 'EU', 'officer', '', '', %(now)s - interval '3 days'
            FROM catalogue_listing l WHERE l.id %% 100 = 11
            """,
            {"now": now},
        )
        cursor.execute(
            """
            INSERT INTO compliance_audit (supplier_id, auditor, audited_on, score, report_file,
                recorded_by_id, recorded_at)
            SELECT s.id, 'Bench audits', %(today)s::date - 30, 50, '', %(officer)s,
                   %(now)s - interval '30 days'
            FROM suppliers_supplier s
            WHERE s.credit_code LIKE %(tag)s AND s.id %% 50 = 5
            """,
            {"today": today, "now": now, "officer": officer.pk, "tag": f"C{tag}%"},
        )
        cursor.execute(
            """
            INSERT INTO compliance_finding (audit_id, severity, category_id, area, description)
            SELECT a.id, 'critical', NULL, 'chemicals', 'bench'
            FROM compliance_audit a WHERE a.auditor = 'Bench audits'
            """
        )
        for table in (
            "catalogue_listing",
            "catalogue_product",
            "compliance_testrecord",
            "compliance_certificate",
            "compliance_certificate_products",
            "compliance_certificate_standards",
            "compliance_markethold",
        ):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM compliance_testrecord")
        records = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM compliance_certificate_products")
        covered = cursor.fetchone()[0]
    return {"records": records, "certificate_products": covered}


def run() -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from catalogue.models import Listing
    from compliance.selectors.answer import compliance_answers
    from marketplace.errors import DomainError
    from orders.services.orders import compliance_gate

    if connection.vendor != "postgresql":
        raise SystemExit("the compliance benchmark needs PostgreSQL (set DATABASE_URL)")
    n = int(os.environ.get("BENCH_COMPLIANCE_LISTINGS", "100000"))
    gates = int(os.environ.get("BENCH_COMPLIANCE_GATES", "500"))
    started = time.perf_counter()
    seeded = _seed(n)
    print(
        f"seeded {n:,} listings, {seeded['records']:,} test records, "
        f"{seeded['certificate_products']:,} certificate-product rows in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    at = timezone.now()
    day = timezone.localdate(at)

    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        started = time.perf_counter()
        cursor.execute(
            FLOOR_SQL, {"at": at, "day": day, "efiling_from": settings.EFILING_REQUIRED_FROM}
        )
        floor = {(lid, market): (may, reasons) for lid, market, may, reasons in cursor.fetchall()}
        floor_seconds = time.perf_counter() - started

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        answers = compliance_answers(Listing.objects.all(), MARKETS, at=at)
        answer_seconds = time.perf_counter() - started
    mine = {key: (a.may_sell, len(a.reasons)) for key, a in answers.items()}
    same = mine == floor
    blocked = sum(1 for may, _ in floor.values() if not may)
    print(f"floor (one SQL statement)              {floor_seconds:8.2f} s   {len(floor):,} answers")
    print(
        f"compliance_answers() set-based         {answer_seconds:8.2f} s   "
        f"{len(queries.captured_queries)} queries"
    )
    print(
        f"ratio answers / floor                  {answer_seconds / floor_seconds:8.2f}"
        "     (goal <= 2)"
    )
    print(f"blocked pairs: {blocked:,} of {len(floor):,}")
    if not same:
        diff = [k for k in floor if floor[k] != mine.get(k)][:5]
        print(
            "differences (listing, market): floor vs answers",
            [(k, floor[k], mine.get(k)) for k in diff],
        )
    print(
        f"same may-sell and reason counts for every listing and market: {'yes' if same else 'NO'}"
    )

    # The per-order gate, as order creation calls it.
    ids = list(Listing.objects.values_list("pk", flat=True))
    rng = random.Random(12)
    sample = rng.sample(ids, min(gates, len(ids)))
    timings, counts = [], []
    for pk in sample:
        listing = Listing.objects.select_related("supplier", "product__category").get(pk=pk)
        market = rng.choice(MARKETS)
        with CaptureQueriesContext(connection) as gate_queries:
            started = time.perf_counter()
            with contextlib.suppress(DomainError):
                compliance_gate(listing, market)
            timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(gate_queries.captured_queries))
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"per-order gate (compliance_gate, {len(sample)} orders): p50 {p50:.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms; queries {max(counts)} "
        "(goal <= 2 queries, < 5 ms)"
    )
    if not same or max(counts) > 2:
        raise SystemExit("the set-based answers and the floor disagree, or the gate costs more")
