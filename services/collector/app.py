"""The collector's FastAPI factory and the parts `doxwatch up` borrows from it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI

from services.collector.ocr import Ocr
from services.collector.reports import ocr_worker
from services.collector.routes import router
from services.collector.sources.config import CollectorConfig
from services.collector.sources.runner import connector_workers
from services.collector.sources.webhook import router as webhook_router
from services.config import Settings
from services.runtime import Runtime
from services.web import Worker, create_app

ROUTERS: tuple[APIRouter, ...] = (router, webhook_router)


@dataclass(frozen=True)
class CollectorParts:
    """What the collector adds to an app: routers, workers, readiness checks, app state."""

    routers: tuple[APIRouter, ...]
    workers: tuple[Worker, ...]
    checks: dict[str, Callable[[], str]]
    state: dict[str, object] = field(default_factory=dict)

    def install(self, app: FastAPI) -> FastAPI:
        """Put the collector's state on an app built with these parts."""
        for key, value in self.state.items():
            setattr(app.state, key, value)
        return app


def collector_parts(settings: Settings, config: CollectorConfig | None = None) -> CollectorParts:
    """The collector's routers, its OCR worker and the connectors of ``config``."""
    config = config or CollectorConfig()
    return CollectorParts(
        routers=ROUTERS,
        workers=(ocr_worker, *connector_workers(config)),
        checks={"ocr": Ocr.from_settings(settings).check},
        state={"webhook_partners": config.partners()},
    )


def create_collector_app(
    runtime_factory: Callable[[], AbstractAsyncContextManager[Runtime]],
    settings: Settings,
    config: CollectorConfig | None = None,
) -> FastAPI:
    """The collector on its own: the intake API, the OCR worker and the connectors."""
    parts = collector_parts(settings, config)
    app = create_app(
        runtime_factory,
        title="Doxwatch collector",
        routers=parts.routers,
        workers=parts.workers,
        max_body_bytes=settings.max_body_bytes,
        extra_checks=parts.checks,
    )
    return parts.install(app)
