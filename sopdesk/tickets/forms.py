"""Form pieces every ticket page shares (workspace and portal): the version a page showed, files by the handful."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# Files one message may carry; each file is checked by the attachment action, not here.
MAX_FILES = 10


class VersionedForm(forms.Form):
    # The ticket version the page showed: a stale change is refused (the action's If-Match).
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name, at most MAX_FILES; each is checked by the attachment action."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(count)d files at once.") % {"count": MAX_FILES})
        return [super(MultipleFileField, self).clean(item, initial) for item in files]
