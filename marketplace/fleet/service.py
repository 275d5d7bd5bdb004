"""Fleet rules for stations: registration, one-time enrolment tokens, enrolment,
revocation, device signatures and heartbeats.

Who may do what: an operator (the IT provider's operations staff, for now the
marketplace's ``operator`` role) registers, enrols and revokes stations; a
municipality's buyers may see their own stations; a station acts only for its own
municipality and is refused from the moment it is revoked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from marketplace.db import Database
from marketplace.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from marketplace.fleet import repository
from marketplace.fleet.schemas import (
    Appliance,
    ApplianceIn,
    ApplianceState,
    Device,
    EnrolmentGranted,
    EnrolmentIn,
    HeartbeatAck,
    HeartbeatIn,
    IssuedEnrolmentToken,
    TokenIn,
)
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.secrets import new_token, token_digest
from marketplace.identity.service import require_role

ENROLMENT_PREFIX = "mpe"
AUTH_SCHEME = "appliance"
CLOCK_SKEW_SECONDS = 300
HEARTBEAT_SECONDS = 300
OVERDUE_AFTER_BEATS = 3  # silent this many beats: the overview says "überfällig"
_AUTH = re.compile(r"^id=(\d{1,15}),ts=(\d{1,12}),sig=([A-Za-z0-9_-]{86})$")


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Stations --------------------------------------------------------------------------


async def register(
    db: Database, principal: Principal | None, data: ApplianceIn
) -> Appliance:
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if not await repository.municipality_exists(conn, data.municipality_ags):
            raise InvalidInput(f"Die Kommune {data.municipality_ags} ist unbekannt.")
        if await repository.name_taken(conn, data.name):
            raise Conflict(f"Eine Station „{data.name}“ gibt es bereits.")
        appliance_id = await repository.insert_appliance(conn, data, _stamp(_now()))
        found = await repository.appliance(conn, appliance_id)
    assert found is not None
    return found


async def appliances(db: Database, principal: Principal | None) -> list[Appliance]:
    """All stations for the operator; a municipality's own stations for its buyers."""
    caller = require_role(principal, Role.OPERATOR, Role.MUNICIPALITY_BUYER)
    async with db.read() as conn:
        if caller.role is Role.OPERATOR:
            return await repository.appliances(conn)
        return await repository.appliances(conn, caller.municipality_ags)


async def appliance(
    db: Database, principal: Principal | None, appliance_id: int
) -> Appliance:
    caller = require_role(principal, Role.OPERATOR, Role.MUNICIPALITY_BUYER)
    async with db.read() as conn:
        found = await repository.appliance(conn, appliance_id)
    if found is None or (
        caller.role is not Role.OPERATOR
        and found.municipality_ags != caller.municipality_ags
    ):
        raise NotFound(f"Die Station {appliance_id} gibt es nicht.")
    return found


async def issue_token(
    db: Database, principal: Principal | None, appliance_id: int, data: TokenIn
) -> IssuedEnrolmentToken:
    """A one-time enrolment token, shown once, kept only as its hash."""
    caller = require_role(principal, Role.OPERATOR)
    token = new_token(ENROLMENT_PREFIX)
    now = _now()
    expires = _stamp(now + timedelta(hours=data.valid_hours))
    async with db.transaction() as conn:
        found = await repository.appliance(conn, appliance_id)
        if found is None:
            raise NotFound(f"Die Station {appliance_id} gibt es nicht.")
        if found.state is ApplianceState.REVOKED:
            raise InvalidTransition(
                f"Die Station {found.name} ist gesperrt; legen Sie für ein neues "
                "Gerät eine neue Station an.",
                state=found.state.value,
            )
        await repository.insert_token(
            conn,
            digest=token_digest(token),
            appliance_id=appliance_id,
            user_id=caller.user_id,
            now=_stamp(now),
            expires=expires,
        )
    return IssuedEnrolmentToken(
        token=token, appliance_id=appliance_id, expires_at=expires
    )


async def enrol(db: Database, data: EnrolmentIn) -> EnrolmentGranted:
    """Bind the station's public key to its record; the token is spent."""
    digest = token_digest(data.token)
    now = _stamp(_now())
    async with db.transaction() as conn:
        token = await repository.token(conn, digest)
        if token is None:
            raise NotAuthenticated("Das Anmeldetoken ist unbekannt.")
        if token["used_at"] is not None:
            raise NotAuthenticated(
                "Das Anmeldetoken wurde bereits verwendet; jedes Token gilt nur "
                "einmal. Bitte ein neues Token erzeugen."
            )
        if token["expires_at"] <= now:
            raise NotAuthenticated(
                "Das Anmeldetoken ist abgelaufen. Bitte ein neues Token erzeugen."
            )
        await repository.use_token(conn, digest, now)
        station = await repository.appliance(conn, token["appliance_id"])
        if station is None or station.state is ApplianceState.REVOKED:
            raise PermissionDenied("Die Station ist gesperrt.")
        fingerprint = key_fingerprint(data.public_key)
        await repository.enrol(
            conn,
            token["appliance_id"],
            public_key=data.public_key,
            fingerprint=fingerprint,
            hostname=data.hostname,
            version=data.software_version,
            now=now,
        )
        found = await repository.appliance(conn, token["appliance_id"])
    assert found is not None
    return EnrolmentGranted(
        appliance_id=found.id,
        name=found.name,
        municipality_ags=found.municipality_ags,
        key_fingerprint=fingerprint,
        enrolled_at=now,
    )


