"""Delivery engine: routes of a subscription, the outbox, retries, dead letters,
receipts and the transfer log (issue 4)."""
