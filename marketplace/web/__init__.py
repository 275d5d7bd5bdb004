"""The web context of the marketplace."""
