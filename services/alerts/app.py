"""The alert service's FastAPI factory."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI

from services.alerts import worker
from services.alerts.audit_routes import router as audit_router
from services.alerts.auth.routes import router as tokens_router
from services.alerts.delivery import worker as delivery_worker
from services.alerts.delivery.routes import deliveries_router, subscriptions_router
from services.alerts.incidents.routes import router as incidents_router
from services.alerts.notices import worker as notices_worker
from services.alerts.notices.routes import router as notices_router
from services.alerts.registry.routes import router as officers_router
from services.alerts.review.routes import router as review_router
from services.alerts.ui.routes import router as console_router
from services.runtime import Runtime
from services.web import Worker, create_app

ROUTERS: tuple[APIRouter, ...] = (
    incidents_router,
    notices_router,
    review_router,
    officers_router,
    audit_router,
    tokens_router,
    subscriptions_router,
    deliveries_router,
    console_router,
)
WORKERS: tuple[Worker, ...] = (worker.run, delivery_worker.run, notices_worker.check_deadlines)


def create_alerts_app(
    runtime_factory: Callable[[], AbstractAsyncContextManager[Runtime]], max_body_bytes: int
) -> FastAPI:
    """The alert service on its own: incidents API, the verdict consumer, alert delivery."""
    return create_app(
        runtime_factory,
        title="Doxwatch alerts",
        routers=ROUTERS,
        workers=WORKERS,
        max_body_bytes=max_body_bytes,
    )
