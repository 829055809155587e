from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalogue.models import Product, ProductImage
from catalogue.services import products as products_service
from catalogue.services.products import (
    IMAGE_MAX_BYTES,
    THUMBNAIL_PX,
    attributes_parse,
    product_create,
    product_image_add,
    product_update,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from tests.factories.catalogue import CategoryFactory, ProductFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def member():
    return MembershipFactory(role="owner")


@pytest.fixture
def toys():
    return CategoryFactory(code="toys")


def fields(**overrides):
    data = {
        "title_en": "Building blocks set",
        "title_zh": "积木套装",
        "category": "toys",
        "hs_code": "9503.00",
        "weight_g": 450,
        "length_cm": "30",
        "width_cm": "20.5",
        "height_cm": "8",
        "declared_value_usd": "6.50",
        "attributes": {"material": "ABS", "age": "3+"},
    }
    data.update(overrides)
    return data


def picture(
    size=(800, 600), kind="PNG", mode="RGB", name="photo.png", exif_rotate=False
) -> SimpleUploadedFile:
    image = Image.new(mode, size, "red" if mode == "RGB" else None)
    out = io.BytesIO()
    extra = {}
    if exif_rotate:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise on display
        extra["exif"] = exif.tobytes()
    image.save(out, kind, **extra)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# --- Products --------------------------------------------------------------------------------


def test_a_supplier_creates_its_product_with_an_event(member, toys):
    product = product_create(member.supplier, actor=member.user, **fields())
    assert product.owner == member.supplier
    assert product.category == toys
    assert product.hs_code == "950300"
    assert product.width_cm == Decimal("20.5")
    assert product.attributes == {"material": "ABS", "age": "3+"}
    event = Event.objects.get(kind="product.created")
    assert (event.actor, event.supplier_id, event.subject_id) == (
        member.user,
        member.supplier_id,
        str(product.pk),
    )
    assert event.payload["source"] == "portal"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hs_code", "9503"),
        ("hs_code", "95030000001"),
        ("hs_code", "95AB00"),
        ("weight_g", 0),
        ("weight_g", "-3"),
        ("length_cm", "0"),
        ("width_cm", "-1"),
        ("height_cm", "2.55"),
        ("declared_value_usd", "0"),
        ("declared_value_usd", "1.234"),
        ("declared_value_usd", "NaN"),
        ("category", "no-such-category"),
        ("title_en", "   "),
        ("title_zh", "x" * 201),
        ("attributes", {"colour": ["red", "blue"]}),
        ("attributes", {"nested": {"a": "b"}}),
        ("attributes", {"x" * 51: "long name"}),
        ("attributes", {"note": "y" * 201}),
        ("attributes", {f"k{n}": "v" for n in range(31)}),
        ("attributes", "material ABS"),
        ("origin_country", "XX"),
        ("origin_country", "China"),
        ("origin_country", ""),
    ],
)
def test_bad_product_fields_are_refused_and_named(member, toys, field, value):
    with pytest.raises(DomainError) as refused:
        product_create(member.supplier, actor=member.user, **fields(**{field: value}))
    assert refused.value.kind == ErrorKind.INVALID
    assert list(refused.value.fields) == [field]
    assert not Product.objects.exists()
    assert not Event.objects.exists()


def test_a_product_is_made_in_china_unless_the_supplier_says_where(member, toys):
    made_in_china = product_create(member.supplier, actor=member.user, **fields())
    assert made_in_china.origin_country == "CN"
    elsewhere = product_create(
        member.supplier, actor=member.user, **fields(title_en="Tiles VN", origin_country="vn")
    )
    assert elsewhere.origin_country == "VN"
    product_update(elsewhere, supplier=member.supplier, actor=member.user, origin_country="KH")
    elsewhere.refresh_from_db()
    assert elsewhere.origin_country == "KH"


def test_every_bad_field_is_named_at_once(member, toys):
    with pytest.raises(DomainError) as refused:
        product_create(
            member.supplier, actor=member.user, **fields(hs_code="1", weight_g=0, category="x")
        )
    assert set(refused.value.fields) == {"hs_code", "weight_g", "category"}


def test_attributes_text_is_parsed():
    assert attributes_parse("material=ABS; age = 3+\ncolour=red;;") == {
        "material": "ABS",
        "age": "3+",
        "colour": "red",
    }
    with pytest.raises(ValueError, match="oops"):
        attributes_parse("a=b;oops")


def test_a_supplier_updates_its_product_and_only_what_changed_is_recorded(member, toys):
    product = product_create(member.supplier, actor=member.user, **fields())
    other = CategoryFactory(code="home")
    updated = product_update(
        product,
        supplier=member.supplier,
        actor=member.user,
        title_en="Blocks, 120 pieces",
        category="home",
        weight_g=450,
    )
    assert (updated.title_en, updated.category, updated.weight_g) == (
        "Blocks, 120 pieces",
        other,
        450,
    )
    event = Event.objects.get(kind="product.updated")
    assert event.payload == {"changed": ["title_en", "category"]}
    # The same values again: nothing to record.
    product_update(
        product, supplier=member.supplier, actor=member.user, title_en="Blocks, 120 pieces"
    )
    assert Event.objects.filter(kind="product.updated").count() == 1


def test_an_update_is_checked_like_a_creation(member, toys):
    product = product_create(member.supplier, actor=member.user, **fields())
    with pytest.raises(DomainError) as refused:
        product_update(product, supplier=member.supplier, actor=member.user, hs_code="12")
    assert list(refused.value.fields) == ["hs_code"]
    product.refresh_from_db()
    assert product.hs_code == "950300"


