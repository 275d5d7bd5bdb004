"""Load the demo data set into an empty database (idempotent)."""

from __future__ import annotations

from marketplace.db import Database


async def seed_demo(db: Database) -> str:
    """Seed demo data; the catalog part is added by the catalog context."""
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM users") as cur:
        row = await cur.fetchone()
    return f"demo data: {row[0] if row else 0} accounts present"
