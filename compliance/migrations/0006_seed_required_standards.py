# The SPEC's "Required standards by category and market" table as data: the high-risk categories,
# the standards (with the CPSIA limits their measured values are judged by) and one programme per
# category and market. Operators edit all of it in the admin afterwards.
#
# How a programme applies (compliance.selectors.answer): a category's own programme in a market
# replaces the general one there (its parent's, then the programme without a category), so each
# category programme below repeats the general requirement that still applies (GPSR in the EU).
# A US children's product carries a Children's Product Certificate instead of a General
# Certificate of Conformity.

from datetime import date
from decimal import Decimal

from django.db import migrations

LAB = "lab_test"
EITHER = "test_or_certificate"
CERT = "certificate"
LISTING = "listing_details"

# code, title, market, what it covers, cost of one test (CNY), effective from, effective to
STANDARDS = [
    ("ASTM F963-23", "Standard Consumer Safety Specification for Toy Safety", "US",
     "Mechanical, physical, flammability and chemical safety of toys; mandatory from 2024-04-20.",
     "3800.00", date(2024, 4, 20), None),
    ("CPSIA", "Consumer Product Safety Improvement Act: lead and phthalates", "US",
     "Lead <= 100 ppm in substrate, <= 90 ppm in paint and coatings; 8 phthalates <= 0.1 % each in "
     "children's toys and child care articles.",
     "2600.00", date(2008, 8, 14), None),
    ("CPC", "Children's Product Certificate", "US",
     "Importer's certificate, based on third-party tests by a CPSC-accepted lab.",
     "0.00", date(2008, 8, 14), None),
    ("GCC", "General Certificate of Conformity", "US",
     "Importer's or manufacturer's certificate for regulated non-children's products.",
     "0.00", date(2008, 8, 14), None),
    ("FCC Part 15", "FCC Part 15: radio frequency devices", "US",
     "Supplier's Declaration of Conformity for unintentional radiators; FCC ID certification for "
     "radio devices.",
     "4200.00", date(1989, 1, 1), None),
    ("MoCRA", "Modernization of Cosmetics Regulation Act: facility registration and product listing",
     "US", "FDA facility registration and product listing, enforced from 2024-07-01.",
     "0.00", date(2024, 7, 1), None),
    ("EN 71-1", "Safety of toys: mechanical and physical properties", "EU",
     "Toy Safety Directive 2009/48/EC.", "1800.00", date(2014, 1, 1), None),
    ("EN 71-2", "Safety of toys: flammability", "EU",
     "Toy Safety Directive 2009/48/EC.", "1200.00", date(2011, 1, 1), None),
    ("EN 71-3", "Safety of toys: migration of certain elements", "EU",
     "Toy Safety Directive 2009/48/EC.", "2200.00", date(2019, 1, 1), None),
    ("CE (toys)", "EU declaration of conformity and CE mark under the Toy Safety Directive", "EU",
     "Directive 2009/48/EC.", "0.00", date(2011, 7, 20), None),
    ("LVD", "Low Voltage Directive 2014/35/EU", "EU", "Electrical safety.",
     "3000.00", date(2016, 4, 20), None),
    ("EMC", "Electromagnetic Compatibility Directive 2014/30/EU", "EU",
     "Emissions and immunity.", "3200.00", date(2016, 4, 20), None),
    ("RED", "Radio Equipment Directive 2014/53/EU", "EU", "Radio equipment.",
     "4500.00", date(2016, 6, 13), None),
    ("EN 18031", "Cybersecurity of radio equipment (RED delegated act)", "EU",
     "EN 18031-1/-2/-3, required from 2025-08-01.", "5000.00", date(2025, 8, 1), None),
    ("RoHS", "Restriction of hazardous substances 2011/65/EU", "EU",
     "Lead, mercury, cadmium, hexavalent chromium, PBB, PBDE and four phthalates.",
     "1600.00", date(2013, 1, 3), None),
    ("CE (electronics)", "EU declaration of conformity and CE mark for electrical equipment", "EU",
     "LVD, EMC, RED and RoHS.", "0.00", date(2016, 4, 20), None),
    ("EU 1223/2009", "Cosmetic product safety report (Regulation 1223/2009)", "EU",
     "Safety assessment by a qualified safety assessor.", "3500.00", date(2013, 7, 11), None),
    ("CPNP", "Cosmetic Products Notification Portal notification", "EU",
     "Notification before placing on the market, by the EU responsible person.",
     "0.00", date(2013, 7, 11), None),
    ("GPSR", "General Product Safety Regulation (EU) 2023/988", "EU",
     "A named manufacturer and an EU responsible person on the listing, from 2024-12-13.",
     "0.00", date(2024, 12, 13), None),
    ("UKCA/CE (toys)", "UKCA or CE marking under the Toys (Safety) Regulations 2011", "UK",
     "Declaration of conformity; EN 71 tests.", "0.00", date(2021, 1, 1), None),
    ("UKCA/CE (electronics)", "UKCA or CE marking for electrical equipment", "UK",
     "Declaration of conformity.", "0.00", date(2021, 1, 1), None),
    ("SCPN", "Submit Cosmetic Product Notification (UK), with a UK responsible person", "UK",
     "Notification before placing on the UK market.", "0.00", date(2021, 1, 1), None),
]

# standard, parameter, label, unit, minimum, maximum, warning band
SPECIFICATIONS = [
    ("CPSIA", "lead_substrate", "Lead in substrate", "ppm", None, "100", "10"),
    ("CPSIA", "lead_paint", "Lead in paint and coatings", "ppm", None, "90", "9"),
    ("CPSIA", "phthalates", "Each of 8 phthalates", "%", None, "0.1", "0.01"),
    ("EN 71-3", "lead_migration", "Lead migration (category III)", "mg/kg", None, "2.0", "0.2"),
]

