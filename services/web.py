"""HTTP plumbing every service shares: the app factory, problem+json errors, auth, health.

Errors follow RFC 9457: each service's ``errors.py`` subclasses :class:`ProblemError`
with a stable ``type`` (``urn:doxwatch:problem:<slug>``, listed in docs/api.md) and
one handler here turns them, and FastAPI's own validation and routing errors, into
``application/problem+json`` responses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, ClassVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime import Runtime
from services.security import Principal, Role, authenticate

log = structlog.get_logger("doxwatch.web")

PROBLEM_TYPE = "urn:doxwatch:problem:"
PROBLEM_MEDIA = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=["urn:doxwatch:problem:validation"])
    title: str = Field(examples=["Request is not valid"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["text: String should have at least 1 character"])
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems, for validation errors."
    )


class ProblemError(Exception):
    """Base of every service's error tree; carries its HTTP status and problem type."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class Unauthenticated(ProblemError):
    """No valid bearer token."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(ProblemError):
    """The token's role may not do this."""

    status = 403
    slug = "forbidden"
    title = "Not allowed for this role"


class NotFound(ProblemError):
    """No such resource (or not visible to this caller)."""

    status = 404
    slug = "not-found"
    title = "Not found"


class PayloadTooLarge(ProblemError):
    """The request body exceeds DOXWATCH_MAX_BODY_BYTES."""

    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class Unavailable(ProblemError):
    """A dependency (database, bus) is down."""

    status = 503
    slug = "unavailable"
    title = "Service unavailable"


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA)


def responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring the problems an endpoint can return."""
    out: dict[int | str, dict[str, Any]] = {}
    declared: tuple[type[ProblemError], ...] = (Unauthenticated, *errors)
    for err in declared:
        out[err.status] = {
            "model": Problem,
            "description": f"{err.title} (`{PROBLEM_TYPE}{err.slug}`)",
            "content": {PROBLEM_MEDIA: {}},
        }
    out[422] = {
        "model": Problem,
        "description": "Request is not valid",
        "content": {PROBLEM_MEDIA: {}},
    }
    return out


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        resp = problem(exc.status, exc.slug, exc.title, exc.detail)
        resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, "validation", "Request is not valid", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error=repr(exc))
        return problem(500, "internal", "Internal error", "an unexpected error occurred")


class BodyLimit:
    """ASGI middleware that refuses bodies over ``limit`` bytes with 413, even when chunked."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body as it streams in."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, send)
                return
        seen = 0
        too_large = False

        async def counting() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting, send)
        except _TooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        resp = problem(
            413,
            PayloadTooLarge.slug,
            PayloadTooLarge.title,
            f"request body exceeds {self.limit} bytes",
        )
        await resp(scope, _no_receive, send)


class _TooLarge(Exception):
    pass


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


# Dependencies ---------------------------------------------------------------------------


def get_runtime(request: Request) -> Runtime:
    """The Runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> AsyncIterator[AsyncSession]:
    """A request-scoped session that owns the transaction: commit on success, else rollback."""
    async with runtime.sessions() as session, session.begin():
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
"""The request's session. ``scope="function"`` commits *before* the response is sent:
a client that got a 2xx can rely on the change being stored (with the default scope
the commit would run after the response, racing the client's next request)."""


async def get_principal(
    request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="doxwatch"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "send an API token as 'Authorization: Bearer <token>'", headers=challenge
        )
    async with runtime.sessions() as session:
        principal = await authenticate(session, token.strip())
    if principal is None:
        raise Unauthenticated("the API token is unknown or revoked", headers=challenge)
    return principal


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers with one of ``roles``."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"role {principal.role.value!r} may not do this "
                f"(needs {', '.join(sorted(r.value for r in allowed))})"
            )
        return principal

    return dependency


# App factory ----------------------------------------------------------------------------

Worker = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]
"""A background task of a service (a consumer loop); returns when the event is set."""


MAX_RESTART_DELAY_S = 30.0


async def _supervise(
    worker: Worker, runtime: Runtime, stopping: asyncio.Event, failures: dict[str, str]
) -> None:
    """Run a worker; when it fails (broker or database gone), restart it with backoff.

    The batch in flight was not committed, so the restarted worker redoes it. While a
    worker waits to be restarted, ``failures`` names it and /readyz answers 503.
    """
    name = getattr(worker, "__qualname__", repr(worker))
    delay = 0.5
    while not stopping.is_set():
        failures.pop(name, None)
        try:
            await worker(runtime, stopping)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures[name] = repr(exc)[:300]
            log.error("worker failed, restarting", worker=name, error=repr(exc), delay_s=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, MAX_RESTART_DELAY_S)


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: database and bus reachable",
        responses={503: {"model": Problem, "content": {PROBLEM_MEDIA: {}}}},
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        try:
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc!r}"[:300]
        try:
            await runtime.bus.check()
            checks["bus"] = "ok"
        except Exception as exc:
            checks["bus"] = f"error: {exc!r}"[:300]
        for name, check in request.app.state.extra_checks.items():
            checks[name] = check()
        for name, error in getattr(request.app.state, "worker_failures", {}).items():
            checks[f"worker {name}"] = f"error: {error}"
        # "degraded: ..." reports a reduced capability without taking the service out of
        # rotation (e.g. OCR missing: reports still come in and wait for it).
        failing = [k for k, v in checks.items() if v != "ok" and not v.startswith("degraded")]
        if not failing:
            return JSONResponse({"status": "ready", "checks": checks})
        failed = ", ".join(failing)
        return problem(
            503, Unavailable.slug, Unavailable.title, f"not ready: {failed}", checks=checks
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(
    runtime_factory: Callable[[], Any],
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    workers: Iterable[Worker] = (),
    max_body_bytes: int = 2_000_000,
    extra_checks: dict[str, Callable[[], str]] | None = None,
) -> FastAPI:
    """A service app: opens the runtime, runs the workers, serves routers and ops endpoints.

    ``runtime_factory`` returns an async context manager yielding the Runtime (usually
    ``lambda: open_runtime(settings)``); workers run as tasks for the app's lifetime.
    """
    worker_list = list(workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_factory() as runtime:
            app.state.runtime = runtime
            stopping = asyncio.Event()
            failures: dict[str, str] = {}
            app.state.worker_failures = failures
            tasks = [
                asyncio.create_task(_supervise(w, runtime, stopping, failures)) for w in worker_list
            ]
            try:
                yield
            finally:
                stopping.set()
                done, pending = await asyncio.wait(tasks, timeout=10) if tasks else (set(), set())
                for t in pending:
                    t.cancel()
                for t in done:
                    if not t.cancelled() and t.exception() is not None:
                        log.error("worker ended with error", error=repr(t.exception()))

    app = FastAPI(
        title=title,
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.extra_checks = dict(extra_checks or {})
    _install_handlers(app)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.include_router(_ops_router())
    for router in routers:
        app.include_router(router)
    return app
