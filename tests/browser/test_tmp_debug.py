import pytest
from django.db import connections


def show(tag):
    c = connections["default"]
    print("\nDBG", tag, id(c), hasattr(c, "_test_serialized_contents"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a():
    show("A")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_b(live_server):
    show("B")

pytestmark = [pytest.mark.browser]

def test_c(live_server, page):
    show("C")
