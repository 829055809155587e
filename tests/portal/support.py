"""Shared pieces of the portal tests: an application as the form posts it, licence files."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from suppliers.models import Factory
from tests.factories.suppliers import credit_code

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
NEW_PASSWORD = "kiln-lantern-harbour-2026"


def licence(content: bytes = PDF, name: str = "licence.pdf", content_type: str = "") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type or "application/pdf")


def management(total: int, initial: int = 0, prefix: str = "factories") -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }


def factory_rows(*factories: dict[str, str], blank: int = 2) -> dict[str, str]:
    data = management(len(factories) + blank)
    for index, factory in enumerate(factories):
        for name, value in factory.items():
            data[f"factories-{index}-{name}"] = value
    return data


SHANTOU = {
    "province": "Guangdong",
    "city": "Shantou",
    "address": "18 Wanji Road, Chenghai",
    "industrial_cluster": "Chenghai toys",
}


def company(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name_zh": "汕头市澄海区乐趣玩具厂",
        "name_en": "Chenghai Joyful Toys",
        "credit_code": credit_code(900001),
        "contact_name": "陈明",
        "contact_phone": "13800138000",
        "contact_email": "chen@joyful-toys.example",
        "intended_categories": ["toys", "home_goods"],
    }
    data.update(factory_rows(SHANTOU))
    data.update(overrides)
    return data


def application(**overrides: Any) -> dict[str, Any]:
    """The public application form, filled in as a factory owner would."""
    data = company(
        username="chenming",
        email="chen@joyful-toys.example",
        password1=NEW_PASSWORD,
        password2=NEW_PASSWORD,
        business_licence=licence(),
    )
    data.update(overrides)
    return data


def resubmission(supplier: Any, **overrides: Any) -> dict[str, Any]:
    """The prefilled resubmission form as posted back (the factories on file as initial rows)."""
    factories = list(Factory.objects.filter(supplier=supplier).order_by("id"))
    data: dict[str, Any] = {
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "credit_code": supplier.credit_code,
        "contact_name": supplier.contact_name,
        "contact_phone": supplier.contact_phone or "13800138000",
        "contact_email": supplier.contact_email or "owner@factory.example",
        "intended_categories": supplier.intended_categories or ["toys"],
        **management(len(factories) + 2, initial=len(factories)),
    }
    for index, factory in enumerate(factories):
        for name in ("province", "city", "address", "industrial_cluster"):
            data[f"factories-{index}-{name}"] = getattr(factory, name)
    data.update(overrides)
    return data
