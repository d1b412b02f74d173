"""Input of the tag pages. The rules themselves (unique names, readable colours) live in
`tags.services`; the views turn its `ValidationError`s into field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tags import colours
from tags.models import MAX_NAME_LENGTH, Tag

CUSTOM = "custom"


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH + 20)
    colour = forms.ChoiceField(
        label=_("Colour"),
        widget=forms.RadioSelect,
        choices=[(c.value, c.label) for c in colours.PALETTE] + [(CUSTOM, _("Custom colour"))],
        initial=colours.DEFAULT_COLOUR,
    )
    custom_colour = forms.CharField(
        label=_("Custom colour"),
        required=False,
        max_length=7,
        help_text=_("Used when “Custom colour” is chosen; text on it must stay readable."),
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    def __init__(self, *args: Any, tag: Tag | None = None, **kwargs: Any) -> None:
        if tag is not None and "initial" not in kwargs:
            in_palette = any(c.value == tag.colour for c in colours.PALETTE)
            kwargs["initial"] = {
                "name": tag.name,
                "colour": tag.colour if in_palette else CUSTOM,
                "custom_colour": tag.colour,
            }
        super().__init__(*args, **kwargs)

    def chosen_colour(self) -> str:
        if self.cleaned_data["colour"] == CUSTOM:
            return str(self.cleaned_data.get("custom_colour") or "")
        return str(self.cleaned_data["colour"])


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Tag.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, source: Tag, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Tag.objects.filter(  # type: ignore[attr-defined]
            organization_id=source.organization_id
        ).exclude(pk=source.pk)
