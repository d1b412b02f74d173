"""Support staff read billing in the admin and may add credit, never edit balances or invoices."""

from __future__ import annotations

from typing import Any

from organizations.support import ensure_support_group


def test_the_support_group_reads_billing_and_adds_credit_only(db: Any) -> None:
    codenames = set(
        ensure_support_group()
        .permissions.filter(content_type__app_label="billing")
        .values_list("codename", flat=True)
    )

    assert {"view_product", "view_invoice", "view_billingaccount", "add_balanceentry"} <= codenames
    assert not {c for c in codenames if c.startswith(("change_", "delete_"))}
