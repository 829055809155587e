from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import ApiKey
from tests.factories.accounts import PASSWORD, supplier_token
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/login/?next=/portal/"


def test_sign_in_and_out(client, supplier_user):
    response = client.post("/portal/login/", {"username": "sup", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    assert client.post("/portal/logout/").status_code == 302
    assert client.get("/portal/").status_code == 302


def test_wrong_password_is_explained(client, supplier_user):
    response = client.post("/portal/login/", {"username": "sup", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_dashboard_shows_only_the_members_own_supplier(client, supplier_user, other_supplier_user):
    client.force_login(supplier_user)
    page = client.get("/portal/").content.decode()
    assert supplier_user.supplier_membership.supplier.name_en in page
    assert other_supplier_user.supplier_membership.supplier.name_en not in page
    assert "rival" not in page


def test_dashboard_queries_do_not_grow_with_members(
    client, supplier_user, django_assert_max_num_queries
):
    client.force_login(supplier_user)
    supplier = supplier_user.supplier_membership.supplier
    with django_assert_max_num_queries(12) as few:
        client.get("/portal/")
    MembershipFactory.create_batch(15, supplier=supplier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/portal/").status_code == 200


def test_language_switch_to_chinese(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/portal/"})
    assert response.status_code == 302
    page = client.get("/portal/").content.decode()
    assert 'lang="zh-hans"' in page
    with translation.override("zh-hans"):
        chinese = translation.gettext("Seller portal")
    assert chinese != "Seller portal", "the zh-hans catalogue is missing or not compiled"
    assert chinese in page


def test_portal_times_are_china_time(client, supplier_user):
    client.force_login(supplier_user)
    page = client.get("/portal/").content.decode()
    assert "China time" in page


def test_password_reset_sends_a_working_link(client, supplier_user):
    supplier_user.email = "owner@factory.example"
    supplier_user.save()
    response = client.post("/portal/password-reset/", {"email": "owner@factory.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/portal/password-reset/\S+/)", mail.outbox[0].body)
    assert link
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-42", "new_password2": "a-new-long-password-42"},
    )
    assert response.status_code == 302
    client.logout()
    signed_in = client.post(
        "/portal/login/", {"username": "sup", "password": "a-new-long-password-42"}
    )
    assert signed_in.status_code == 302


def test_create_and_revoke_an_api_key(client, api, supplier_user):
    client.force_login(supplier_user)
    page = client.post("/portal/api-keys/", {"name": "ERP sync"}).content.decode()
    plain = re.search(r'data-testid="new-key">(mk_[^<]+)<', page).group(1)
    key = ApiKey.objects.get(user=supplier_user)
    assert key.name == "ERP sync"
    assert plain not in client.get("/portal/api-keys/").content.decode()  # shown once
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    response = client.post(f"/portal/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_api_key_name_is_required(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post("/portal/api-keys/", {"name": ""})
    assert response.status_code == 200
    assert not ApiKey.objects.exists()


def test_cannot_see_or_revoke_another_users_key(client, supplier_user, other_supplier_user):
    supplier_token(other_supplier_user)
    foreign = ApiKey.objects.get(user=other_supplier_user)
    client.force_login(supplier_user)
    assert f"mk_{foreign.lookup}" not in client.get("/portal/api-keys/").content.decode()
    assert client.post(f"/portal/api-keys/{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_revoke_needs_post(client, supplier_user):
    key_plain = supplier_token(supplier_user)
    assert key_plain
    key = ApiKey.objects.get(user=supplier_user)
    client.force_login(supplier_user)
    assert client.get(f"/portal/api-keys/{key.pk}/revoke/").status_code == 405
