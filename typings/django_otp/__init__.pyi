# Type declarations for the parts of django-otp the portal uses (django-otp ships no type hints).
# Written from django-otp's documented API; only what the portal calls.
from django.http import HttpRequest
from django_otp.models import Device

DEVICE_ID_SESSION_KEY: str

def login(request: HttpRequest, device: Device) -> None: ...
