from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalogue.models import Listing, PriceRound, Product
from catalogue.services import imports
from catalogue.services.imports import (
    COLUMNS,
    ImportInvalid,
    import_commit,
    import_preview,
    import_template,
)
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.factories.catalogue import CategoryFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    CategoryFactory(code="toys")
    CategoryFactory(code="home", name_en="Home goods", name_zh="家居")
    return MembershipFactory(role="owner")


def row(**overrides) -> dict[str, str]:
    data = {
        "title_en": "Building blocks set",
        "title_zh": "积木套装",
        "category": "toys",
        "hs_code": "950300",
        "weight_g": "450",
        "length_cm": "30",
        "width_cm": "20",
        "height_cm": "8",
        "declared_value_usd": "6.50",
        "attributes": "material=ABS;age=3+",
        "mode": "fully_managed",
        "is_jit": "no",
        "proposed_price": "18.50",
    }
    data.update(overrides)
    return data


def csv_file(rows, columns=COLUMNS, name="products.csv", encoding="utf-8-sig"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in rows:
        writer.writerow([item.get(column, "") for column in columns])
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), "text/csv")


def xlsx_file(rows, name="products.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for item in rows:
        sheet.append([item.get(column) for column in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), "application/octet-stream")


def counts():
    return (
        Product.objects.count(),
        Listing.objects.count(),
        PriceRound.objects.count(),
        Event.objects.count(),
    )


def test_a_good_csv_imports_products_listings_and_price_rounds(member):
    upload = csv_file(
        [row(), row(title_en="Doll house", mode="semi_managed", proposed_price="", category="home")]
    )
    preview = import_preview(upload, member.supplier)
    assert preview.valid, preview.errors
    assert [r.number for r in preview.rows] == [2, 3]
    result = import_commit(preview.stored(), member.supplier, actor=member.user)
    assert len(result.products) == len(result.listings) == 2
    assert len(result.rounds) == 1
    blocks = Product.objects.get(title_en="Building blocks set")
    assert blocks.owner == member.supplier
    assert blocks.attributes == {"material": "ABS", "age": "3+"}
    assert blocks.declared_value_usd == Decimal("6.50")
    listing = blocks.listings.get()
    assert (listing.mode, listing.is_jit, listing.status) == ("fully_managed", False, "submitted")
    assert listing.price_rounds.get().proposed_price == Decimal("18.50")
    house = Listing.objects.get(product__title_en="Doll house")
    assert (house.mode, house.status, house.product.category.code) == (
        "semi_managed",
        "draft",
        "home",
    )
    kinds = list(Event.objects.values_list("kind", flat=True))
    assert kinds.count("product.created") == 2
    assert kinds.count("listing.created") == 2
    assert kinds.count("listing.price_proposed") == 1
    assert Event.objects.filter(kind="product.created", payload__source="import").count() == 2


def test_one_bad_row_imports_nothing_and_names_the_row_and_field(member):
    upload = csv_file([row(), row(), row(title_en="Bad", weight_g="heavy"), row()])
    preview = import_preview(upload, member.supplier)
    assert not preview.valid
    assert [(number, name) for number, name, _message in preview.errors] == [(4, "weight_g")]
    assert [r.ok for r in preview.rows] == [True, True, False, True]
    before = counts()
    with pytest.raises(ImportInvalid) as refused:
        import_commit(preview.stored(), member.supplier, actor=member.user)
    assert "row 4" in refused.value.message
    assert "weight_g" in refused.value.message
    assert counts() == before == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hs_code": "95"}, "hs_code"),
        ({"category": "nope"}, "category"),
        ({"length_cm": "-1"}, "length_cm"),
        ({"height_cm": "abc"}, "height_cm"),
        ({"declared_value_usd": "0"}, "declared_value_usd"),
        ({"attributes": "material ABS"}, "attributes"),
        ({"mode": "managed"}, "mode"),
        ({"is_jit": "maybe"}, "is_jit"),
        ({"is_jit": "yes"}, "is_jit"),  # not enrolled in JIT
        ({"is_jit": "yes", "mode": "semi_managed"}, "is_jit"),
        ({"proposed_price": "1.234"}, "proposed_price"),
        ({"proposed_price": "0"}, "proposed_price"),
        ({"title_zh": ""}, "title_zh"),
    ],
)
def test_each_rule_names_its_field(member, overrides, field):
    preview = import_preview(csv_file([row(**overrides)]), member.supplier)
    assert [(number, name) for number, name, _message in preview.errors] == [(2, field)]


def test_the_row_numbers_are_the_spreadsheets_even_with_blank_rows(member):
    upload = csv_file([row(), {}, row(hs_code="x")])
    preview = import_preview(upload, member.supplier)
    assert [(number, name) for number, name, _message in preview.errors] == [(4, "hs_code")]


