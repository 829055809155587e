import pytest
from django.db import connection
from django.contrib.auth.models import Group

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_zz_debug():
    s = getattr(connection, "_test_serialized_contents", None)
    print("HAS", s is not None, len(s or ""), "auth.group" in (s or ""), list(Group.objects.values_list("name", flat=True)))
