"""Fleet fixtures: municipalities, an operator, a buyer, and registered stations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.fleet.runs import FleetConfig
from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount

PROJECT = Path(__file__).parent / "project"
LEIPZIG = "14713000"
DRESDEN = "14612000"

Register = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def accounts(app_db: Database, make_account: MakeAccount) -> dict[str, Any]:
    """Leipzig and Dresden, the operator, and a Leipzig buyer."""
    async with app_db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO laender VALUES ('14', 'SN', 'Sachsen', 4086152)"
        )
        for ags, name in ((LEIPZIG, "Leipzig"), (DRESDEN, "Dresden")):
            await conn.execute(
                "INSERT INTO municipalities (ags, name, kind, land_code, population)"
                " VALUES (?, ?, 'kreisfreie_stadt', '14', 600000)",
                (ags, name),
            )
    return {
        "operator": await make_account("betrieb", Role.OPERATOR),
        "leipzig": await make_account(
            "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags=LEIPZIG
        ),
    }


@pytest.fixture
def fleet_config(client: AsyncTestClient[Litestar], tmp_path: Path) -> FleetConfig:
    """Runs execute the small real playbook in ``project/`` (see its comment)."""
    config = FleetConfig(
        runs_dir=tmp_path / "runs", project_dir=PROJECT, playbook="version.yml"
    )
    client.app.state.fleet_config = config
    return config


@pytest.fixture
def register(
    client: AsyncTestClient[Litestar], accounts: dict[str, Any], tmp_path: Path
) -> Register:
    """Register a station whose "address" is a folder on this machine."""

    async def make(name: str, *, ags: str = LEIPZIG, group: str = "default") -> Any:
        folder = tmp_path / "stations" / name
        folder.mkdir(parents=True)
        response = await client.post(
            "/api/v1/fleet/appliances",
            json={
                "name": name,
                "municipality_ags": ags,
                "hardware_kind": "pc",
                "rollout_group": group,
                "connection": "local",
                "address": str(folder),
            },
            headers=accounts["operator"],
        )
        assert response.status_code == 201, response.text
        return response.json()

    return make
