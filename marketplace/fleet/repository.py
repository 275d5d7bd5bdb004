"""SQL of the fleet context."""

from __future__ import annotations

from typing import Any

import msgspec

from marketplace.db import Connection, Row
from marketplace.fleet.schemas import (
    Appliance,
    ApplianceIn,
    Health,
    Rollout,
    Run,
    RunEvent,
)

_APPLIANCE = (
    "SELECT id, name, municipality_ags, hardware_kind, rollout_group, connection,"
    " address, state, created_at, hostname, software_version, target_version,"
    " key_fingerprint, enrolled_at, revoked_at, last_heartbeat_at,"
    " last_heartbeat_from, health FROM fleet_appliances"
)
_RUN = (
    "SELECT id, kind, check_mode, state, hosts, started_at, finished_at, rollout_id,"
    " rollout_stage, summary, error FROM fleet_runs"
)


def _appliance(row: Row) -> Appliance:
    values = dict(row)
    health = values.pop("health")
    found = msgspec.convert(values, Appliance)
    if health:
        found = msgspec.structs.replace(
            found, health=msgspec.json.decode(health, type=Health)
        )
    return found


async def _appliances(
    conn: Connection, where: str, params: tuple[Any, ...]
) -> list[Appliance]:
    async with conn.execute(f"{_APPLIANCE} WHERE {where} ORDER BY name", params) as cur:
        return [_appliance(row) for row in await cur.fetchall()]


async def appliance(conn: Connection, appliance_id: int) -> Appliance | None:
    found = await _appliances(conn, "id = ?", (appliance_id,))
    return found[0] if found else None


async def appliances(conn: Connection, ags: str | None = None) -> list[Appliance]:
    if ags is None:
        return await _appliances(conn, "1 = 1", ())
    return await _appliances(conn, "municipality_ags = ?", (ags,))


async def appliances_named(conn: Connection, names: list[str]) -> list[Appliance]:
    marks = ", ".join("?" for _ in names)
    return await _appliances(conn, f"name IN ({marks})", tuple(names))


async def appliances_in_group(
    conn: Connection, group: str, *, inside: bool = True
) -> list[Appliance]:
    operator = "=" if inside else "!="
    return await _appliances(
        conn, f"rollout_group {operator} ? AND state != 'revoked'", (group,)
    )


async def name_taken(conn: Connection, name: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM fleet_appliances WHERE name = ?", (name,)
    ) as cur:
        return await cur.fetchone() is not None


async def municipality_exists(conn: Connection, ags: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM municipalities WHERE ags = ?", (ags,)
    ) as cur:
        return await cur.fetchone() is not None


