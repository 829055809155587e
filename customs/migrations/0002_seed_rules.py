# The SPEC's customs tables as data ("Rules tables", "Customs de minimis"): the de minimis rules
# per market with their dates, a few duty chapters per market, the consumption tax, exchange
# rates and freight rates. Operators edit all of it in the admin afterwards: a rule changes by
# ending a row (effective to) and starting another, so a past decision replays as it was made.
#
# How a row is read (customs.selectors.judge): the channel-specific row of a market beats the
# any-channel one, and a row limited to some origins beats the row for any origin when every
# item of the parcel comes from them (Canada: goods from the US or Mexico by courier). A
# threshold left blank gives no relief of that kind: the tax is due from the first unit. The
# thresholds are inclusive ("up to").
#
# The duty and tax rates are seed values: typical published MFN figures per chapter (a 6-digit
# subheading where an example helps), not a tariff schedule. Check them before relying on them.

from datetime import date
from decimal import Decimal

from django.db import migrations

OPEN = None

# market, channel, origins, excluded origins, outcome, currency, duty threshold, tax threshold,
# flat duty, requires IOSS, tax at sale, from, to, source, note
DE_MINIMIS = [
    ("US", "", "", "", "relief", "USD", "800", "800", None, False, False,
     date(2016, 3, 10), date(2025, 5, 1),
     "19 USC 1321 as amended by the Trade Facilitation and Trade Enforcement Act of 2015: "
     "duty-free up to USD 800 per person per day, from 2016-03-10.", ""),
    ("US", "", "", "CN,HK", "relief", "USD", "800", "800", None, False, False,
     date(2025, 5, 2), date(2025, 8, 28),
     "Executive order 14256: goods from China and Hong Kong excluded from de minimis from "
     "2025-05-02.",
     "Postal items: 120% ad valorem or a flat fee per item (enter it as duty rows if needed)."),
    ("US", "", "", "*", "none", "USD", None, None, None, False, False,
     date(2025, 8, 29), OPEN,
     "Executive order 14324 and Federal Register 2025-14897: de minimis suspended for all "
     "origins from 2025-08-29; every parcel is entered with duty.",
     "Statutory repeal of commercial de minimis from 2027-07-01; the suspension continued after "
     "the Supreme Court's ruling of 2026-02-20."),
    ("EU", "", "", "", "relief", "EUR", "150", None, None, True, True,
     date(2021, 7, 1), date(2026, 6, 30),
     "Regulation (EC) 1186/2009 art. 23 (duty relief up to EUR 150); VAT e-commerce package "
     "(Directive (EU) 2017/2455): import VAT from the first euro, collected at sale via IOSS, "
     "from 2021-07-01.", ""),
    ("EU", "", "", "", "flat_per_subheading", "EUR", "150", None, "3", True, True,
     date(2026, 7, 1), date(2028, 7, 1),
     "EU Council decisions of 12 Dec 2025 and 11 Feb 2026: the EUR 150 duty relief replaced by "
     "a flat EUR 3 per distinct tariff subheading (6-digit HS) in parcels under EUR 150, for "
     "sellers registered in IOSS, 2026-07-01 to 2028-07-01.",
     "National handling fees may add (e.g. Italy EUR 2 per consignment from 2026-01-01)."),
    ("UK", "", "", "", "relief", "GBP", "135", None, None, False, True,
     date(2021, 1, 1), OPEN,
     "HMRC low-value imports from 2021-01-01: customs duty relief up to GBP 135; VAT charged "
     "by the seller or marketplace at sale.",
     "Abolition announced (UK Budget of 26 Nov 2025), in force by 2029 at the latest."),
    ("CA", "courier", "", "", "relief", "CAD", "20", "20", None, False, False,
     date(2020, 7, 1), OPEN,
     "CBSA customs notice 20-18: courier shipments up to CAD 20 free of duty and taxes "
     "(origins other than the US and Mexico; those have their own row).", ""),
    ("CA", "courier", "US,MX", "", "relief", "CAD", "150", "40", None, False, False,
     date(2020, 7, 1), OPEN,
     "CBSA customs notice 20-18 (CUSMA): courier shipments from the US or Mexico free of duty "
     "up to CAD 150 and of taxes up to CAD 40, from 2020-07-01.", ""),
    ("CA", "postal", "", "", "relief", "CAD", "20", "20", None, False, False,
     date(2020, 7, 1), OPEN,
     "CBSA customs notice 20-18: postal items up to CAD 20 free of duty and taxes.", ""),
    ("AU", "", "", "", "relief", "AUD", "1000", None, None, False, True,
     date(2018, 7, 1), OPEN,
     "Australian low value imported goods rules from 2018-07-01: duty-free up to AUD 1,000; "
     "10% GST collected by the seller or marketplace at sale.", ""),
    ("JP", "", "", "", "relief", "JPY", "10000", "10000", None, False, False,
     date(2000, 1, 1), OPEN,
     "Japan Customs: goods with a customs value of JPY 10,000 or less are free of duty and "
     "consumption tax. A long-standing rule: 2000-01-01 is a date picked for the seed, not its "
     "start.",
     "Reform announced for 2028."),
]

