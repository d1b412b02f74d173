"""Addresses are stored in their canonical form (accounts/addresses.py) and looked up exactly.

Rows written before were only lower-cased (or, from an import, not even that); this brings each
to the canonical form. Two rows that become the same address are one person's address and a
look-alike of it: which account is the owner's is a decision for support, not for a migration,
so the migration stops and names both accounts instead of guessing."""

from typing import Any

from django.db import migrations, models

import accounts.addresses
from accounts.addresses import canonical_email


class AddressCollision(RuntimeError):
    pass


def canonicalise_addresses(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    owners: dict[str, int] = {}
    changes: dict[int, str] = {}
    collisions: list[tuple[int, int]] = []
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        canonical = canonical_email(email)
        if canonical in owners:
            collisions.append((owners[canonical], pk))
            continue
        owners[canonical] = pk
        if canonical != email:
            changes[pk] = canonical
    if collisions:
        pairs = ", ".join(f"{first} and {second}" for first, second in collisions)
        raise AddressCollision(
            "These accounts have addresses that are the same once canonical, so one is a "
            f"look-alike of the other: user ids {pairs}. Change or remove the look-alike "
            "(the admin shows both) and migrate again."
        )
    for pk, canonical in changes.items():
        User.objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(canonicalise_addresses, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(
                max_length=254,
                unique=True,
                validators=[accounts.addresses.validate_ascii_local_part],
                verbose_name="email address",
            ),
        ),
    ]
