from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tokens import services
from tokens.models import MailingList, Subscriber


class MailingListSerializer(serializers.ModelSerializer):
    subscribers = serializers.IntegerField(source="subscriber_count", read_only=True)

    class Meta:
        model = MailingList
        fields = ["id", "name", "created_at", "subscribers"]
        read_only_fields = ["id", "created_at", "subscribers"]

    def validate_name(self, value: str) -> str:
        organization = self.context["organization"]
        if MailingList.objects.for_org(organization).filter(name__iexact=value.strip()).exists():
            raise serializers.ValidationError("A mailing list with this name exists already.")
        return value.strip()


class SubscriberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscriber
        fields = ["id", "email", "name", "subscribed_at"]
        read_only_fields = ["id", "subscribed_at"]

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        mailing_list = self.context["mailing_list"]
        if Subscriber.objects.filter(mailing_list=mailing_list, email=value).exists():
            raise serializers.ValidationError("This address is subscribed already.")
        return value

    def create(self, validated_data: dict[str, Any]) -> Subscriber:
        return services.do_subscribe(self.context["mailing_list"], **validated_data)
