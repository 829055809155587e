"""The forms of the JIT order pages: the order filter, the stockout declaration and the appeal
with its attachments (checked by content)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.files import PDF_HEADER_WINDOW, content_kind
from orders.models import JitOrder

from ..uploads import LICENCE_EXTENSIONS

Status = JitOrder.Status


APPEAL_MAX_FILES = 5
APPEAL_MAX_BYTES = 5 * 1024 * 1024


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *Status.choices],
    )
    date_from = forms.DateField(
        label=gettext_lazy("Ordered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("Ordered to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class StockoutForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why can the goods not be supplied?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "A stockout is penalised at 5 times the goods value; the order is closed."
        ),
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the penalty wrong?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Evidence"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _(
            "Up to %(count)d PDF, JPEG or PNG files, at most %(limit)s each: the carrier's "
            "receipt, photos, messages."
        ) % {"count": APPEAL_MAX_FILES, "limit": filesizeformat(APPEAL_MAX_BYTES)}

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["attachments"]
        if len(files) > APPEAL_MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)d files; you chose %(chosen)d.")
                % {"count": APPEAL_MAX_FILES, "chosen": len(files)},
                code="too_many_files",
            )
        errors = [error for upload in files for error in _attachment_errors(upload)]
        if errors:
            raise forms.ValidationError(errors)
        return files


def _attachment_errors(upload: UploadedFile) -> list[str]:
    """A PDF, JPEG or PNG, known by its first bytes (a name proves nothing) and named as what it
    is, no larger than APPEAL_MAX_BYTES."""
    name = upload.name or ""
    if upload.size is not None and upload.size > APPEAL_MAX_BYTES:
        return [
            _("%(name)s is %(size)s; each file may be at most %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(APPEAL_MAX_BYTES),
            }
        ]
    upload.seek(0)
    head = upload.read(PDF_HEADER_WINDOW)
    upload.seek(0)
    actual = content_kind(head)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if actual is None or LICENCE_EXTENSIONS.get(extension) != actual:
        return [_("%(name)s is not a PDF, JPEG or PNG file.") % {"name": name}]
    return []