async def revoke(
    db: Database, principal: Principal | None, appliance_id: int
) -> Appliance:
    """Refuse the station from now on; its unused tokens die with it."""
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if await repository.appliance(conn, appliance_id) is None:
            raise NotFound(f"Die Station {appliance_id} gibt es nicht.")
        await repository.revoke(conn, appliance_id, _stamp(_now()))
        found = await repository.appliance(conn, appliance_id)
    assert found is not None
    return found


# Device calls ----------------------------------------------------------------------


async def authenticate_device(
    db: Database,
    header: str | None,
    *,
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> Device:
    """Verify ``Authorization: Appliance id=..,ts=..,sig=..`` on every device call."""
    scheme, _, params = (header or "").partition(" ")
    match = _AUTH.match(params.strip()) if scheme.lower() == AUTH_SCHEME else None
    if match is None:
        raise NotAuthenticated(
            "Erwartet wird „Authorization: Appliance id=…,ts=…,sig=…“."
        )
    appliance_id, timestamp = int(match[1]), int(match[2])
    if abs((now or time.time()) - timestamp) > CLOCK_SKEW_SECONDS:
        raise NotAuthenticated(
            "Der Zeitstempel der Anfrage weicht mehr als fünf Minuten ab; "
            "bitte die Uhr der Station prüfen."
        )
    async with db.read() as conn:
        row = await repository.device_key(conn, appliance_id)
    if row is None or row["public_key"] is None:
        raise NotAuthenticated("Die Station ist nicht angemeldet.")
    if not _valid(row["public_key"], match[3], method, path, timestamp, body):
        raise NotAuthenticated("Die Signatur der Anfrage ist ungültig.")
    if row["state"] == ApplianceState.REVOKED:
        raise PermissionDenied(
            "Die Station ist gesperrt: der Marktplatz nimmt von ihr nichts mehr an.",
            appliance_state=ApplianceState.REVOKED.value,
        )
    return Device(
        appliance_id=row["id"],
        name=row["name"],
        municipality_ags=row["municipality_ags"],
    )


def require_device_for(device: Device, ags: str) -> Device:
    """A station acts only for its own municipality."""
    if device.municipality_ags != ags:
        raise PermissionDenied(
            f"Die Station {device.name} darf nur für ihre eigene Kommune "
            f"({device.municipality_ags}) liefern."
        )
    return device


async def heartbeat(
    db: Database, device: Device, data: HeartbeatIn, peer: str | None
) -> HeartbeatAck:
    now = _stamp(_now())
    async with db.transaction() as conn:
        await repository.record_heartbeat(
            conn,
            device.appliance_id,
            version=data.software_version,
            health=data.health,
            peer=peer,
            now=now,
        )
        found = await repository.appliance(conn, device.appliance_id)
    assert found is not None
    return HeartbeatAck(
        appliance_id=device.appliance_id,
        received_at=now,
        next_heartbeat_seconds=HEARTBEAT_SECONDS,
        target_version=found.target_version,
    )


def heartbeat_overdue(found: Appliance, now: datetime | None = None) -> bool:
    """An enrolled station silent for more than three beats since its last beat
    (or since its enrolment, when it has not beaten yet)."""
    since = found.last_heartbeat_at or found.enrolled_at
    if found.state is not ApplianceState.ENROLLED or since is None:
        return False
    silent = (now or _now()) - datetime.fromisoformat(since)
    return silent > timedelta(seconds=OVERDUE_AFTER_BEATS * HEARTBEAT_SECONDS)


def signing_text(method: str, path: str, timestamp: int, body: bytes) -> bytes:
    """The bytes a station signs (``appliance.enrolment.signing_text`` builds the same)."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{digest}".encode()


def key_fingerprint(public_key: str) -> str:
    return "SHA256:" + hashlib.sha256(_unb64(public_key)).hexdigest()[:32]


def _valid(
    public_key: str, sig: str, method: str, path: str, timestamp: int, body: bytes
) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(_unb64(public_key))
        key.verify(_unb64(sig), signing_text(method, path, timestamp, body))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
