"""Fleet wire types: scan stations, enrolment, heartbeats, runs and rollouts.

Messages from stations (``EnrolmentIn`` aside) accept unknown fields: during a
staged rollout a station on a newer release may report more than this marketplace
knows, and its heartbeat must still count. Operator input is strict.
"""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

Ags = Annotated[str, Meta(pattern=r"^[0-9]{8}$")]
HostName = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
GroupName = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_]{0,39}$")]
Version = Annotated[str, Meta(pattern=r"^[0-9A-Za-z.+_-]{1,40}$")]
PublicKey = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{43}$")]
Short = Annotated[str, Meta(max_length=200)]


class HardwareKind(enum.StrEnum):
    RASPBERRY_PI = "raspberrypi"
    PC = "pc"


class Connection(enum.StrEnum):
    """How Ansible reaches the station: SSH, a root file system, or this host."""

    SSH = "ssh"
    CHROOT = "chroot"
    LOCAL = "local"


class ApplianceState(enum.StrEnum):
    REGISTERED = "registered"
    ENROLLED = "enrolled"
    REVOKED = "revoked"


class Health(msgspec.Struct, kw_only=True, frozen=True):
    """A station's self-report; ``None`` versions mean the program is missing."""

    scanner: Short | None = None
    reader: Short | None = None
    ausweisapp: Short | None = None
    tesseract: Short | None = None
    disk_free_bytes: Annotated[int, Meta(ge=0)] = 0
    disk_total_bytes: Annotated[int, Meta(ge=0)] = 0
    outbox_depth: Annotated[int, Meta(ge=0)] = 0
    dead_letters: Annotated[int, Meta(ge=0)] = 0


class ApplianceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An operator registers a station before it is provisioned and enrolled."""

    name: HostName
    municipality_ags: Ags
    hardware_kind: HardwareKind
    rollout_group: GroupName = "default"
    connection: Connection = Connection.SSH
    address: Annotated[str, Meta(min_length=1, max_length=300)]


class Appliance(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    name: str
    municipality_ags: str
    hardware_kind: HardwareKind
    rollout_group: str
    connection: Connection
    address: str
    state: ApplianceState
    created_at: str
    hostname: str | None = None
    software_version: str | None = None
    target_version: str | None = None
    key_fingerprint: str | None = None
    enrolled_at: str | None = None
    revoked_at: str | None = None
    last_heartbeat_at: str | None = None
    last_heartbeat_from: str | None = None
    health: Health | None = None


class TokenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    valid_hours: Annotated[int, Meta(ge=1, le=168)] = 24


class IssuedEnrolmentToken(msgspec.Struct, kw_only=True, frozen=True):
    """Shown this one time; the marketplace keeps only its hash."""

    token: str
    appliance_id: int
    expires_at: str


class EnrolmentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A station's key request: the one-time token and its new public key."""

    token: Annotated[str, Meta(min_length=10, max_length=200)]
    public_key: PublicKey
    hostname: Annotated[str, Meta(min_length=1, max_length=253)]
    hardware_kind: HardwareKind
    software_version: Short


class EnrolmentGranted(msgspec.Struct, kw_only=True, frozen=True):
    appliance_id: int
    name: str
    municipality_ags: str
    key_fingerprint: str
    enrolled_at: str


class HeartbeatIn(msgspec.Struct, kw_only=True):
    software_version: Short
    hardware_kind: HardwareKind
    health: Health = Health()


class HeartbeatAck(msgspec.Struct, kw_only=True, frozen=True):
    appliance_id: int
    received_at: str
    next_heartbeat_seconds: int
    target_version: str | None = None


class Device(msgspec.Struct, kw_only=True, frozen=True):
    """An enrolled station whose signature on this request was verified."""

    appliance_id: int
    name: str
    municipality_ags: str


class RunKind(enum.StrEnum):
    PROVISION = "provision"
    DRIFT = "drift"
    ROLLOUT = "rollout"


class RunState(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


ExtraVars = dict[Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")], str]


class RunIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Provision (or, with ``check_mode``, report drift on) named stations or a
    rollout group. ``extra_vars`` may not touch ``ansible_*`` connection settings."""

    appliances: list[HostName] = []
    group: GroupName | None = None
    check_mode: bool = False
    extra_vars: ExtraVars = {}


class HostResult(msgspec.Struct, kw_only=True, frozen=True):
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


class Drift(msgspec.Struct, kw_only=True, frozen=True):
    host: str
    task: str
    role: str | None = None


class Run(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    kind: RunKind
    check_mode: bool
    state: RunState
    hosts: list[str]
    started_at: str
    finished_at: str | None = None
    rollout_id: int | None = None
    rollout_stage: int | None = None
    results: list[HostResult] = []
    drift: list[Drift] = []
    failures: list[str] = []
    error: str | None = None


class RunEvent(msgspec.Struct, kw_only=True, frozen=True):
    seq: int
    host: str | None
    task: str
    role: str | None
    outcome: str | None
    message: str
    created_at: str


class RolloutState(enum.StrEnum):
    FIRST_STAGE = "first_stage"
    FIRST_FAILED = "first_failed"
    READY = "ready"
    SECOND_STAGE = "second_stage"
    COMPLETED = "completed"
    FAILED = "failed"


class RolloutIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Roll ``version`` out to ``first_group``; the rest follows on request."""

    version: Version
    first_group: GroupName
    extra_vars: ExtraVars = {}


class Rollout(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    version: str
    first_group: str
    state: RolloutState
    created_at: str
    updated_at: str
    runs: list[int] = []
