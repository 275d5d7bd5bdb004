"""Demo data: a realistic catalog, municipalities and accounts (see ``seed``)."""

from __future__ import annotations

from marketplace.demo.seed import seed_demo

__all__ = ["seed_demo"]
