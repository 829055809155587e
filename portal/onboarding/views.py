"""Joining the marketplace: the public application, then its status, the operator's comment,
the resubmission and the supplier's history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.errors import DomainError
from suppliers.models import IntendedCategory, Supplier
from suppliers.selectors import notifications_visible_to
from suppliers.services.status import Application, supplier_apply, supplier_resubmit

from ..access import SupplierRequest, check_owner, supplier_required
from ..errors import error_summary, show_domain_error
from ..notifications.subjects import choice_label
from ..notifications.views import PAGE_SIZE, event_lines
from .forms import (
    AccountForm,
    ApplicationForm,
    BaseFactoryFormSet,
    FactoryFormSet,
)

FACTORIES_PREFIX = "factories"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _application(form: ApplicationForm, factories: BaseFactoryFormSet) -> Application:
    data = form.cleaned_data
    return Application(
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        credit_code=data["credit_code"],
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        contact_email=data["contact_email"],
        intended_categories=list(data["intended_categories"]),
        factories=factories.factories(),
        business_licence=data.get("business_licence") or None,
    )


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """A factory owner applies without an account and gets one (the supplier's owner)."""
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    posted = request.method == "POST"
    form = ApplicationForm(request.POST if posted else None, request.FILES if posted else None)
    factories = FactoryFormSet(request.POST if posted else None, prefix=FACTORIES_PREFIX)
    account = AccountForm(request.POST if posted else None)
    if posted and all([form.is_valid(), factories.is_valid(), account.is_valid()]):
        try:
            membership = supplier_apply(
                _application(form, factories),
                username=account.cleaned_data["username"],
                email=account.cleaned_data["email"],
                password=account.cleaned_data["password1"],
            )
        except DomainError as error:
            show_domain_error(request, error, form, account)
        else:
            login(request, membership.user, backend=MODEL_BACKEND)
            messages.success(
                request, _("Thank you: your application is in. We will review it shortly.")
            )
            return redirect("portal:application")
    return render(
        request,
        "portal/apply.html",
        {
            "form": form,
            "factories": factories,
            "account": account,
            "errors": error_summary(form, account, factories=factories),
        },
    )


def _initial(supplier: Supplier) -> tuple[dict[str, Any], list[dict[str, str]]]:
    company = {
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "credit_code": supplier.credit_code,
        "contact_name": supplier.contact_name,
        "contact_phone": supplier.contact_phone,
        "contact_email": supplier.contact_email,
        "intended_categories": supplier.intended_categories,
    }
    factories = [
        {
            "province": factory.province,
            "city": factory.city,
            "address": factory.address,
            "industrial_cluster": factory.industrial_cluster,
        }
        for factory in supplier.factories.all()
    ]
    return company, factories


@supplier_required
@require_http_methods(["GET", "POST"])
def application(request: SupplierRequest) -> HttpResponse:
    """Where the application stands, what the operator asked, the resubmission (owner), and
    the supplier's history."""
    membership = request.membership
    supplier = membership.supplier
    waiting = supplier.status == Supplier.Status.APPLIED and supplier.changes_requested
    form: ApplicationForm | None = None
    factories: BaseFactoryFormSet | None = None
    if request.method == "POST":
        check_owner(membership)
        if not waiting:
            messages.error(request, _("The application is not waiting for changes."))
            return redirect("portal:application")
        form = ApplicationForm(request.POST, request.FILES, licence_required=False)
        factories = FactoryFormSet(request.POST, prefix=FACTORIES_PREFIX)
        if all([form.is_valid(), factories.is_valid()]):
            try:
                supplier_resubmit(supplier, _application(form, factories), actor=request.user)
            except DomainError as error:
                show_domain_error(request, error, form)
            else:
                messages.success(request, _("Your application is back with us for review."))
                return redirect("portal:application")
    elif waiting and membership.is_owner:
        company, factory_rows = _initial(supplier)
        form = ApplicationForm(initial=company, licence_required=False)
        factories = FactoryFormSet(initial=factory_rows, prefix=FACTORIES_PREFIX)

    events = notifications_visible_to(request.user)
    history = events.filter(kind__startswith="supplier.").select_related("actor")
    page = Paginator(history, PAGE_SIZE).get_page(request.GET.get("page"))
    last_move = (
        events.filter(kind="supplier.status_changed")
        .order_by("-occurred_at", "-id")
        .only("reason", "occurred_at")
        .first()
    )
    return render(
        request,
        "portal/application.html",
        {
            "supplier": supplier,
            "waiting": waiting,
            "form": form,
            "factories": factories,
            "factory_list": list(supplier.factories.all()),
            "categories": [
                choice_label(IntendedCategory, code) for code in supplier.intended_categories
            ],
            "licence_name": supplier.business_licence.name.rsplit("/", 1)[-1]
            if supplier.business_licence
            else "",
            "status_reason": last_move.reason if last_move else "",
            "page_obj": page,
            "lines": event_lines(page.object_list),
            "errors": error_summary(form, factories=factories),
        },
    )
