"""The application's forms: the supplier, its factories and the business licence (checked by
content), and a new account's password."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from marketplace.files import PDF_HEADER_WINDOW, content_kind
from suppliers.models import IntendedCategory, Province
from suppliers.validators import validate_credit_code

from ..uploads import LICENCE_EXTENSIONS


def validate_licence(upload: UploadedFile) -> None:
    """A PDF, JPEG or PNG no larger than LICENCE_MAX_BYTES, whose content is what its name says."""
    limit = settings.LICENCE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the licence may be at most %(limit)s."),
            code="licence_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = LICENCE_EXTENSIONS.get(extension)
    upload.seek(0)
    head = upload.read(PDF_HEADER_WINDOW)
    upload.seek(0)
    actual = content_kind(head)
    if claimed is None or actual is None:
        raise ValidationError(
            _("Upload the licence as a PDF, JPEG or PNG file."), code="licence_type"
        )
    if claimed != actual:
        raise ValidationError(
            _("This file is not the %(claimed)s its name says; upload a real PDF, JPEG or PNG."),
            code="licence_mismatch",
            params={"claimed": extension.upper()},
        )


class ApplicationForm(forms.Form):
    """The company part of an application; `licence_required=False` when resubmitting keeps
    the licence already on file unless a new one is uploaded."""

    name_zh = forms.CharField(label=_("Company name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Company name (English)"), max_length=200)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        help_text=_("18 characters, as printed on the business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=100)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    intended_categories = forms.MultipleChoiceField(
        label=_("What you intend to sell"),
        choices=IntendedCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one category.")},
    )
    business_licence = forms.FileField(
        label=_("Business licence"),
        validators=[validate_licence],
        widget=forms.FileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args: Any, licence_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_licence"].required = licence_required
        help_text = (
            _("A scan or photo: PDF, JPEG or PNG, at most %(limit)s.")
            if licence_required
            else _(
                "Upload a new file only to replace the licence on file: PDF, JPEG or PNG, at "
                "most %(limit)s."
            )
        )
        limit = filesizeformat(settings.LICENCE_MAX_BYTES)
        self.fields["business_licence"].help_text = help_text % {"limit": limit}

    def clean_credit_code(self) -> str:
        code = "".join(self.cleaned_data["credit_code"].split()).upper()
        validate_credit_code(code)
        return code


class FactoryForm(forms.Form):
    province = forms.ChoiceField(label=_("Province"), choices=[("", "—"), *Province.choices])
    city = forms.CharField(label=_("City"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300)
    industrial_cluster = forms.CharField(
        label=_("Industrial cluster"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. Shantou Chenghai toys, Yiwu small commodities")}
        ),
    )


class BaseFactoryFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Name at least one factory."),
        "too_many_forms": _("At most %(num)d factories in one application."),
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this factory")

    def factories(self) -> list[Mapping[str, str]]:
        """The filled-in factories, without the rows left blank or marked for removal."""
        return [
            {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


FactoryFormSet = cast(
    type[BaseFactoryFormSet],
    forms.formset_factory(
        FactoryForm,
        formset=BaseFactoryFormSet,
        extra=2,
        min_num=1,
        validate_min=True,
        max_num=30,
        validate_max=True,
        can_delete=True,
    ),
)


class NewPasswordForm(forms.Form):
    """Password twice, checked by the project's password validators against the new user."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request, so the rules read in the visitor's language.
        rules = password_validation.password_validators_help_text_html()
        self.fields["password1"].help_text = rules

    def new_user(self) -> User:
        """The user-to-be the password is checked against (similarity to the username and
        email): from the form's own username and email fields, when it has them."""
        return User(
            username=self.cleaned_data.get("username", ""),
            email=self.cleaned_data.get("email", ""),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, self.new_user())
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


username_field = partial(
    forms.CharField,
    label=_("Username"),
    max_length=150,
    validators=[User.username_validator],
    help_text=_("Letters, digits and @ . + - _ only; you sign in with it."),
    widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
)


class AccountForm(NewPasswordForm):
    """The applicant's own account, which becomes the supplier's owner."""

    field_order = ["username", "email", "password1", "password2"]

    username = username_field()
    email = forms.EmailField(
        label=_("Your email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