# category code (None: every consumer product), market, name, from, to, requirements as
# (standard, evidence, lab flag, eFiling)
PROGRAMMES = [
    ("toys", "US", "Toys — US (ASTM F963-23, CPSIA, CPC)", date(2024, 4, 20), None, [
        ("ASTM F963-23", LAB, "cpsc_accepted", False),
        ("CPSIA", LAB, "cpsc_accepted", False),
        ("CPC", CERT, "", True),
    ]),
    ("toys", "EU", "Toys — EU (EN 71, CE, GPSR)", date(2024, 12, 13), None, [
        ("EN 71-1", LAB, "", False),
        ("EN 71-2", LAB, "", False),
        ("EN 71-3", LAB, "", False),
        ("CE (toys)", CERT, "", False),
        ("GPSR", LISTING, "", False),
    ]),
    ("toys", "UK", "Toys — UK (EN 71, UKCA or CE)", date(2021, 1, 1), None, [
        ("EN 71-1", LAB, "", False),
        ("EN 71-2", LAB, "", False),
        ("EN 71-3", LAB, "", False),
        ("UKCA/CE (toys)", CERT, "", False),
    ]),
    ("electronics", "US", "Electronics — US (FCC Part 15, GCC)", date(2021, 1, 1), None, [
        ("FCC Part 15", EITHER, "", False),
        ("GCC", CERT, "", True),
    ]),
    # EN 18031 joins the EU electronics programme on 2025-08-01: two effective-dated rows.
    ("electronics", "EU", "Electronics — EU (CE: LVD, EMC, RED, RoHS, GPSR)", date(2024, 12, 13),
     date(2025, 7, 31), [
        ("LVD", EITHER, "", False),
        ("EMC", EITHER, "", False),
        ("RED", EITHER, "", False),
        ("RoHS", EITHER, "", False),
        ("CE (electronics)", CERT, "", False),
        ("GPSR", LISTING, "", False),
    ]),
    ("electronics", "EU", "Electronics — EU (CE: LVD, EMC, RED with EN 18031, RoHS, GPSR)",
     date(2025, 8, 1), None, [
        ("LVD", EITHER, "", False),
        ("EMC", EITHER, "", False),
        ("RED", EITHER, "", False),
        ("EN 18031", EITHER, "", False),
        ("RoHS", EITHER, "", False),
        ("CE (electronics)", CERT, "", False),
        ("GPSR", LISTING, "", False),
    ]),
    ("electronics", "UK", "Electronics — UK (UKCA or CE)", date(2021, 1, 1), None, [
        ("UKCA/CE (electronics)", CERT, "", False),
    ]),
    ("cosmetics", "US", "Cosmetics — US (MoCRA, GCC)", date(2024, 7, 1), None, [
        ("MoCRA", CERT, "", False),
        ("GCC", CERT, "", True),
    ]),
    ("cosmetics", "EU", "Cosmetics — EU (Regulation 1223/2009, CPNP, GPSR)", date(2024, 12, 13),
     None, [
        ("EU 1223/2009", EITHER, "", False),
        ("CPNP", CERT, "", False),
        ("GPSR", LISTING, "", False),
    ]),
    ("cosmetics", "UK", "Cosmetics — UK (SCPN)", date(2021, 1, 1), None, [
        ("SCPN", CERT, "", False),
    ]),
    (None, "US", "All consumer goods — US (GCC)", date(2008, 8, 14), None, [
        ("GCC", CERT, "", True),
    ]),
    (None, "EU", "All consumer goods — EU (GPSR)", date(2024, 12, 13), None, [
        ("GPSR", LISTING, "", False),
    ]),
]

# The SPEC's high-risk categories (the rest start low).
CATEGORIES = [
    ("toys", "Toys", "玩具"),
    ("electronics", "Electronics", "电子产品"),
    ("cosmetics", "Cosmetics", "化妆品"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    Standard = apps.get_model("compliance", "Standard")
    TestSpecification = apps.get_model("compliance", "TestSpecification")
    TestProgramme = apps.get_model("compliance", "TestProgramme")
    ProgrammeRequirement = apps.get_model("compliance", "ProgrammeRequirement")

    for code, name_en, name_zh in CATEGORIES:
        category, created = Category.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "risk_level": "high"}
        )
        if not created and category.risk_level != "high":
            category.risk_level = "high"
            category.save(update_fields=["risk_level"])

    standards = {}
    for code, title, market, covers, cost, start, end in STANDARDS:
        standards[code], _ = Standard.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "market": market,
                "covers": covers,
                "test_cost_cny": Decimal(cost),
                "effective_from": start,
                "effective_to": end,
            },
        )
    for code, parameter, label, unit, low, high, band in SPECIFICATIONS:
        TestSpecification.objects.get_or_create(
            standard=standards[code],
            parameter=parameter,
            effective_from=standards[code].effective_from,
            defaults={
                "label": label,
                "unit": unit,
                "minimum": Decimal(low) if low else None,
                "maximum": Decimal(high) if high else None,
                "warn_within": Decimal(band),
            },
        )
    for category_code, market, name, start, end, requirements in PROGRAMMES:
        category = Category.objects.get(code=category_code) if category_code else None
        programme, _ = TestProgramme.objects.update_or_create(
            category=category,
            market=market,
            effective_from=start,
            defaults={"name": name, "effective_to": end},
        )
        for standard_code, evidence, lab_flag, efiling in requirements:
            ProgrammeRequirement.objects.update_or_create(
                programme=programme,
                standard=standards[standard_code],
                defaults={"evidence": evidence, "lab_flag": lab_flag, "efiling": efiling},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_records_need_standard_and_lab"),
        ("catalogue", "0004_listing_gpsr_details"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
