"""Products a supplier offers (SPEC, "Listings"): what is sold, described once (titles, category,
attributes, HS code, weight, dimensions, declared value, images) and then listed by mode.

A supplier creates and edits only its own products (`owner`); another supplier's product is "not
found", never "forbidden", so ids leak nothing. `product_fields_clean` is the one place the
product rules live: the portal forms and the bulk import run it before they call the services.

Images are checked by their content, not their name: Pillow must recognise a JPEG, PNG or WebP
and verify it, within IMAGE_MAX_BYTES and IMAGE_MAX_PIXELS; a THUMBNAIL_PX JPEG thumbnail is made
from the upright (EXIF-rotated) picture.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import pycountry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from suppliers.models import Supplier
from suppliers.selectors import supplier_id_for

from ..models import Category, Product, ProductImage
from ..validators import validate_hs_code

IMAGE_MAX_BYTES = 5 * 1024 * 1024
# Decoding is what costs memory (4 bytes a pixel): a small file may still unpack to gigabytes.
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_PX = 320
IMAGES_PER_PRODUCT = 12

ATTRIBUTES_MAX = 30
ATTRIBUTE_KEY_MAX = 50
ATTRIBUTE_VALUE_MAX = 200
TITLE_MAX = 200

# What a supplier may set on its product; the reference price is the platform's benchmark.
EDITABLE = (
    "title_en",
    "title_zh",
    "category",
    "attributes",
    "hs_code",
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "declared_value_usd",
    "origin_country",
)
# Fields a product may be created without, and the value it then gets.
DEFAULTS: dict[str, Any] = {"attributes": {}, "origin_country": "CN"}
DIMENSIONS = ("length_cm", "width_cm", "height_cm")
# (largest value, decimal places) of the model's decimal columns.
DIMENSION_LIMIT = (Decimal("999999.9"), 1)
VALUE_LIMIT = (Decimal("9999999999.99"), 2)
WEIGHT_MAX = 2_147_483_647


def _invalid(errors: Mapping[str, list[str]]) -> DomainError:
    return DomainError(
        "invalid_product",
        _("Check the product: %(fields)s.") % {"fields": ", ".join(errors)},
        fields=errors,
        kind=ErrorKind.INVALID,
    )


def attributes_parse(text: str) -> dict[str, str]:
    """`material=ABS; age=3+` (or one pair a line) as a dict; the rules are checked by
    `product_fields_clean`. Raises ValueError naming the pair without a `=`."""
    attributes: dict[str, str] = {}
    for part in text.replace("\r", "\n").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(part.strip())
        attributes[key.strip()] = value.strip()
    return attributes


def attributes_text(attributes: Mapping[str, Any], separator: str = "\n") -> str:
    return separator.join(f"{key}={value}" for key, value in attributes.items())


def _attributes(value: Any) -> tuple[dict[str, str], list[str]]:
    if isinstance(value, str):
        try:
            value = attributes_parse(value)
        except ValueError as error:
            return {}, [_("Write each attribute as name=value (not “%(part)s”).") % {"part": error}]
    if not isinstance(value, Mapping):
        return {}, [_("Attributes are pairs of name and value.")]
    errors: list[str] = []
    cleaned: dict[str, str] = {}
    if len(value) > ATTRIBUTES_MAX:
        errors.append(_("At most %(n)d attributes.") % {"n": ATTRIBUTES_MAX})
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            errors.append(_("Attribute names and values are text, not lists or numbers."))
            break
        key, item = key.strip(), item.strip()
        if not key:
            errors.append(_("An attribute has no name."))
        elif len(key) > ATTRIBUTE_KEY_MAX or len(item) > ATTRIBUTE_VALUE_MAX:
            errors.append(
                _("“%(name)s” is too long: names up to %(key)d characters, values up to %(value)d.")
                % {"name": key[:20], "key": ATTRIBUTE_KEY_MAX, "value": ATTRIBUTE_VALUE_MAX}
            )
        else:
            cleaned[key] = item
    return cleaned, errors


def _decimal(value: Any, limit: tuple[Decimal, int]) -> Decimal | None:
    """A positive amount within the column's size and decimal places, else None."""
    largest, places = limit
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number <= 0 or number > largest:
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        return None
    return number


