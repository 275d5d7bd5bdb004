"""The costs context of the marketplace."""
