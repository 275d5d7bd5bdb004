"""The German web pages, server-rendered, on the same services as the API."""

from __future__ import annotations

from litestar import Router

from marketplace.web import (
    auth,
    catalog_pages,
    contract_pages,
    dashboards,
    federation_pages,
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
    ],
    include_in_schema=False,
)