def _category(value: Any) -> Category | None:
    if isinstance(value, Category):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    return Category.objects.filter(code=value.strip()).first()


def _clean_one(name: str, value: Any) -> tuple[Any, list[str]]:
    if name in ("title_en", "title_zh"):
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            return None, [_("Required.")]
        if len(text) > TITLE_MAX:
            return None, [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
        return text, []
    if name == "category":
        category = _category(value)
        return category, [] if category else [_("No such category.")]
    if name == "hs_code":
        # People write 9503.00 or 9503 00; the code is the digits.
        code = "".join(str(value or "").replace(".", " ").split())
        try:
            validate_hs_code(code)
        except ValidationError as error:
            return None, list(error.messages)
        return code, []
    if name == "weight_g":
        try:
            weight = int(str(value).strip())
        except (TypeError, ValueError):
            weight = 0
        if not 0 < weight <= WEIGHT_MAX:
            return None, [_("A whole number of grams above zero.")]
        return weight, []
    if name in DIMENSIONS:
        size = _decimal(value, DIMENSION_LIMIT)
        if size is None:
            return None, [_("Centimetres above zero, at most one decimal.")]
        return size, []
    if name == "declared_value_usd":
        amount = _decimal(value, VALUE_LIMIT)
        if amount is None:
            return None, [_("US dollars above zero, at most two decimals.")]
        return amount, []
    if name == "attributes":
        return _attributes(value if value is not None else {})
    if name == "origin_country":
        # Where the goods were made (customs judges a parcel by it): ISO 3166 alpha-2.
        code = str(value or "").strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            return None, [_("A two-letter ISO country code, e.g. CN.")]
        return code, []
    raise TypeError(f"{name} is not a product field a supplier sets")


def product_fields_clean(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The product rules, all checked at once: the cleaned values, or a DomainError (422) whose
    `fields` name every field at fault. `partial`: only the fields given (an update)."""
    names = [name for name in EDITABLE if name in data] if partial else list(EDITABLE)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not product fields a supplier sets: {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in names:
        if name not in data and name not in DEFAULTS:
            errors[name] = [_("Required.")]
            continue
        value, problems = _clean_one(name, data.get(name, DEFAULTS.get(name)))
        if problems:
            errors[name] = problems
        else:
            cleaned[name] = value
    if errors:
        raise _invalid(errors)
    return cleaned


def _acting_for(actor: User | None, supplier: Supplier) -> None:
    """The actor is one of the supplier's people (or staff, or the system)."""
    if actor is None or actor.is_staff:
        return
    if supplier_id_for(actor) != supplier.pk:
        raise DomainError("not_found", _("No such product."), kind=ErrorKind.NOT_FOUND)


def _own(product: Product, supplier: Supplier) -> None:
    if product.owner_id is None or product.owner_id != supplier.pk:
        raise DomainError("not_found", _("No such product."), kind=ErrorKind.NOT_FOUND)


def product_create(
    supplier: Supplier,
    *,
    actor: User | None,
    title_en: str,
    title_zh: str,
    category: Category | str,
    hs_code: str,
    weight_g: int | str,
    length_cm: Decimal | str,
    width_cm: Decimal | str,
    height_cm: Decimal | str,
    declared_value_usd: Decimal | str,
    attributes: Mapping[str, str] | str | None = None,
    origin_country: str = "CN",
    source: str = "portal",
) -> Product:
    """A new product owned by `supplier`. `category` is a Category or its code."""
    _acting_for(actor, supplier)
    fields = product_fields_clean(
        {
            "title_en": title_en,
            "title_zh": title_zh,
            "category": category,
            "hs_code": hs_code,
            "weight_g": weight_g,
            "length_cm": length_cm,
            "width_cm": width_cm,
            "height_cm": height_cm,
            "declared_value_usd": declared_value_usd,
            "attributes": attributes or {},
            "origin_country": origin_country,
        }
    )
    with transaction.atomic():
        product = Product.objects.create(owner=supplier, **fields)
        record_event(
            "product.created",
            actor=actor,
            supplier=supplier,
            subject=product,
            payload={
                "title_en": product.title_en,
                "category": product.category.code,
                "hs_code": product.hs_code,
                "source": source,
            },
        )
    return product


def _current(product: Product, name: str) -> Any:
    # The category by id: comparing instances would load the current one.
    if name == "category":
        return product.category_id
    return getattr(product, name)


def _comparable(name: str, value: Any) -> Any:
    return value.pk if name == "category" else value


def product_update(
    product: Product, *, supplier: Supplier, actor: User | None, **changes: Any
) -> Product:
    """Change some of the product's EDITABLE fields; a no-op (and no event) when nothing
    differs."""
    _acting_for(actor, supplier)
    _own(product, supplier)
    cleaned = product_fields_clean(changes, partial=True)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        _own(locked, supplier)
        changed = [
            name
            for name, value in cleaned.items()
            if _current(locked, name) != _comparable(name, value)
        ]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.save(update_fields=changed)
        record_event(
            "product.updated",
            actor=actor,
            supplier=supplier,
            subject=locked,
            payload={"changed": changed},
        )
    return locked


# --- Images ----------------------------------------------------------------------------------


def _image_refused(message: str, code: str = "invalid_image") -> DomainError:
    return DomainError(code, message, fields={"image": [message]}, kind=ErrorKind.INVALID)


def _read_limited(upload: IO[bytes]) -> bytes:
    size = getattr(upload, "size", None)
    too_large = _image_refused(
        _("The image may be at most %(limit)s.") % {"limit": filesizeformat(IMAGE_MAX_BYTES)},
        "image_too_large",
    )
    if size is not None and size > IMAGE_MAX_BYTES:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(IMAGE_MAX_BYTES + 1)
    if len(content) > IMAGE_MAX_BYTES:
        raise too_large
    return content


def image_check(content: bytes) -> str:
    """The image's format (a key of IMAGE_FORMATS) if Pillow recognises and verifies it within
    the limits; a DomainError naming the `image` field otherwise."""
    from PIL import Image, UnidentifiedImageError

    wrong_type = _image_refused(_("Upload a JPEG, PNG or WebP picture."), "image_type")
    too_big = _image_refused(
        _("The picture is too large: at most %(n)d million pixels.")
        % {"n": IMAGE_MAX_PIXELS // 1_000_000},
        "image_too_large",
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard only warns below twice its limit: make it refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as picture:
                kind = picture.format
                if kind not in IMAGE_FORMATS:
                    raise wrong_type
                if picture.width * picture.height > IMAGE_MAX_PIXELS:
                    raise too_big
                picture.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise wrong_type from None
    return str(kind)


def image_thumbnail(content: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_PX on its longer side, turned upright, transparency on white."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(content)) as picture:
            upright = ImageOps.exif_transpose(picture)
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            if upright.mode in ("RGBA", "LA", "P", "PA"):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, "white")
                flat.paste(rgba, mask=rgba.getchannel("A"))
                upright = flat
            elif upright.mode != "RGB":
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=85, optimize=True)
    except (OSError, SyntaxError, ValueError, EOFError):
        # verify() passes some truncated files that only fail when decoded.
        raise _image_refused(
            _("The picture is damaged; upload it again."), "image_damaged"
        ) from None
    return out.getvalue()


def product_image_add(
    product: Product, *, supplier: Supplier, actor: User | None, upload: IO[bytes]
) -> ProductImage:
    """Add a picture to the supplier's own product, with its thumbnail. The stored name is
    made up here (the uploaded name says nothing reliable) with the format's extension."""
    _acting_for(actor, supplier)
    _own(product, supplier)
    content = _read_limited(upload)
    kind = image_check(content)
    thumbnail = image_thumbnail(content)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        count = locked.images.count()
        if count >= IMAGES_PER_PRODUCT:
            raise _image_refused(
                _("A product has at most %(n)d pictures.") % {"n": IMAGES_PER_PRODUCT},
                "too_many_images",
            )
        last = locked.images.aggregate(last=Max("position"))["last"]
        image = ProductImage(product=locked, position=0 if last is None else last + 1)
        name = uuid.uuid4().hex
        image.image.save(f"{name}.{IMAGE_FORMATS[kind]}", ContentFile(content), save=False)
        image.thumbnail.save(f"{name}.jpg", ContentFile(thumbnail), save=False)
        image.save()
        record_event(
            "product.updated",
            actor=actor,
            supplier=supplier,
            subject=locked,
            payload={"changed": ["images"], "image": image.pk},
        )
    return image
