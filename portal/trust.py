"""The public trust page of a live listing (no login): the product, the markets where it may be
sold now and its verified passing tests, with a QR code of the page's address. Nothing private:
no supplier, price, lot, report number or file, measured value.

Cacheable by anyone (Cache-Control public, an ETag of the body); the language is the reader's
(Accept-Language or the language cookie) or `?lang=`; the page varies on those only. A
listing that is not live (paused, delisted) has no page: 404."""

from __future__ import annotations

import hashlib
import io

import segno
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from catalogue.models import Listing, Market, ProductImage
from catalogue.selectors import sellable_markets_of, with_selling_data
from compliance.models import TrustPage
from compliance.selectors.trust import public_tests, trust_page_by_token
from marketplace.files import private_file

# How long a reader (or a shared cache) may keep the page without asking again.
TRUST_PAGE_MAX_AGE = 300
QR_MAX_AGE = 86400


def trust_url(request: HttpRequest, page: TrustPage) -> str:
    """The page's absolute address (what the QR code holds)."""
    return request.build_absolute_uri(reverse("trust:page", args=[page.token]))


def qr_svg(data: str, *, inline: bool = False) -> str:
    """A QR code of `data` as SVG, drawn on the server (segno), no script or remote asset."""
    code = segno.make(data, error="m")
    if inline:
        return code.svg_inline(scale=4, border=2, title="QR")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=True, title="QR")
    return out.getvalue().decode()


def _page_or_404(token: str) -> TrustPage:
    page = trust_page_by_token(token)
    if page is None:
        raise Http404
    return page


def _reader_language(request: HttpRequest) -> str:
    asked = request.GET.get("lang", "")
    codes = [code for code, _name in settings.LANGUAGES]
    return asked if asked in codes else translation.get_language()


def sellable_markets_now(listing: Listing) -> list[str]:
    """Where the listing may be sold now: where the catalogue sells it (live, priced, stocked)
    and the compliance answer holds (catalogue.selectors.sellable_markets_of)."""
    selling = with_selling_data(
        Listing.objects.filter(pk=listing.pk).select_related("product__category")
    ).get()
    return sellable_markets_of(selling)


def _cacheable(request: HttpRequest, response: HttpResponse, max_age: int) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={max_age}"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["ETag"] = etag
    conditional = get_conditional_response(request, etag=etag, response=response)
    return conditional if conditional is not None else response


@require_safe
def trust_page(request: HttpRequest, token: str) -> HttpResponse:
    page = _page_or_404(token)
    listing = page.listing
    language = _reader_language(request)
    with translation.override(language):
        product = listing.product
        chinese = language.startswith("zh")
        markets = sellable_markets_now(listing)
        market_names = dict(Market.choices)
        has_picture = ProductImage.objects.filter(product_id=product.pk).exists()
        url = trust_url(request, page)
        response = render(
            request,
            "trust/page.html",
            {
                "token": page.token,
                "title": product.title_zh if chinese else product.title_en,
                "category": product.category.name_zh if chinese else product.category.name_en,
                "has_picture": has_picture,
                "markets": [(market, market_names[market]) for market in markets],
                "tests": public_tests(listing),
                "qr": mark_safe(qr_svg(url, inline=True)),  # noqa: S308 (segno's own SVG)
                "url": url,
                "language": language,
                "today": timezone.localdate(),
            },
        )
        response["Content-Language"] = language
    return _cacheable(request, response, TRUST_PAGE_MAX_AGE)


@require_safe
def trust_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The page's QR code as an SVG file (for printing on a label or a leaflet)."""
    page = _page_or_404(token)
    response = HttpResponse(qr_svg(trust_url(request, page)), content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return _cacheable(request, response, QR_MAX_AGE)


@require_safe
def trust_picture(request: HttpRequest, token: str) -> FileResponse:
    """The product's first picture (its thumbnail), the only media the public page shows."""
    page = _page_or_404(token)
    image = ProductImage.objects.filter(product_id=page.listing.product_id).first()
    if image is None:
        raise Http404
    response = private_file(image.thumbnail, max_age=TRUST_PAGE_MAX_AGE)
    response["Cache-Control"] = f"public, max-age={TRUST_PAGE_MAX_AGE}"
    # The stored file's name is the supplier's upload: not for the public.
    if "Content-Disposition" in response:
        del response["Content-Disposition"]
    return response
