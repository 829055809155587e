"""The JIT warehouse's forms: the quantity received, and a rejection for quality with photos."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

PHOTO_MAX_FILES = 10
PHOTO_MAX_BYTES = 10 * 1024 * 1024


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several pictures in one input, each read by Pillow (a picture in name only is refused);
    cleans to a list, empty when none was chosen."""

    widget = MultipleImageInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > PHOTO_MAX_FILES:
            raise forms.ValidationError(
                _("At most %(n)d photos.") % {"n": PHOTO_MAX_FILES}, code="too_many"
            )
        for upload in files:
            if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
                )
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class ReceiveForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here: the largest order is a setting, read when the form is made.
        self.fields["received_quantity"] = forms.IntegerField(
            label=_("received quantity"),
            min_value=0,
            max_value=settings.JIT_MAX_UNITS_PER_ORDER,
            help_text=_("The units that arrived, as counted at the JIT warehouse."),
        )


class RejectQualityForm(forms.Form):
    defect_notes = forms.CharField(
        label=_("defect notes"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("What is wrong, and how many units; the supplier reads it with the penalty."),
    )
    photos = MultipleImageField(
        label=_("photos"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Up to 10 pictures of the defects (JPEG, PNG or WebP, 10 MB each)."),
    )
