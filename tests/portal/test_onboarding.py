"""The public application, its status page, the operator's request for changes and the
resubmission, and the supplier's history."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.roles import OPERATORS
from marketplace.models import Event
from suppliers.models import Factory, Membership, Supplier
from suppliers.services.status import (
    supplier_approve,
    supplier_reject,
    supplier_request_changes,
)
from tests.factories.accounts import staff_user
from tests.factories.suppliers import MembershipFactory, SupplierFactory, credit_code

from .support import EXE, NEW_PASSWORD, PDF, PNG, SHANTOU, application, licence, resubmission

pytestmark = pytest.mark.django_db

APPLY = reverse("portal:apply")
STATUS = reverse("portal:application")


def test_the_login_page_links_to_the_application(client):
    page = client.get(reverse("portal:login")).content.decode()
    assert f'href="{APPLY}"' in page
    assert "Apply to sell" in page


def test_the_application_form_offers_categories_provinces_and_three_factory_rows(client):
    response = client.get(APPLY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="toys"' in page
    assert 'value="sports_outdoor"' in page
    assert '<option value="Guangdong">' in page
    assert 'name="factories-TOTAL_FORMS" value="3"' in page
    assert 'enctype="multipart/form-data"' in page


def test_apply_creates_the_supplier_signs_in_and_shows_the_status(client):
    response = client.post(APPLY, application())
    assert response.status_code == 302
    assert response["Location"] == STATUS

    supplier = Supplier.objects.get(credit_code=credit_code(900001))
    assert supplier.status == Supplier.Status.APPLIED
    assert supplier.name_zh == "汕头市澄海区乐趣玩具厂"
    assert supplier.intended_categories == ["toys", "home_goods"]
    assert list(supplier.factories.values("province", "city", "industrial_cluster")) == [
        {"province": "Guangdong", "city": "Shantou", "industrial_cluster": "Chenghai toys"}
    ]
    assert supplier.business_licence.name.endswith(".pdf")
    with supplier.business_licence.open("rb") as stored:
        assert stored.read() == PDF
    owner = Membership.objects.get(supplier=supplier)
    assert owner.role == Membership.Role.OWNER
    assert owner.user.username == "chenming"
    assert owner.user.check_password(NEW_PASSWORD)

    page = client.get(STATUS)  # signed in by the application itself
    assert page.status_code == 200
    text = page.content.decode()
    assert "Applied" in text
    assert "under review" in text
    assert "Application submitted." in text  # the history


def test_the_applicant_can_sign_in_later(client):
    client.post(APPLY, application())
    client.logout()
    response = client.post(
        reverse("portal:login"), {"username": "chenming", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302


def test_the_credit_code_may_be_typed_with_spaces_and_lowercase(client):
    code = credit_code(900002)
    typed = f"{code[:6]} {code[6:12]} {code[12:]}".lower()
    assert client.post(APPLY, application(credit_code=typed)).status_code == 302
    assert Supplier.objects.filter(credit_code=code).exists()


def test_a_wrong_credit_code_is_refused_naming_the_field(client):
    code = credit_code(900003)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post(APPLY, application(credit_code=wrong))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["credit_code"]
    assert "check character is wrong" in errors["credit_code"][0]
    page = response.content.decode()
    # The box at the top links to the field; the message is said once, beside the field.
    assert '<a href="#id_credit_code">Unified social credit code</a>' in page
    assert page.count("This unified social credit code is not valid") == 1
    assert not Supplier.objects.exists()
    assert not User.objects.filter(username="chenming").exists()


def test_an_executable_renamed_pdf_is_refused(client):
    response = client.post(APPLY, application(business_licence=licence(EXE, "licence.pdf")))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["business_licence"]
    assert "PDF, JPEG or PNG" in errors["business_licence"][0]
    page = response.content.decode()
    assert '<a href="#id_business_licence">Business licence</a>' in page
    assert page.count(errors["business_licence"][0]) == 1
    assert not Supplier.objects.exists()


def test_a_picture_named_pdf_is_refused(client):
    response = client.post(APPLY, application(business_licence=licence(PNG, "licence.pdf")))
    assert "not the PDF its name says" in response.context["form"].errors["business_licence"][0]
    assert not Supplier.objects.exists()


def test_a_png_licence_is_accepted(client):
    upload = licence(PNG, "scan.PNG", "image/png")
    assert client.post(APPLY, application(business_licence=upload)).status_code == 302
    assert Supplier.objects.get().business_licence.name.endswith(".png")


def test_a_licence_over_the_size_limit_is_refused(client, settings):
    settings.LICENCE_MAX_BYTES = 100
    big = licence(PDF + b"%" + b"0" * 200)
    response = client.post(APPLY, application(business_licence=big))
    assert "at most 100" in response.context["form"].errors["business_licence"][0]
    assert not Supplier.objects.exists()


def test_the_licence_is_required(client):
    data = application()
    del data["business_licence"]
    response = client.post(APPLY, data)
    assert "business_licence" in response.context["form"].errors


def test_at_least_one_factory(client):
    data = application()
    for name in SHANTOU:
        data[f"factories-0-{name}"] = ""
    response = client.post(APPLY, data)
    assert response.status_code == 200
    assert "Name at least one factory." in response.context["factories"].non_form_errors()
    assert not Supplier.objects.exists()


def test_a_half_filled_factory_row_names_its_field(client):
    data = application(**{"factories-1-province": "Zhejiang", "factories-1-city": "Yiwu"})
    response = client.post(APPLY, data)
    assert response.context["factories"].forms[1].errors == {"address": ["This field is required."]}
    assert "Factory 2 · Address" in response.content.decode()


def test_several_factories_are_kept(client):
    data = application(
        **{
            "factories-1-province": "Zhejiang",
            "factories-1-city": "Yiwu",
            "factories-1-address": "9 Futian Road",
        }
    )
    assert client.post(APPLY, data).status_code == 302
    assert sorted(Factory.objects.values_list("city", flat=True)) == ["Shantou", "Yiwu"]


def test_passwords_must_match_and_pass_the_validators(client):
    response = client.post(APPLY, application(password1="12345678", password2="12345678"))
    assert "password1" in response.context["account"].errors
    response = client.post(APPLY, application(password2="something-else-entirely"))
    assert response.context["account"].errors["password2"] == ["The two passwords differ."]
    assert not Supplier.objects.exists()


def test_a_taken_username_is_refused_on_its_field(client):
    MembershipFactory(user__username="ChenMing")
    response = client.post(APPLY, application())
    assert response.status_code == 200
    assert "username" in response.context["account"].errors
    assert not Supplier.objects.filter(credit_code=credit_code(900001)).exists()


def test_a_credit_code_already_registered_is_refused_on_its_field(client):
    SupplierFactory(credit_code=credit_code(900001))
    response = client.post(APPLY, application())
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert not User.objects.filter(username="chenming").exists()


def test_a_signed_in_member_is_sent_to_the_dashboard(client, supplier_user):
    client.force_login(supplier_user)
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


def test_request_changes_then_resubmit_through_the_page(client, operator):
    client.post(APPLY, application())
    supplier = Supplier.objects.get()
    licence_before = supplier.business_licence.name
    supplier_request_changes(supplier, actor=operator, comment="The English name is misspelt.")

    page = client.get(STATUS).content.decode()
    assert "The English name is misspelt." in page
    assert 'data-testid="resubmit-form"' in page
    assert f'value="{supplier.credit_code}"' in page  # prefilled
    assert 'value="Shantou"' in page

    data = resubmission(supplier, name_en="Chenghai Joyful Toys Co., Ltd.")
    data["factories-1-province"] = "Guangdong"
    data["factories-1-city"] = "Shenzhen"
    data["factories-1-address"] = "2 Bao'an Avenue"
    response = client.post(STATUS, data)
    assert response.status_code == 302
    assert response["Location"] == STATUS

    supplier.refresh_from_db()
    assert supplier.name_en == "Chenghai Joyful Toys Co., Ltd."
    assert supplier.changes_requested is False
    assert supplier.business_licence.name == licence_before  # no new file: the old one stays
    assert sorted(supplier.factories.values_list("city", flat=True)) == ["Shantou", "Shenzhen"]
    assert Event.objects.filter(supplier=supplier, kind="supplier.resubmitted").exists()
    page = client.get(STATUS).content.decode()
    assert 'data-testid="resubmit-form"' not in page
    assert "Application resubmitted." in page


def test_a_factory_can_be_removed_when_resubmitting(client, operator):
    client.post(
        APPLY,
        application(
            **{
                "factories-1-province": "Zhejiang",
                "factories-1-city": "Yiwu",
                "factories-1-address": "9 Futian Road",
            }
        ),
    )
    supplier = Supplier.objects.get()
    supplier_request_changes(supplier, actor=operator, comment="Yiwu is not yours.")
    data = resubmission(supplier, **{"factories-1-DELETE": "on"})
    assert client.post(STATUS, data).status_code == 302
    assert list(supplier.factories.values_list("city", flat=True)) == ["Shantou"]


def test_resubmitting_with_a_new_licence_replaces_it(client, operator):
    client.post(APPLY, application())
    supplier = Supplier.objects.get()
    supplier_request_changes(supplier, actor=operator, comment="Send a colour scan.")
    data = resubmission(supplier, business_licence=licence(PNG, "colour.png", "image/png"))
    assert client.post(STATUS, data).status_code == 302
    supplier.refresh_from_db()
    assert supplier.business_licence.name.endswith(".png")


def test_a_resubmission_with_a_wrong_code_is_refused_naming_the_field(client, operator):
    client.post(APPLY, application())
    supplier = Supplier.objects.get()
    supplier_request_changes(supplier, actor=operator, comment="Check the code.")
    response = client.post(STATUS, resubmission(supplier, credit_code="91440300ABCDEFGHIJ"))
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    supplier.refresh_from_db()
    assert supplier.changes_requested is True


def test_no_resubmission_unless_changes_were_asked(client):
    client.post(APPLY, application())
    supplier = Supplier.objects.get()
    page = client.get(STATUS).content.decode()
    assert 'data-testid="resubmit-form"' not in page
    response = client.post(STATUS, resubmission(supplier, name_en="Sneaky"), follow=True)
    assert "not waiting for changes" in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.name_en == "Chenghai Joyful Toys"


def test_staff_see_the_comment_but_cannot_resubmit(client, operator):
    supplier = SupplierFactory(status=Supplier.Status.APPLIED)
    staff = MembershipFactory(supplier=supplier).user
    supplier_request_changes(supplier, actor=operator, comment="Add a factory address.")
    client.force_login(staff)
    page = client.get(STATUS).content.decode()
    assert "Add a factory address." in page
    assert 'data-testid="resubmit-form"' not in page
    assert client.post(STATUS, resubmission(supplier, name_en="Staff edit")).status_code == 403
    supplier.refresh_from_db()
    assert supplier.name_en != "Staff edit"
    assert supplier.changes_requested is True


def test_the_history_shows_moves_with_time_actor_and_reason(client):
    operator = staff_user(OPERATORS, username="reviewer-wang")
    supplier = SupplierFactory(status=Supplier.Status.APPLIED)
    owner = MembershipFactory(supplier=supplier, role="owner").user
    supplier_approve(supplier, actor=operator)
    client.force_login(owner)
    page = client.get(STATUS).content.decode()
    assert "Applied → Onboarding" in page
    assert "Marketplace team" in page
    assert operator.username not in page  # the marketplace's people stay anonymous
    event = Event.objects.get(kind="supplier.status_changed")
    # China time: the portal shows UTC+8.
    shown = event.occurred_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert shown in page


def test_a_rejection_shows_its_reason(client, operator):
    supplier = SupplierFactory(status=Supplier.Status.APPLIED)
    owner = MembershipFactory(supplier=supplier, role="owner").user
    supplier_reject(supplier, actor=operator, reason="The licence has expired.")
    client.force_login(owner)
    page = client.get(STATUS).content.decode()
    assert "Terminated" in page
    assert "Reason: The licence has expired." in page
    assert "Applied → Terminated" in page


def test_the_history_queries_do_not_grow_with_events(
    client, operator, django_assert_max_num_queries
):
    supplier = SupplierFactory(status=Supplier.Status.APPLIED)
    owner = MembershipFactory(supplier=supplier, role="owner").user
    client.force_login(owner)
    supplier_request_changes(supplier, actor=operator, comment="One")
    with django_assert_max_num_queries(20) as few:
        assert client.get(STATUS).status_code == 200
    supplier_approve(supplier, actor=operator)
    for n in range(12):
        MembershipFactory(supplier=supplier, user__username=f"staff{n}")
        Event.objects.create(kind="supplier.member_joined", supplier=supplier, actor=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(STATUS).status_code == 200


def test_a_pdf_named_exe_is_refused(client):
    response = client.post(APPLY, application(business_licence=licence(PDF, "licence.exe")))
    assert "business_licence" in response.context["form"].errors
    assert not Supplier.objects.exists()


def test_a_tampered_form_is_an_error_not_a_500(client):
    data = {k: v for k, v in application().items() if not k.startswith("factories-")}
    response = client.post(APPLY, data)
    assert response.status_code == 200
    assert response.context["factories"].non_form_errors()
    assert not Supplier.objects.exists()
