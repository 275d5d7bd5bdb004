"""The subscriptions context of the marketplace."""
