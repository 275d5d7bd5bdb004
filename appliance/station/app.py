"""The station's web application: German pages for the mailroom, served locally.

``create_app(settings)`` builds it; the outbox delivery runs in a background thread
for as long as the app runs (when a marketplace token is configured). Every
route but the login page and ``/static`` needs a logged-in operator
(``appliance.station.auth``). Further
routers can be passed in ``extra_routers``; the eID "Bürger identifizieren" flow is
mounted at ``/eid`` when the settings have an ``[eid]`` section.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from appliance.errors import ApplianceError
from appliance.outbox import HttpIntake, run
from appliance.station.auth import RequireLogin
from appliance.station.batches import Station
from appliance.station.eid import eid_router
from appliance.station.login import LOGIN_ROUTES
from appliance.station.routes import PAGES, provide_station
from appliance.station.settings import StationSettings

log = logging.getLogger(__name__)

HERE = Path(__file__).parent


def create_app(
    settings: StationSettings, extra_routers: Sequence[Router] = ()
) -> Litestar:
    station = Station(settings)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def start_delivery() -> None:
        if not settings.deliver:
            return
        from appliance.station.cli import open_intake

        try:
            intake = open_intake(settings)
        except ApplianceError as exc:
            station.delivery_problem = exc.message
            log.warning("outbox delivery not started: %s", exc.message)
            return
        thread = threading.Thread(
            target=_deliver, args=(station, intake, stop), daemon=True
        )
        workers.append(thread)
        thread.start()

    def stop_delivery() -> None:
        stop.set()
        for thread in workers:
            thread.join(settings.outbox.timeout_seconds + 5)
        station.join()

    routers = [*extra_routers]
    if (eid := eid_router(settings)) is not None:
        routers.append(eid)
    thumbs = station.data / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    return Litestar(
        route_handlers=[
            *PAGES,
            *LOGIN_ROUTES,
            *routers,
            create_static_files_router(
                path="/static", directories=[HERE / "static"], include_in_schema=False
            ),
            create_static_files_router(
                path="/vorschau", directories=[thumbs], include_in_schema=False
            ),
        ],
        state=State({"station": station}),
        dependencies={"station": Provide(provide_station, sync_to_thread=False)},
        on_startup=[start_delivery],
        on_shutdown=[stop_delivery],
        middleware=[
            CookieBackendConfig(
                secret=secrets.token_bytes(32),
                key="station-session",
                samesite="strict",
                max_age=12 * 3600,
            ).middleware,
            RequireLogin(),
        ],
        csrf_config=CSRFConfig(
            secret=secrets.token_urlsafe(32),
            cookie_samesite="strict",
            exclude=["/api/"],
        ),
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine
        ),
        openapi_config=None,
    )


def _deliver(station: Station, intake: HttpIntake, stop: threading.Event) -> None:
    try:
        run(station.outbox, intake, station.settings.outbox, stop)
    finally:
        intake.close()
