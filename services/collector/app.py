"""The collector's FastAPI factory."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI

from services.collector.routes import router
from services.runtime import Runtime
from services.web import create_app

ROUTERS: tuple[APIRouter, ...] = (router,)


def create_collector_app(
    runtime_factory: Callable[[], AbstractAsyncContextManager[Runtime]], max_body_bytes: int
) -> FastAPI:
    """The collector on its own: the intake API."""
    return create_app(
        runtime_factory, title="Doxwatch collector", routers=ROUTERS, max_body_bytes=max_body_bytes
    )
