"""The rules' admin (issue 12): compliance officers edit standards and programmes with their
requirements (effective-dated, never deleted); operators read them; list filters by market,
category and in force."""

from __future__ import annotations

from datetime import date

import pytest

from catalogue.models import Category
from compliance.models import ProgrammeRequirement, Standard, TestProgramme

pytestmark = pytest.mark.django_db

PROGRAMMES = "/admin/compliance/testprogramme/"
STANDARDS = "/admin/compliance/standard/"


def test_officers_filter_programmes_by_market_category_and_in_force(
    spec_programmes, client, compliance_officer
):
    client.force_login(compliance_officer)
    electronics = Category.objects.get(code="electronics")
    page = client.get(PROGRAMMES, {"market": "EU", "category__id__exact": electronics.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert "EN 18031" in text
    current = client.get(
        PROGRAMMES, {"market": "EU", "category__id__exact": electronics.pk, "in_force": "yes"}
    ).content.decode()
    assert "with EN 18031" in current
    assert "(CE: LVD, EMC, RED, RoHS, GPSR)" not in current  # ended 2025-07-31
    ended = client.get(PROGRAMMES, {"in_force": "no"}).content.decode()
    assert "(CE: LVD, EMC, RED, RoHS, GPSR)" in ended
    assert client.get(STANDARDS, {"market": "US", "in_force": "yes"}).status_code == 200


def test_an_officer_adds_a_programme_with_its_requirements(
    spec_programmes, client, compliance_officer
):
    client.force_login(compliance_officer)
    toys = Category.objects.get(code="toys")
    standard = Standard.objects.get(code="EN 71-3")
    response = client.post(
        f"{PROGRAMMES}add/",
        {
            "name": "Toys — UK from 2027",
            "market": "UK",
            "category": toys.pk,
            "effective_from": "2027-01-01",
            "effective_to": "",
            "requirements-TOTAL_FORMS": "1",
            "requirements-INITIAL_FORMS": "0",
            "requirements-0-standard": standard.pk,
            "requirements-0-evidence": "lab_test",
            "requirements-0-lab_flag": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = TestProgramme.objects.get(name="Toys — UK from 2027")
    assert programme.effective_from == date(2027, 1, 1)
    assert list(
        ProgrammeRequirement.objects.filter(programme=programme).values_list(
            "standard__code", "evidence"
        )
    ) == [("EN 71-3", "lab_test")]


def test_operators_read_the_rules_and_nobody_deletes_them(
    spec_programmes, client, operator, compliance_officer
):
    programme = TestProgramme.objects.first()
    client.force_login(operator)
    page = client.get(f"{PROGRAMMES}{programme.pk}/change/").content.decode()
    assert 'name="name"' not in page
    assert client.post(f"{PROGRAMMES}{programme.pk}/change/", {"name": "x"}).status_code == 403
    client.force_login(compliance_officer)
    assert client.get(f"{PROGRAMMES}{programme.pk}/delete/").status_code == 403
