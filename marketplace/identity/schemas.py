"""Identity types: roles and the authenticated principal every service receives."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

Login = Annotated[str, Meta(min_length=3, max_length=64, pattern=r"^[a-z0-9._@-]+$")]
Password = Annotated[str, Meta(min_length=8, max_length=256)]


class Role(enum.StrEnum):
    OPERATOR = "operator"
    PROVIDER_ADMIN = "provider_admin"
    MUNICIPALITY_BUYER = "municipality_buyer"


ROLE_LABELS = {
    Role.OPERATOR: "Marktplatzbetrieb",
    Role.PROVIDER_ADMIN: "Anbieter-Administration",
    Role.MUNICIPALITY_BUYER: "Kommunale Beschaffung",
}


class Principal(msgspec.Struct, kw_only=True, frozen=True):
    """An authenticated caller. ``provider_id`` / ``municipality_ags`` scope it."""

    user_id: int
    login: str
    display_name: str
    role: Role
    provider_id: str | None = None
    municipality_ags: str | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Exchange a login and password for a machine token."""

    login: Login
    password: Password
    name: Annotated[str, Meta(min_length=1, max_length=80)] = "API"


class IssuedToken(msgspec.Struct, kw_only=True, frozen=True):
    """A new token; the secret is shown this one time and stored only hashed."""

    token: str
    name: str
    role: Role


class Me(msgspec.Struct, kw_only=True, frozen=True):
    login: str
    display_name: str
    role: Role
    provider_id: str | None
    municipality_ags: str | None
