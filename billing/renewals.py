"""Placeholder until written (issue 5): automatic renewals, invoices and the balance."""

from __future__ import annotations


def renew_due_products() -> int:
    return 0
