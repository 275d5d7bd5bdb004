"""Connectors: delivery of submissions and scanned mail into Fachverfahren and E-Akte."""
