"""The catalog context of the marketplace."""
