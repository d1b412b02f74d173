"""Input of the partner pages: the partner's settings, the filters of the request list, a proposal
and a report. The rules (only while valid, once per partner) live in `offers.proposals`; the
views turn its refusals into messages or field errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from offers.categories import BUDGETS, CATEGORIES, LANGUAGES, REGIONS
from offers.models import Proposal, Report

NEWEST = "newest"
DEADLINE = "deadline"
SORTS = [(NEWEST, _("Newest first")), (DEADLINE, _("Deadline soonest"))]


class PartnerSettingsForm(forms.Form):
    public_name = forms.CharField(
        label=_("Public name"),
        max_length=150,
        help_text=_("The name customers see on your proposals."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What your organization does, in a few sentences."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories of requests you want"),
        choices=CATEGORIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You receive an email for each new request of these categories."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions where you work"),
        choices=REGIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to receive the requests of every region."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you work in"),
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to receive the requests in every language."),
    )

    def clean_public_name(self) -> str:
        name = " ".join(self.cleaned_data["public_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the name customers will see."))
        return name


class OfferFilterForm(forms.Form):
    """The GET filters of the request list. A value that is not one of the choices is dropped
    (the list then shows everything for that field) rather than breaking the page."""

    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *CATEGORIES]
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *REGIONS]
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("All languages")), *LANGUAGES]
    )
    budget = forms.ChoiceField(
        label=_("Budget"), required=False, choices=[("", _("Any budget")), *BUDGETS]
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def __init__(self, *args: Any, categories: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if categories is not None:
            # Only the categories the partner subscribed to can match anything.
            self.fields["category"].choices = [  # type: ignore[attr-defined]
                ("", _("All categories")),
                *[(key, label) for key, label in CATEGORIES if key in categories],
            ]

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (every field of this form is optional)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in ("category", "region", "language", "budget")
            if data.get(name)
        }

    def sort_key(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or NEWEST


class ProposalForm(forms.ModelForm[Proposal]):
    class Meta:
        model = Proposal
        fields = ["message", "price_estimate", "timeline"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}
        labels = {"price_estimate": _("Price estimate (CHF)")}
        error_messages = {"message": {"required": _("Write your proposal.")}}
        help_texts = {
            "message": _("What you propose and how the customer can reach you."),
            "price_estimate": _("Optional: your estimate in Swiss francs, for example 2500."),
            "timeline": _("Optional: for example “3 weeks from the go-ahead”."),
        }

    def clean_message(self) -> str:
        message = str(self.cleaned_data["message"]).strip()
        if not message:
            raise forms.ValidationError(_("Write your proposal."))
        return message

    def clean_price_estimate(self) -> Decimal | None:
        price: Decimal | None = self.cleaned_data.get("price_estimate")
        if price is not None and price < 0:
            raise forms.ValidationError(_("Enter an amount of zero or more."))
        return price


class ReportForm(forms.ModelForm[Report]):
    class Meta:
        model = Report
        fields = ["reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}
        labels = {"reason": _("Why are you reporting this request?")}
        error_messages = {"reason": {"required": _("Say why you report this request.")}}
        help_texts = {
            "reason": _("For example: spam, abusive content, not a real request. Staff read it.")
        }

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("Say why you report this request."))
        return reason
