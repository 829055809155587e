"""The operators' door to the planning run: "Run restock planning now" on the planning chunks'
page (operators who may change restock proposals), the run's progress and its chunk table."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import FINANCE, OPERATORS
from marketplace.formatting import suppliers_today
from marketplace.models import JobRun
from restock.models import PlanChunk
from restock.services import runs
from restock.services.runs import plan_inline, plan_start
from tests.factories.accounts import staff_user

from .runs_support import seed_demand

pytestmark = pytest.mark.django_db

CHUNKS = "/admin/restock/planchunk/"
PLAN_NOW = "/admin/restock/planchunk/plan-now/"


@pytest.fixture
def sent(monkeypatch):
    groups: list[list[int]] = []
    monkeypatch.setattr(
        runs, "enqueue_group_on_commit", lambda sigs: groups.append([s.args[0] for s in sigs])
    )
    return groups


@pytest.fixture
def planner(client):
    """An operator who may change restock proposals (and see the chunks)."""
    user = staff_user(OPERATORS)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="restock",
            codename__in=["change_restockproposal", "view_planchunk"],
        )
    )
    client.force_login(user)
    return user


@pytest.fixture
def listings():
    return seed_demand(25, today=suppliers_today(), days=60)


def test_an_operator_runs_planning_now_and_follows_its_chunks(client, planner, listings, sent):
    page = client.get(CHUNKS)
    assert page.status_code == 200
    assert "Run restock planning now" in page.content.decode()
    answer = client.post(PLAN_NOW, {})
    run = JobRun.objects.get(name="restock_plan")
    assert answer.status_code == 302
    assert answer["Location"] == f"{CHUNKS}?run={run.pk}"
    chunks = list(PlanChunk.objects.filter(run=run).order_by("index"))
    assert sent == [[c.pk for c in chunks]]
    page = client.get(answer["Location"])
    body = page.content.decode()
    assert f"Restock planning run #{run.pk} started: 25 listings" in body
    assert f"Planning run #{run.pk}" in body
    assert "0% (0 / 25)" in body
    assert 'http-equiv="refresh"' in body  # follows the workers while the run goes on
    assert body.count('class="field-index"') == len(chunks) == 1
    plan_inline(run)
    body = client.get(answer["Location"]).content.decode()
    assert "100% (25 / 25)" in body
    assert "25 listings planned in 1 chunk (1 attempt): " in body
    assert 'http-equiv="refresh"' not in body


def test_without_the_permission_there_is_no_button_and_no_run(client, listings, sent):
    # Finance reads proposals but may not change them (accounts/0013), so it may not plan.
    user = staff_user(FINANCE)
    user.user_permissions.add(Permission.objects.get(codename="view_planchunk"))
    client.force_login(user)
    assert "Run restock planning now" not in client.get(CHUNKS).content.decode()
    assert client.post(PLAN_NOW).status_code == 403
    assert not JobRun.objects.filter(name="restock_plan").exists()


def test_a_get_does_not_start_a_run(client, planner, listings, sent):
    assert client.get(PLAN_NOW).status_code == 403
    assert not JobRun.objects.exists()


def test_the_chunk_table_keeps_its_query_count(client, planner, sent):
    seed_demand(20, today=suppliers_today(), days=10)
    plan_inline(plan_start(chunk_listings=5, dispatch=False))
    with CaptureQueriesContext(connection) as few:
        client.get(CHUNKS)
    seed_demand(60, today=suppliers_today(), days=10, seed=2)
    plan_inline(plan_start(chunk_listings=5, dispatch=False))
    with CaptureQueriesContext(connection) as many:
        page = client.get(CHUNKS)
    assert page.content.decode().count('class="field-index"') == 4 + 16
    assert len(many) == len(few)


def test_the_page_in_chinese(client, planner, listings, sent):
    run = plan_start(chunk_listings=10, dispatch=False)
    client.cookies["django_language"] = "zh-hans"
    text = client.get(f"{CHUNKS}?run={run.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "立即运行补货计划" in text
    assert f"计划运行 #{run.pk}" in text
    assert "Run restock planning now" not in text


def test_a_runs_counts_in_words_with_plurals_and_in_chinese():
    from django.utils import translation

    from restock.admin.runs import summary_words
    from restock.services.runs import PlanSummary

    one = PlanSummary(chunks=1, listings=1, proposals=1, attempts=1)
    many = PlanSummary(chunks=50, listings=100000, proposals=2, attempts=51)
    with translation.override("en"):
        assert summary_words(one) == "1 listing planned in 1 chunk (1 attempt): 1 open proposal"
        assert summary_words(many) == (
            "100,000 listings planned in 50 chunks (51 attempts): 2 open proposals"
        )
    with translation.override("zh-hans"):
        assert summary_words(one) == (
            "已规划 1 个商品刊登，分 1 批（共尝试 1 次）：1 条待处理建议"  # noqa: RUF001
        )


def test_a_superseded_run_says_so_in_the_readers_language(client, planner, listings, sent):
    first = plan_start()
    second = plan_start()
    body = client.get(f"{CHUNKS}?run={first.pk}").content.decode()
    assert f"Superseded by run #{second.pk}, which plans the same listings with newer data." in body
    body = client.get(f"{CHUNKS}?run={first.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"已被第 #{second.pk} 次运行取代" in body
