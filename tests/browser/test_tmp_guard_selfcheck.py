import pytest
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_pageerror(live_server, page):
    page.goto(live_server.url + "/portal/login/")
    page.evaluate("() => setTimeout(() => { throw new Error('kaput') }, 0)")
    page.wait_for_timeout(100)

def test_404(live_server, page):
    page.goto(live_server.url + "/nope/")
