"""The application factory: settings in, a configured Litestar app out."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from marketplace import __version__
from marketplace.catalog.routes import router as catalog_router
from marketplace.contracts.routes import router as contracts_router
from marketplace.costs.routes import router as costs_router
from marketplace.db import database_for
from marketplace.delivery.engine import DeliveryEngine
from marketplace.delivery.routes import router as delivery_router
from marketplace.dependencies import (
    provide_db,
    provide_document_store,
    provide_principal,
)
from marketplace.documents.runtime import Janitor
from marketplace.federation.routes import router as federation_router
from marketplace.federation.runtime import Federation
from marketplace.fleet.routes import router as fleet_router
from marketplace.health import health
from marketplace.identity.routes import router as identity_router
from marketplace.intake.routes import router as intake_router
from marketplace.objectstore import object_store_for
from marketplace.openapi import document_problems
from marketplace.problems import EXCEPTION_HANDLERS
from marketplace.settings import Settings
from marketplace.subscriptions.routes import router as subscriptions_router
from marketplace.web.delivery_pages import router as delivery_pages_router
from marketplace.web.formatting import register_filters
from marketplace.web.routes import router as web_router

WEB_DIR = Path(__file__).parent / "web"


WORKER_SETTINGS = "MARKETPLACE_WORKER_SETTINGS"


def worker_app() -> Litestar:
    """The app of one ``serve --workers N`` process: the parent's settings as JSON."""
    raw = os.environ[WORKER_SETTINGS]
    settings = msgspec.json.decode(raw, type=Settings, dec_hook=_path)
    return create_app(settings)


def _path(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(kind)


def create_app(settings: Settings) -> Litestar:
    database = database_for(settings)
    documents = object_store_for(settings)
    federation = Federation(settings)
    delivery = DeliveryEngine(settings, documents)
    janitor = Janitor(settings, documents)

    async def open_database() -> None:
        await database.open()
        try:
            await federation.start(database)
        except BaseException:  # e.g. a key file not the node's: no start
            await database.close()
            raise
        if settings.deliver:
            await delivery.start(database)
        await janitor.start(database)

    async def close_database() -> None:
        await janitor.stop()
        await delivery.stop()
        await federation.stop()
        await database.close()
        await documents.close()

    app = Litestar(
        route_handlers=[
            health,
            identity_router,
            catalog_router,
            costs_router,
            contracts_router,
            subscriptions_router,
            intake_router,
            fleet_router,
            federation_router,
            delivery_router,
            web_router,
            delivery_pages_router,
            create_static_files_router(
                path="/static",
                directories=[WEB_DIR / "static"],
                include_in_schema=False,
            ),
        ],
        state=State(
            {
                "db": database,
                "document_store": documents,
                "settings": settings,
                "federation": federation,
                "delivery": delivery,
                "janitor": janitor,
            }
        ),
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "document_store": Provide(provide_document_store, sync_to_thread=False),
            "principal": Provide(provide_principal),
        },
        on_startup=[open_database],
        on_shutdown=[close_database],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        csrf_config=CSRFConfig(
            secret=settings.csrf_secret or secrets.token_urlsafe(32),
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            exclude=["/api/", "/health", "/schema"],
        ),
        template_config=TemplateConfig(
            directory=WEB_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=register_filters,
        ),
        openapi_config=OpenAPIConfig(
            title="EfA-Marktplatz",
            version=__version__,
            description="Katalog, Kostenmodelle, Verträge und Abonnements "
            "für Einer-für-Alle-Onlinedienste.",
        ),
        logging_config=LoggingConfig(
            root={
                "level": "DEBUG" if settings.debug else "INFO",
                "handlers": ["queue_listener"],
            },
            log_exceptions="debug",
        ),
        debug=settings.debug,
    )
    document_problems(app)
    return app