async def insert_appliance(conn: Connection, data: ApplianceIn, now: str) -> int:
    cursor = await conn.execute(
        "INSERT INTO fleet_appliances (name, municipality_ags, hardware_kind,"
        " rollout_group, connection, address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            data.name,
            data.municipality_ags,
            data.hardware_kind.value,
            data.rollout_group,
            data.connection.value,
            data.address,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def insert_token(
    conn: Connection,
    *,
    digest: str,
    appliance_id: int,
    user_id: int,
    now: str,
    expires: str,
) -> None:
    await conn.execute(
        "INSERT INTO fleet_enrolment_tokens (token_hash, appliance_id, created_by,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (digest, appliance_id, user_id, now, expires),
    )


async def token(conn: Connection, digest: str) -> Row | None:
    async with conn.execute(
        "SELECT appliance_id, expires_at, used_at FROM fleet_enrolment_tokens"
        " WHERE token_hash = ?",
        (digest,),
    ) as cur:
        row: Row | None = await cur.fetchone()
        return row


async def use_token(conn: Connection, digest: str, now: str) -> bool:
    cursor = await conn.execute(
        "UPDATE fleet_enrolment_tokens SET used_at = ?"
        " WHERE token_hash = ? AND used_at IS NULL",
        (now, digest),
    )
    return cursor.rowcount == 1


async def enrol(
    conn: Connection,
    appliance_id: int,
    *,
    public_key: str,
    fingerprint: str,
    hostname: str,
    version: str,
    now: str,
) -> None:
    await conn.execute(
        "UPDATE fleet_appliances SET state = 'enrolled', public_key = ?,"
        " key_fingerprint = ?, hostname = ?, software_version = ?, enrolled_at = ?"
        " WHERE id = ? AND state != 'revoked'",
        (public_key, fingerprint, hostname, version, now, appliance_id),
    )


async def device_key(conn: Connection, appliance_id: int) -> Row | None:
    async with conn.execute(
        "SELECT id, name, municipality_ags, state, public_key FROM fleet_appliances"
        " WHERE id = ?",
        (appliance_id,),
    ) as cur:
        row: Row | None = await cur.fetchone()
        return row


async def revoke(conn: Connection, appliance_id: int, now: str) -> None:
    await conn.execute(
        "UPDATE fleet_appliances SET state = 'revoked', revoked_at = ?"
        " WHERE id = ? AND state != 'revoked'",
        (now, appliance_id),
    )
    await conn.execute(
        "UPDATE fleet_enrolment_tokens SET used_at = ?"
        " WHERE appliance_id = ? AND used_at IS NULL",
        (now, appliance_id),
    )


async def record_heartbeat(
    conn: Connection,
    appliance_id: int,
    *,
    version: str,
    health: Health,
    peer: str | None,
    now: str,
) -> None:
    await conn.execute(
        "UPDATE fleet_appliances SET software_version = ?, health = ?,"
        " last_heartbeat_at = ?, last_heartbeat_from = ? WHERE id = ?",
        (version, msgspec.json.encode(health).decode(), now, peer, appliance_id),
    )


async def set_target_version(conn: Connection, names: list[str], version: str) -> None:
    marks = ", ".join("?" for _ in names)
    await conn.execute(
        f"UPDATE fleet_appliances SET target_version = ? WHERE name IN ({marks})",
        (version, *names),
    )


# Runs ------------------------------------------------------------------------------


async def insert_run(
    conn: Connection,
    *,
    kind: str,
    check_mode: bool,
    hosts: list[str],
    extra_vars: dict[str, str],
    user_id: int,
    now: str,
    rollout: tuple[int, int] | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO fleet_runs (kind, check_mode, state, hosts, extra_vars,"
        " rollout_id, rollout_stage, started_by, started_at)"
        " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
        (
            kind,
            int(check_mode),
            msgspec.json.encode(hosts).decode(),
            msgspec.json.encode(extra_vars).decode(),
            rollout[0] if rollout else None,
            rollout[1] if rollout else None,
            user_id,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _run(row: Row) -> Run:
    values = dict(row)
    values["check_mode"] = bool(values["check_mode"])
    values["hosts"] = msgspec.json.decode(values["hosts"])
    summary = values.pop("summary")
    if summary:
        values.update(msgspec.json.decode(summary))
    return msgspec.convert(values, Run)


async def run(conn: Connection, run_id: int) -> Run | None:
    async with conn.execute(f"{_RUN} WHERE id = ?", (run_id,)) as cur:
        row = await cur.fetchone()
    return _run(row) if row else None


async def runs(conn: Connection, limit: int = 100) -> list[Run]:
    async with conn.execute(f"{_RUN} ORDER BY id DESC LIMIT ?", (limit,)) as cur:
        return [_run(row) for row in await cur.fetchall()]


async def rollout_runs(conn: Connection, rollout_id: int) -> list[Run]:
    async with conn.execute(
        f"{_RUN} WHERE rollout_id = ? ORDER BY rollout_stage", (rollout_id,)
    ) as cur:
        return [_run(row) for row in await cur.fetchall()]


async def finish_run(
    conn: Connection,
    run_id: int,
    *,
    state: str,
    summary: dict[str, Any] | None,
    error: str | None,
    artifacts: str | None,
    now: str,
) -> None:
    await conn.execute(
        "UPDATE fleet_runs SET state = ?, summary = ?, error = ?, artifacts = ?,"
        " finished_at = ? WHERE id = ? AND state = 'running'",
        (
            state,
            msgspec.json.encode(summary).decode() if summary is not None else None,
            error,
            artifacts,
            now,
            run_id,
        ),
    )


async def insert_events(
    conn: Connection, run_id: int, events: list[tuple[Any, ...]]
) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO fleet_run_events (run_id, seq, host, task, role,"
        " outcome, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, *event) for event in events],
    )


async def events(conn: Connection, run_id: int, after: int) -> list[RunEvent]:
    async with conn.execute(
        "SELECT seq, host, task, role, outcome, message, created_at"
        " FROM fleet_run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT 1000",
        (run_id, after),
    ) as cur:
        return [msgspec.convert(dict(row), RunEvent) for row in await cur.fetchall()]


# Rollouts --------------------------------------------------------------------------


async def insert_rollout(
    conn: Connection, *, version: str, first_group: str, user_id: int, now: str
) -> int:
    cursor = await conn.execute(
        "INSERT INTO fleet_rollouts (version, first_group, state, started_by,"
        " created_at, updated_at) VALUES (?, ?, 'first_stage', ?, ?, ?)",
        (version, first_group, user_id, now, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


_ROLLOUT = (
    "SELECT id, version, first_group, state, created_at, updated_at FROM fleet_rollouts"
)


async def rollout(conn: Connection, rollout_id: int) -> Rollout | None:
    async with conn.execute(f"{_ROLLOUT} WHERE id = ?", (rollout_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    found = msgspec.convert(dict(row), Rollout)
    runs_of = [r.id for r in await rollout_runs(conn, rollout_id)]
    return msgspec.structs.replace(found, runs=runs_of)


async def rollouts(conn: Connection, limit: int = 50) -> list[Rollout]:
    """The latest rollouts, newest first (without their run ids)."""
    async with conn.execute(f"{_ROLLOUT} ORDER BY id DESC LIMIT ?", (limit,)) as cur:
        return [msgspec.convert(dict(row), Rollout) for row in await cur.fetchall()]


async def set_rollout_state(
    conn: Connection, rollout_id: int, state: str, now: str
) -> None:
    await conn.execute(
        "UPDATE fleet_rollouts SET state = ?, updated_at = ? WHERE id = ?",
        (state, now, rollout_id),
    )