def test_a_supplier_never_edits_another_suppliers_product(member, toys):
    rival = MembershipFactory(role="owner")
    theirs = ProductFactory(owner=rival.supplier)
    spec = ProductFactory(owner=None)  # an operator's tender specification
    for product in (theirs, spec):
        with pytest.raises(DomainError) as refused:
            product_update(product, supplier=member.supplier, actor=member.user, title_en="Mine")
        assert refused.value.kind == ErrorKind.NOT_FOUND
        with pytest.raises(DomainError) as refused:
            product_image_add(
                product, supplier=member.supplier, actor=member.user, upload=picture()
            )
        assert refused.value.kind == ErrorKind.NOT_FOUND
    # Nor through a supplier it does not belong to.
    mine = ProductFactory(owner=member.supplier)
    with pytest.raises(DomainError) as refused:
        product_update(mine, supplier=member.supplier, actor=rival.user, title_en="Mine")
    assert refused.value.kind == ErrorKind.NOT_FOUND
    assert Product.objects.filter(title_en="Mine").count() == 0
    assert not ProductImage.objects.exists()


# --- Images ----------------------------------------------------------------------------------


def test_a_png_is_stored_with_a_small_jpeg_thumbnail(member):
    product = ProductFactory(owner=member.supplier)
    image = product_image_add(
        product, supplier=member.supplier, actor=member.user, upload=picture((1200, 500))
    )
    assert image.image.name.endswith(".png")
    assert "photo" not in image.image.name  # the name is ours, not the upload's
    with Image.open(image.thumbnail.path) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= THUMBNAIL_PX
        assert thumb.size == (320, 133)
    assert os.path.exists(image.image.path)
    event = Event.objects.get(kind="product.updated")
    assert event.payload == {"changed": ["images"], "image": image.pk}
    second = product_image_add(
        product, supplier=member.supplier, actor=member.user, upload=picture(kind="JPEG")
    )
    assert second.image.name.endswith(".jpg")
    assert [i.pk for i in product.images.all()] == [image.pk, second.pk]
    assert second.position == image.position + 1


def test_webp_and_transparent_png_are_accepted(member):
    product = ProductFactory(owner=member.supplier)
    for upload in (picture(kind="WEBP"), picture(mode="RGBA"), picture(mode="P")):
        image = product_image_add(
            product, supplier=member.supplier, actor=member.user, upload=upload
        )
        with Image.open(image.thumbnail.path) as thumb:
            assert (thumb.format, thumb.mode) == ("JPEG", "RGB")


def test_the_thumbnail_is_turned_upright(member):
    product = ProductFactory(owner=member.supplier)
    upload = picture((600, 300), kind="JPEG", exif_rotate=True)
    image = product_image_add(product, supplier=member.supplier, actor=member.user, upload=upload)
    with Image.open(image.thumbnail.path) as thumb:
        assert thumb.size == (160, 320)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.png", b"just some text, not a picture\n" * 20, "image/png"),
        SimpleUploadedFile("empty.png", b"", "image/png"),
        # A GIF is a real picture, but not one of the kinds we take.
        pytest.param(None, id="gif"),
        # The first bytes of a PNG, then nothing: damaged.
        SimpleUploadedFile("cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(member, upload):
    if upload is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        upload = SimpleUploadedFile("anim.png", out.getvalue(), "image/png")
    product = ProductFactory(owner=member.supplier)
    with pytest.raises(DomainError) as refused:
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=upload)
    assert refused.value.code in {"image_type", "image_damaged"}
    assert list(refused.value.fields) == ["image"]
    assert not ProductImage.objects.exists()
    assert not Event.objects.exists()


def test_a_truncated_jpeg_is_refused(member):
    whole = picture((400, 400), kind="JPEG").read()
    upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], "image/jpeg")
    product = ProductFactory(owner=member.supplier)
    with pytest.raises(DomainError) as refused:
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=upload)
    assert refused.value.code in {"image_type", "image_damaged"}
    assert not ProductImage.objects.exists()


def test_a_file_over_the_byte_limit_is_refused(member):
    noise = Image.frombytes("RGB", (1500, 1500), os.urandom(1500 * 1500 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > IMAGE_MAX_BYTES
    upload = SimpleUploadedFile("big.png", out.getvalue(), "image/png")
    product = ProductFactory(owner=member.supplier)
    with pytest.raises(DomainError) as refused:
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=upload)
    assert refused.value.code == "image_too_large"


def test_a_small_file_of_too_many_pixels_is_refused(member):
    """A decompression bomb: a few kilobytes that would unpack to a hundred million pixels."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    assert out.tell() < 100_000
    upload = SimpleUploadedFile("bomb.png", out.getvalue(), "image/png")
    product = ProductFactory(owner=member.supplier)
    with pytest.raises(DomainError) as refused:
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=upload)
    assert refused.value.code == "image_too_large"


def test_a_product_has_a_limited_number_of_pictures(member, monkeypatch):
    monkeypatch.setattr(products_service, "IMAGES_PER_PRODUCT", 2)
    product = ProductFactory(owner=member.supplier)
    for _n in range(2):
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=picture())
    with pytest.raises(DomainError) as refused:
        product_image_add(product, supplier=member.supplier, actor=member.user, upload=picture())
    assert refused.value.code == "too_many_images"
    assert product.images.count() == 2
