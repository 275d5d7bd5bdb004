"""Who is calling: users, roles, API tokens and web sessions."""
