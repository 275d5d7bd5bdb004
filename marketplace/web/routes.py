"""The German web pages, server-rendered, on the same services as the API."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from marketplace.fleet.routes import provide_executor
from marketplace.web import (
    auth,
    catalog_pages,
    contract_pages,
    dashboards,
    federation_pages,
    fleet_pages,
    fleet_run_pages,
)

router = Router(
    path="/",
    route_handlers=[
        auth.login_form,
        auth.login,
        auth.logout,
        catalog_pages.catalog_page,
        catalog_pages.service_page,
        catalog_pages.compare_page,
        catalog_pages.offer_version_page,
        contract_pages.request_contract,
        contract_pages.contract_page,
        contract_pages.contract_action,
        contract_pages.subscribe,
        dashboards.municipality_dashboard,
        dashboards.provider_dashboard,
        federation_pages.federation_page,
        federation_pages.request_remote_contract,
        fleet_pages.stations_page,
        fleet_pages.register_station,
        fleet_pages.station_page,
        fleet_pages.issue_token,
        fleet_pages.revoke_confirmation,
        fleet_pages.revoke,
        fleet_run_pages.runs_page,
        fleet_run_pages.start_run,
        fleet_run_pages.run_page,
        fleet_run_pages.rollouts_page,
        fleet_run_pages.start_rollout,
        fleet_run_pages.rollout_page,
        fleet_run_pages.continue_rollout,
    ],
    dependencies={"executor": Provide(provide_executor, sync_to_thread=False)},
    include_in_schema=False,
)
