from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api import Conflict
from core.api_fields import StrictModelSerializer
from tokens import services
from tokens.models import MailingList, Subscriber


class MailingListSerializer(StrictModelSerializer):
    subscribers = serializers.IntegerField(source="subscriber_count", read_only=True)

    class Meta:
        model = MailingList
        fields = ["id", "name", "created_at", "subscribers"]
        read_only_fields = ["id", "created_at", "subscribers"]

    def validate_name(self, value: str) -> str:
        organization = self.context["organization"]
        if MailingList.objects.for_org(organization).filter(name__iexact=value.strip()).exists():
            raise Conflict(
                _("A mailing list with this name exists already."), code="already_exists"
            )
        return value.strip()


class SubscriberSerializer(StrictModelSerializer):
    class Meta:
        model = Subscriber
        fields = ["id", "email", "name", "subscribed_at"]
        read_only_fields = ["id", "subscribed_at"]

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        mailing_list = self.context["mailing_list"]
        if Subscriber.objects.filter(mailing_list=mailing_list, email=value).exists():
            raise Conflict(_("This address is subscribed already."), code="already_exists")
        return value

    def create(self, validated_data: dict[str, Any]) -> Subscriber:
        return services.do_subscribe(self.context["mailing_list"], **validated_data)
