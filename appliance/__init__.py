"""The mailroom scan station: capture, clean, read, route, archive, deliver."""
