"""Offer-request pages: `customer` (an organization posting requests), `partner` (the partner interface)."""
