"""The same report posted twice at the same moment (a lab's retry racing its first attempt):
one record, both callers answered with it (PostgreSQL, real threads)."""

from __future__ import annotations

import pytest

from compliance.models import TestRecord
from compliance.services.records import test_record_post as record_post
from tests.concurrency import run_together

from .evidence_support import pdf, world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_identical_posts_at_once_make_one_record(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = world()

    def post() -> int:
        record, _created = record_post(w.record(report_file=pdf()), actor=w.lab_user)
        return record.pk

    outcome = run_together(post, post)
    assert outcome.errors == []
    assert TestRecord.objects.count() == 1
    assert outcome.results[0] == outcome.results[1] == TestRecord.objects.get().pk