# The US Section 122 surcharge (SPEC): an `additional` row on every HS code, all origins.
SECTION_122 = (
    "US", "", "10.000", date(2026, 2, 24), date(2026, 7, 23),
    "Section 122 proclamation after the Supreme Court's ruling of 2026-02-20 (Learning "
    "Resources v. Trump, IEEPA tariffs void): a temporary 10% surcharge on all imports, postal "
    "included, for 150 days from 2026-02-24 (announced to rise to 15%; unless extended).",
)

SEED_FROM = date(2000, 1, 1)
SEED_NOTE = "Seed value (typical published MFN rate); check before relying on it."

# market -> [(HS prefix, MFN %)]; the blank prefix is the market's default.
DUTY_RATES = {
    "US": [("", "3.0"), ("33", "0.0"), ("39", "5.3"), ("61", "16.0"), ("610910", "16.5"),
           ("62", "15.0"), ("85", "1.7"), ("95", "0.0")],
    "EU": [("", "4.0"), ("33", "0.0"), ("39", "6.5"), ("61", "12.0"), ("62", "12.0"),
           ("85", "2.7"), ("95", "0.0"), ("950300", "4.7")],
    "UK": [("", "4.0"), ("33", "0.0"), ("39", "6.0"), ("61", "12.0"), ("62", "12.0"),
           ("85", "2.0"), ("95", "0.0")],
    "CA": [("", "5.0"), ("33", "6.5"), ("39", "6.5"), ("61", "18.0"), ("62", "17.0"),
           ("85", "0.0"), ("95", "0.0")],
    "AU": [("", "5.0"), ("33", "5.0"), ("39", "5.0"), ("61", "5.0"), ("62", "5.0"),
           ("85", "0.0"), ("95", "0.0")],
    "JP": [("", "3.0"), ("33", "0.0"), ("39", "3.9"), ("61", "9.1"), ("62", "9.1"),
           ("85", "0.0"), ("95", "0.0")],
}

# market, rate %, from, to, source
TAX_RATES = [
    ("US", "0.000", SEED_FROM, OPEN, "No federal VAT or GST on imports."),
    ("EU", "21.000", SEED_FROM, OPEN,
     "A representative standard VAT rate (21%: the Netherlands, Belgium, Spain); the member "
     "state of destination's rate applies."),
    ("UK", "20.000", date(2011, 1, 4), OPEN, "UK standard VAT rate, 20% from 2011-01-04."),
    ("CA", "5.000", date(2008, 1, 1), OPEN,
     "Canada GST, 5% from 2008-01-01 (provincial HST or PST not included)."),
    ("AU", "10.000", date(2000, 7, 1), OPEN, "Australia GST, 10% from 2000-07-01."),
    ("JP", "8.000", date(2014, 4, 1), date(2019, 9, 30), "Japan consumption tax, 8%."),
    ("JP", "10.000", date(2019, 10, 1), OPEN, "Japan consumption tax, 10% from 2019-10-01."),
]

