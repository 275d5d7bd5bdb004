"""Path parameter types shared by the API routes.

Identifiers are bounded so that absurd numbers are refused at the edge (400)
instead of overflowing SQLite's 64-bit integers further in.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

MAX_ID = 2**53  # also the largest integer JavaScript clients handle exactly

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Number = Annotated[int, PathParameter(ge=1, le=1_000_000)]
