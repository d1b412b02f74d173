"""What the partner API says of an offer request. The contact details are there only while the
request is valid; afterwards `contact`, `title` and `description` are null (the customer's text
may hold contact details too: issue 12, finding 14) and `valid` is false, so a program keeps no
more than a person sees on the "no longer valid" page. The exception is the partner whose
proposal the customer chose (`chosen: true`): it keeps the text and the contact details, as on its
page, since the two now work together."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from offers.categories import BUDGETS, CATEGORIES, LANGUAGES, REGIONS
from offers.models import OfferRequest


class ContactSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(source="contact_name")
    email = serializers.EmailField(source="contact_email")
    phone = serializers.CharField(source="contact_phone")
    organization = serializers.CharField(source="organization.name")


class PartnerOfferSerializer(serializers.ModelSerializer[OfferRequest]):
    valid = serializers.SerializerMethodField()
    proposal_sent = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    chosen = serializers.SerializerMethodField()
    # Optional on the request: "" when the customer named no region (the schema says so).
    region = serializers.ChoiceField(choices=REGIONS, allow_blank=True, read_only=True)

    class Meta:
        model = OfferRequest
        fields = [
            "id",
            "title",
            "category",
            "budget",
            "deadline",
            "region",
            "language",
            "created_at",
            "valid_until",
            "valid",
            "proposal_sent",
            "chosen",
            "description",
            "contact",
        ]
        read_only_fields = fields

    def get_valid(self, offer: OfferRequest) -> bool:
        return offer.is_valid()

    def _shown(self, offer: OfferRequest) -> bool:
        """The text and contact details: while the request is valid, and for good for the partner
        whose proposal the customer chose (they work together now: issue 13, defect 1)."""
        return offer.is_valid() or self.get_chosen(offer)

    def get_chosen(self, offer: OfferRequest) -> bool:
        """The customer chose this partner's proposal (the partner is the view's, in the
        serializer's context)."""
        partner = self.context.get("partner")
        return partner is not None and offer.chose(partner)

    def get_proposal_sent(self, offer: OfferRequest) -> bool:
        return bool(getattr(offer, "proposed", False))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_title(self, offer: OfferRequest) -> str | None:
        return offer.title if self._shown(offer) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_description(self, offer: OfferRequest) -> str | None:
        return offer.description if self._shown(offer) else None

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, offer: OfferRequest) -> dict[str, Any] | None:
        if not self._shown(offer):
            return None
        return dict(ContactSerializer(offer).data)


class OfferFilterSerializer(serializers.Serializer[Any]):
    """The query parameters of the list; an unknown value is a 400, not an empty list."""

    category = serializers.ChoiceField(choices=CATEGORIES, required=False)
    region = serializers.ChoiceField(choices=REGIONS, required=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    budget = serializers.ChoiceField(choices=BUDGETS, required=False)
    ordering = serializers.ChoiceField(
        choices=[("newest", "newest"), ("deadline", "deadline")], required=False
    )

    def to_internal_value(self, data: Any) -> Any:
        # DRF reads `?region=` from a query string as "not given"; the schema's enum has no ""
        # and a client generated from it never sends one, so it is refused like any other value
        # outside the enum (issue 15).
        blank = [name for name, _field in self.fields.items() if data.get(name, None) == ""]
        if blank:
            raise serializers.ValidationError(
                {name: [_("Choose one of the values the schema lists.")] for name in blank}
            )
        return super().to_internal_value(data)
