"""The contracts context of the marketplace."""