# One US dollar in each currency on each date (indicative market rates; seed values).
USD_RATES = {
    date(2025, 1, 1): {"EUR": "0.9615", "GBP": "0.7990", "CAD": "1.4380", "AUD": "1.6150",
                       "JPY": "157.2000", "CNY": "7.2993"},
    date(2025, 7, 1): {"EUR": "0.8490", "GBP": "0.7290", "CAD": "1.3620", "AUD": "1.5230",
                       "JPY": "144.0000", "CNY": "7.1620"},
    date(2026, 1, 1): {"EUR": "0.8520", "GBP": "0.7430", "CAD": "1.3730", "AUD": "1.4950",
                       "JPY": "156.5000", "CNY": "6.9900"},
}
RATE_SOURCE = "Seed value: indicative market rate of the day; operators keep the table."
EIGHT_PLACES = Decimal("0.00000001")

# CNY per kilogram of air freight and last mile, from 2025-01-01 (seed values).
FREIGHT = {"US": "62.00", "EU": "55.00", "UK": "58.00", "CA": "66.00", "AU": "60.00",
           "JP": "38.00"}


def _amount(text):
    return Decimal(text) if text is not None else None


def _exchange_rates():
    """(base, quote, rate, day): USD and CNY to and from each other currency."""
    rows = []
    for day, quotes in USD_RATES.items():
        usd = {code: Decimal(rate) for code, rate in quotes.items()}
        for code, rate in usd.items():
            rows.append(("USD", code, rate, day))
            rows.append((code, "USD", (1 / rate).quantize(EIGHT_PLACES), day))
        cny = usd["CNY"]
        for code, rate in usd.items():
            if code == "CNY":
                continue
            per_cny = (rate / cny).quantize(EIGHT_PLACES)
            rows.append(("CNY", code, per_cny, day))
            rows.append((code, "CNY", (cny / rate).quantize(EIGHT_PLACES), day))
    return rows


def seed(apps, schema_editor):
    """Idempotent: seeding again (a benchmark on an emptied database) changes nothing when the
    rows are there."""
    DeMinimisRule = apps.get_model("customs", "DeMinimisRule")
    DutyRate = apps.get_model("customs", "DutyRate")
    TaxRate = apps.get_model("customs", "TaxRate")
    ExchangeRate = apps.get_model("customs", "ExchangeRate")
    FreightRate = apps.get_model("customs", "FreightRate")

    for (market, channel, origins, excluded, outcome, currency, duty_threshold, tax_threshold,
         flat, ioss, at_sale, start, end, source, note) in DE_MINIMIS:
        DeMinimisRule.objects.update_or_create(
            market=market,
            channel=channel,
            origins=origins,
            effective_from=start,
            defaults={
                "excluded_origins": excluded,
                "outcome": outcome,
                "currency": currency,
                "duty_threshold": _amount(duty_threshold),
                "tax_threshold": _amount(tax_threshold),
                "flat_duty": _amount(flat),
                "requires_ioss": ioss,
                "tax_at_sale": at_sale,
                "effective_to": end,
                "source": source,
                "note": note,
            },
        )
    for market, rates in DUTY_RATES.items():
        for prefix, rate in rates:
            DutyRate.objects.update_or_create(
                market=market,
                hs_prefix=prefix,
                origins="",
                additional=False,
                effective_from=SEED_FROM,
                defaults={"rate_percent": Decimal(rate), "source": SEED_NOTE},
            )
    market, prefix, rate, start, end, source = SECTION_122
    DutyRate.objects.update_or_create(
        market=market,
        hs_prefix=prefix,
        origins="",
        additional=True,
        effective_from=start,
        defaults={"rate_percent": Decimal(rate), "effective_to": end, "source": source},
    )
    for market, rate, start, end, source in TAX_RATES:
        TaxRate.objects.update_or_create(
            market=market,
            hs_prefix="",
            effective_from=start,
            defaults={"rate_percent": Decimal(rate), "effective_to": end, "source": source},
        )
    for base, quote, rate, day in _exchange_rates():
        ExchangeRate.objects.update_or_create(
            base=base,
            quote=quote,
            effective_from=day,
            defaults={"rate": rate, "source": RATE_SOURCE},
        )
    for market, per_kg in FREIGHT.items():
        FreightRate.objects.update_or_create(
            market=market,
            effective_from=date(2025, 1, 1),
            defaults={"per_kg_cny": Decimal(per_kg)},
        )


class Migration(migrations.Migration):
    dependencies = [("customs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
