"""Bulk import of products and their listings from a CSV or XLSX file (issue 4, "Bulk import").

One row is one new product and its listing (and, with a proposed price, the first price round):

    title_en, title_zh, category (code), hs_code, weight_g, length_cm, width_cm, height_cm,
    declared_value_usd, attributes (k=v;k=v), mode (fully_managed / semi_managed),
    is_jit (yes / no), proposed_price (optional, CNY)

`import_preview` reads the file and checks every row (a Django form each, plus the product rules
of `products.product_fields_clean`); errors name the row as the spreadsheet shows it (the header
is row 1) and the field. `import_commit` checks the rows again (the supplier, its JIT enrolment
or the categories may have changed since the preview) and imports them in one transaction
through the services, or imports nothing: one bad row, and no product is created.

The rows travel between the two as `ImportPreview.stored()`, plain JSON the caller keeps (the
portal keeps it in the session), so the file is uploaded once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Supplier

from ..models import Category, Listing, PriceRound, Product
from .listings import listing_create
from .prices import price_propose
from .products import EDITABLE, product_create, product_fields_clean

# Measured: a row (product, listing, price round, their events) costs some 35 queries through
# the services, about 19 ms against a local database; 500 rows stay near 10 s in one request.
IMPORT_MAX_ROWS = 500
IMPORT_MAX_BYTES = 10 * 1024 * 1024
# A sheet may claim a million rows of nothing; stop after this many blank rows in a row.
BLANK_RUN_MAX = 1000

REQUIRED_COLUMNS = (
    "title_en",
    "title_zh",
    "category",
    "hs_code",
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "declared_value_usd",
    "mode",
    "is_jit",
)
OPTIONAL_COLUMNS = ("attributes", "proposed_price")
COLUMNS = (*REQUIRED_COLUMNS[:9], "attributes", "mode", "is_jit", "proposed_price")
YES = {"yes", "y", "true", "1", "是", "x"}
NO = {"no", "n", "false", "0", "否", ""}
XLSX_MAGIC = b"PK\x03\x04"
ROW = "row"  # the "field" of an error about the whole row
# The services' names for fields the file calls otherwise.
SERVICE_FIELDS = {"price": "proposed_price"}


class ImportRowForm(forms.Form):
    """One row of the file, as text. The product rules themselves are products'; this form
    reads the text and adds the listing's."""

    title_en = forms.CharField(max_length=200)
    title_zh = forms.CharField(max_length=200)
    category = forms.CharField(max_length=60)
    hs_code = forms.CharField(max_length=20)
    weight_g = forms.IntegerField(min_value=1)
    length_cm = forms.DecimalField()
    width_cm = forms.DecimalField()
    height_cm = forms.DecimalField()
    declared_value_usd = forms.DecimalField()
    attributes = forms.CharField(required=False, max_length=4000)
    mode = forms.CharField()
    is_jit = forms.CharField(required=False)
    proposed_price = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )

    def __init__(
        self, data: Mapping[str, str], *, categories: Mapping[str, Category], jit_enrolled: bool
    ) -> None:
        super().__init__(data)
        self.categories = categories
        self.jit_enrolled = jit_enrolled

    def clean_category(self) -> Category:
        code = self.cleaned_data["category"].strip()
        category = self.categories.get(code)
        if category is None:
            raise forms.ValidationError(
                _("No category has the code “%(code)s”."), params={"code": code}
            )
        return category

    def clean_mode(self) -> str:
        mode = "_".join(self.cleaned_data["mode"].strip().lower().replace("-", " ").split())
        if mode not in Listing.Mode.values:
            raise forms.ValidationError(_("Write fully_managed or semi_managed."))
        return mode

    def clean_is_jit(self) -> bool:
        text = self.cleaned_data["is_jit"].strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise forms.ValidationError(_("Write yes or no."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("is_jit"):
            if cleaned.get("mode") == Listing.Mode.SEMI_MANAGED:
                self.add_error("is_jit", _("Only a fully managed listing can be JIT."))
            elif not self.jit_enrolled:
                self.add_error("is_jit", _("Enrol in JIT first."))
        product = {name: cleaned[name] for name in EDITABLE if name in cleaned}
        try:
            cleaned.update(product_fields_clean(product, partial=True))
        except DomainError as error:
            for name, messages in error.fields.items():
                self.add_error(name, list(messages))
        return cleaned


@dataclass
class ImportRow:
    number: int  # as the spreadsheet shows it: the header is row 1
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow]

    @property
    def valid(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """(row number, field, message) for each problem, in file order."""
        return [
            (row.number, name, message)
            for row in self.rows
            for name, messages in row.errors.items()
            for message in messages
        ]

    def stored(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready data for `import_commit`."""
        return [{"row": row.number, "values": row.values} for row in self.rows]


@dataclass
class ImportResult:
    products: list[Product]
    listings: list[Listing]
    rounds: list[PriceRound]


class ImportInvalid(DomainError):
    """The file (or a row of it) is wrong: nothing was imported. `preview` has the rows."""

    def __init__(self, preview: ImportPreview) -> None:
        first = preview.errors[:1]
        message = (
            _("Nothing was imported: row %(row)d, %(field)s: %(message)s")
            % {"row": first[0][0], "field": first[0][1], "message": first[0][2]}
            if first
            else _("Nothing was imported: the file has no rows.")
        )
        super().__init__("import_invalid", message, kind=ErrorKind.INVALID)
        self.preview = preview


def _refused(message: str, code: str = "import_file") -> DomainError:
    return DomainError(code, message, fields={"file": [message]}, kind=ErrorKind.INVALID)


# --- Reading the file ------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as the text a person typed: 12.0 from a number cell is "12", a date is ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    # Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the system code page: GBK in China.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refused(_("The CSV file is not UTF-8 or GBK text."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises anything from zipfile, lxml or its own readers
        raise _refused(_("The XLSX file cannot be read; save it again from Excel.")) from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        book.close()


def import_read(upload: IO[bytes], name: str = "") -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-blank row after the header, of a CSV or XLSX
    file (told apart by content). Raises a DomainError about the file itself: too large, an
    unknown or missing column, more than IMPORT_MAX_ROWS rows."""
    size = getattr(upload, "size", None)
    too_large = _refused(
        _("The file may be at most %(limit)s.") % {"limit": filesizeformat(IMPORT_MAX_BYTES)}
    )
    if size is not None and size > IMPORT_MAX_BYTES:
        raise too_large
    content = upload.read(IMPORT_MAX_BYTES + 1)
    if len(content) > IMPORT_MAX_BYTES:
        raise too_large
    name = (name or getattr(upload, "name", "") or "").lower()
    if content.startswith(XLSX_MAGIC):
        lines = _xlsx_rows(content)
    elif name.endswith((".xlsx", ".xls")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refused(_("Save the spreadsheet as .xlsx (Excel 2007 or later) or .csv."))
    else:
        lines = _csv_rows(content)

    header = [cell.strip().lower() for cell in next(lines, [])]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise _refused(_("The file is empty: the first row names the columns."))
    unknown = [column for column in header if column not in COLUMNS]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise _refused(
            _(
                "The first row must name the columns %(columns)s. Unknown: %(unknown)s. "
                "Missing: %(missing)s."
            )
            % {
                "columns": ", ".join(COLUMNS),
                "unknown": ", ".join(unknown) or "—",
                "missing": ", ".join(missing) or "—",
            }
        )
    rows: list[tuple[int, dict[str, str]]] = []
    blank_run = 0
    for number, cells in enumerate(lines, start=2):
        texts = [cell.strip() for cell in cells]
        if not any(texts):
            blank_run += 1
            if blank_run > BLANK_RUN_MAX:
                break
            continue
        blank_run = 0
        if len(rows) == IMPORT_MAX_ROWS:
            raise _refused(
                _("The file has more than %(n)d rows; split it into smaller files.")
                % {"n": IMPORT_MAX_ROWS},
                "too_many_rows",
            )
        texts += [""] * (len(header) - len(texts))
        rows.append((number, dict(zip(header, texts, strict=False))))
    return rows


# --- Checking and importing ------------------------------------------------------------------


def import_validate(
    rows: Sequence[tuple[int, Mapping[str, str]]], supplier: Supplier
) -> ImportPreview:
    """Every row checked; the categories are read once for the whole file."""
    codes = {values.get("category", "").strip() for _number, values in rows}
    categories = {category.code: category for category in Category.objects.filter(code__in=codes)}
    checked = []
    for number, values in rows:
        text = {column: str(values.get(column, "")) for column in COLUMNS}
        form = ImportRowForm(text, categories=categories, jit_enrolled=supplier.jit_enrolled)
        row = ImportRow(number=number, values=text)
        if form.is_valid():
            row.cleaned = form.cleaned_data
        else:
            errors = {
                (ROW if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
                for name, messages in form.errors.items()
            }
            # In the file's column order, whichever check found them first.
            order = [ROW, *COLUMNS]
            row.errors = dict(sorted(errors.items(), key=lambda item: order.index(item[0])))
        checked.append(row)
    return ImportPreview(checked)


def import_preview(upload: IO[bytes], supplier: Supplier, name: str = "") -> ImportPreview:
    rows = import_read(upload, name)
    if not rows:
        raise _refused(_("The file has a header but no rows to import."))
    return import_validate(rows, supplier)


def stored_rows(stored: Sequence[Mapping[str, Any]]) -> list[tuple[int, dict[str, str]]]:
    """`ImportPreview.stored()` back as rows; anything malformed is a refusal, not a 500."""
    try:
        rows = [
            (int(item["row"]), {str(k): str(v) for k, v in dict(item["values"]).items()})
            for item in stored
        ]
    except (KeyError, TypeError, ValueError):
        raise _refused(_("The preview is damaged; upload the file again.")) from None
    if not rows or len(rows) > IMPORT_MAX_ROWS:
        raise _refused(_("The preview is damaged; upload the file again."))
    return rows


def _service_errors(error: DomainError) -> dict[str, list[str]]:
    """A service's refusal as the row's errors, under the file's column names."""
    if not error.fields:
        return {ROW: [error.message]}
    errors: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        column = SERVICE_FIELDS.get(name, name if name in COLUMNS else ROW)
        errors.setdefault(column, []).extend(messages)
    return errors


def import_commit(
    stored: Sequence[Mapping[str, Any]], supplier: Supplier, *, actor: User
) -> ImportResult:
    """Import every row or none. Raises ImportInvalid (nothing imported) when a row fails its
    checks or a service refuses it; the error names the row and the field."""
    preview = import_validate(stored_rows(stored), supplier)
    if not preview.valid:
        raise ImportInvalid(preview)
    result = ImportResult([], [], [])
    with transaction.atomic():
        for row in preview.rows:
            data = row.cleaned
            try:
                product = product_create(
                    supplier,
                    actor=actor,
                    source="import",
                    # A column left out (the country of origin) takes the product's default.
                    **{name: data[name] for name in EDITABLE if name in data},
                )
                listing = listing_create(
                    supplier, product, mode=data["mode"], is_jit=data["is_jit"], actor=actor
                )
                result.products.append(product)
                result.listings.append(listing)
                if data.get("proposed_price") is not None:
                    result.rounds.append(
                        price_propose(listing, price=data["proposed_price"], actor=actor)
                    )
            except DomainError as error:
                # Leaving the atomic block with the error rolls back every row before it.
                row.errors = _service_errors(error)
                raise ImportInvalid(preview) from error
    return result


def import_template() -> str:
    """A CSV with the header and one example row, to fill in."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "Building blocks set, 120 pieces",
            "积木套装 120 块",
            "toys",
            "950300",
            "450",
            "30",
            "20",
            "8",
            "6.50",
            "material=ABS;age=3+",
            "fully_managed",
            "no",
            "18.50",
        ]
    )
    return out.getvalue()
