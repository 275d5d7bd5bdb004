"""Retention of document bodies: delivered bodies are deleted from the document
store after the retention, unreferenced objects after a grace period
(``marketplace documents purge``, and hourly inside ``marketplace serve``).
docs/operations.md, "Retention of document bodies"."""
