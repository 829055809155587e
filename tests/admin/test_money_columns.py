"""Money is shown one way in the admin ("20,000.00 CNY", marketplace.formatting.money_display):
no list column or read-only field shows a money field as a bare number."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from accounts.models import User


def _is_money(field: models.Field) -> bool:
    if not isinstance(field, models.DecimalField):
        return False
    label = str(field.verbose_name).lower()
    return field.name.endswith("_cny") or "amount" in field.name or "(cny)" in label


def test_no_admin_column_or_read_only_field_shows_money_as_a_bare_number() -> None:
    request = RequestFactory().get("/admin/")
    request.user = User(is_staff=True, is_superuser=True)
    raw: list[str] = []
    for model, model_admin in admin.site._registry.items():
        names = [*model_admin.get_list_display(request), *model_admin.get_readonly_fields(request)]
        for name in names:
            if not isinstance(name, str):
                continue
            try:
                field = model._meta.get_field(name)
            except Exception:  # a method or an admin attribute: not a bare field
                continue
            if _is_money(field):
                raw.append(f"{model._meta.label}.{name}")
    assert raw == []
