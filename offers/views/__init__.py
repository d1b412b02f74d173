"""Offer-request pages: `customer` (an organization posting requests) and `partner` (the
partner interface)."""