def test_an_xlsx_file_imports_with_number_cells(member):
    upload = xlsx_file(
        [
            row(weight_g=450, length_cm=30, width_cm=20.5, height_cm=8.0, proposed_price=18.5),
            row(title_en="Second", hs_code=95030000, declared_value_usd=6.5, is_jit=None),
        ]
    )
    preview = import_preview(upload, member.supplier)
    assert preview.valid, preview.errors
    import_commit(preview.stored(), member.supplier, actor=member.user)
    second = Product.objects.get(title_en="Second")
    assert (second.hs_code, second.declared_value_usd) == ("95030000", Decimal("6.50"))
    first = Product.objects.get(title_en="Building blocks set")
    assert first.width_cm == Decimal("20.5")
    assert first.listings.get().price_rounds.get().proposed_price == Decimal("18.50")


def test_an_xlsx_with_a_bad_row_names_the_row(member):
    upload = xlsx_file([row(), row(), row(category="unknown")])
    preview = import_preview(upload, member.supplier)
    assert [(number, name) for number, name, _message in preview.errors] == [(4, "category")]


def test_a_gbk_csv_from_chinese_excel_is_read(member):
    preview = import_preview(csv_file([row()], encoding="gb18030"), member.supplier)
    assert preview.valid, preview.errors
    assert preview.rows[0].values["title_zh"] == "积木套装"


def test_the_row_limit_is_a_clear_error(member, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_MAX_ROWS", 3)
    assert import_preview(csv_file([row()] * 3), member.supplier).valid
    with pytest.raises(DomainError) as refused:
        import_preview(csv_file([row()] * 4), member.supplier)
    assert refused.value.code == "too_many_rows"
    assert "more than 3 rows" in refused.value.message


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (csv_file([row()], columns=[*COLUMNS, "colour"]), "Unknown: colour"),
        (csv_file([row()], columns=[c for c in COLUMNS if c != "hs_code"]), "Missing: hs_code"),
        (SimpleUploadedFile("x.csv", b"", "text/csv"), "empty"),
        (SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x"), ".xlsx"),
        (SimpleUploadedFile("x.xlsx", b"PK\x03\x04garbage", "x"), "cannot be read"),
        (SimpleUploadedFile("x.csv", b"\xff\xfe\x00\xd8" * 10, "text/csv"), "UTF-8"),
    ],
)
def test_a_wrong_file_is_refused_as_a_whole(member, upload, says):
    with pytest.raises(DomainError) as refused:
        import_preview(upload, member.supplier)
    assert says in refused.value.message
    assert list(refused.value.fields) == ["file"]


def test_optional_columns_may_be_left_out(member):
    columns = [c for c in COLUMNS if c not in ("attributes", "proposed_price")]
    preview = import_preview(csv_file([row()], columns=columns), member.supplier)
    assert preview.valid, preview.errors
    result = import_commit(preview.stored(), member.supplier, actor=member.user)
    assert result.rounds == []
    assert result.products[0].attributes == {}


def test_commit_checks_again(member):
    """Between preview and commit the category went away: nothing is imported."""
    preview = import_preview(csv_file([row(), row(category="home")]), member.supplier)
    assert preview.valid
    from catalogue.models import Category

    Category.objects.filter(code="home").delete()
    with pytest.raises(ImportInvalid) as refused:
        import_commit(preview.stored(), member.supplier, actor=member.user)
    assert [(n, f) for n, f, _m in refused.value.preview.errors] == [(3, "category")]
    assert counts() == (0, 0, 0, 0)


def test_a_refusal_by_a_service_rolls_back_every_row(member, monkeypatch):
    """A row the checks pass but a service refuses (here: JIT enrolment lost between the
    check and the listing) undoes the rows before it."""
    from suppliers.models import Supplier

    Supplier.objects.filter(pk=member.supplier.pk).update(jit_status="enrolled")
    member.supplier.refresh_from_db()
    preview = import_preview(csv_file([row(), row(is_jit="yes")]), member.supplier)
    assert preview.valid, preview.errors
    stale = member.supplier
    Supplier.objects.filter(pk=stale.pk).update(jit_status="not_enrolled")
    from catalogue.services import listings

    real_create = listings.listing_create

    def create(supplier, product, **kwargs):
        supplier.refresh_from_db()
        return real_create(supplier, product, **kwargs)

    monkeypatch.setattr(imports, "listing_create", create)
    monkeypatch.setattr(imports, "import_validate", _validate_as_before(preview))
    with pytest.raises(ImportInvalid) as refused:
        import_commit(preview.stored(), stale, actor=member.user)
    assert [(n, f) for n, f, _m in refused.value.preview.errors] == [(3, "is_jit")]
    assert counts() == (0, 0, 0, 0)


def _validate_as_before(preview):
    return lambda rows, supplier: preview


def test_a_damaged_stored_preview_is_refused(member):
    for stored in ([], [{"row": "x"}], [{"values": {}}], [{"row": 2, "values": 5}]):
        with pytest.raises(DomainError):
            import_commit(stored, member.supplier, actor=member.user)
    assert counts() == (0, 0, 0, 0)


def test_the_template_is_a_valid_import(member):
    upload = SimpleUploadedFile("template.csv", import_template().encode(), "text/csv")
    preview = import_preview(upload, member.supplier)
    assert preview.valid, preview.errors


def test_a_rows_errors_come_in_column_order(member):
    preview = import_preview(
        csv_file([row(is_jit="maybe", hs_code="1", title_en="")]), member.supplier
    )
    assert [name for _n, name, _m in preview.errors] == ["title_en", "hs_code", "is_jit"]
