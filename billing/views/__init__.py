"""Billing pages: products and contacts (`products`), balance, invoices and the renewal timeline
(`invoices`), notification preferences (`preferences`)."""
