from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings

from marketplace.logging import request_id_var

pytestmark = pytest.mark.django_db


def test_each_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first
    assert second
    assert first != second


def test_a_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nInjected: yes")["X-Request-ID"]
    assert replaced != "bad id\nInjected: yes"
    assert len(replaced) == 32


def test_log_records_are_one_json_line_with_the_request_id():
    stream = io.StringIO()
    config = {**settings.LOGGING}
    handler = {**config["handlers"]["stdout"], "stream": stream}
    config["handlers"] = {"stdout": handler}
    logging.config.dictConfig({**config, "root": {"handlers": ["stdout"], "level": "INFO"}})
    try:
        token = request_id_var.set("req-42")
        try:
            raise ValueError("multi\nline")
        except ValueError:
            logging.getLogger("marketplace.test").exception("it broke\nbadly")
        finally:
            request_id_var.reset(token)
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == "req-42"
    assert record["level"] == "ERROR"
    assert record["message"] == "it broke\nbadly"
    assert "ValueError" in record["exc_info"]


def test_djangos_own_4xx_log_lines_carry_the_request_id(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/portal/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "django.request"]
    from marketplace.logging import RequestIdFilter

    RequestIdFilter().filter(record)
    assert record.request_id == "req-404"
