"""The URL fetcher against a real local server: redirects, sizes, timeouts, refused addresses."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from services.collector.fetcher import (
    FetchError,
    FetchRefused,
    FetchTimeout,
    FetchTooLarge,
    SafeFetcher,
    is_public,
)
from tests.conftest import LiveServer

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
PAGE = b"<html><head><meta property='og:description' content='hallo'></head></html>"


def site() -> FastAPI:
    """A small web site with the awkward answers a fetcher meets."""
    app = FastAPI()

    @app.get("/page")
    async def page() -> Response:
        return HTMLResponse(PAGE)

    @app.get("/hop/{n}")
    async def hop(n: int) -> Response:
        return RedirectResponse(f"/hop/{n - 1}" if n > 1 else "/page", status_code=302)

    @app.get("/to")
    async def to(target: str) -> Response:
        return RedirectResponse(target, status_code=301)

    @app.get("/big")
    async def big() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(300):
                yield b"x" * 10_000

        return StreamingResponse(chunks(), media_type="text/html")

    @app.get("/big-declared")
    async def big_declared() -> Response:
        return Response(b"y" * 1_500_000, media_type="text/html")

    @app.get("/bomb")
    async def bomb() -> Response:
        body = gzip.compress(b"\0" * 5_000_000)
        return Response(body, media_type="text/html", headers={"Content-Encoding": "gzip"})

    @app.get("/slow")
    async def slow() -> Response:
        await asyncio.sleep(2)
        return HTMLResponse(PAGE)

    @app.get("/drip")
    async def drip() -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(40):
                yield b"."
                await asyncio.sleep(0.1)

        return StreamingResponse(chunks(), media_type="text/html")

    @app.get("/host")
    async def host(request: Request) -> Response:
        return Response(request.headers["host"].encode(), media_type="text/plain")

    @app.get("/gone")
    async def gone() -> Response:
        return Response(status_code=404)

    return app


@pytest.fixture
async def server(live_server: Callable[[FastAPI], LiveServer]) -> AsyncIterator[LiveServer]:
    async with live_server(site()) as srv:
        yield srv


def fetcher(**kw: object) -> SafeFetcher:
    return SafeFetcher(allow_networks=LOOPBACK, **kw)  # type: ignore[arg-type]


async def test_fetches_a_page_with_its_hash_and_time(server: LiveServer) -> None:
    capture = await fetcher().fetch(f"{server.url}/page")
    assert capture.body == PAGE and capture.status == 200
    assert capture.media_type == "text/html"
    assert len(capture.sha256) == 64 and capture.captured_at.tzinfo is not None


async def test_follows_redirects_up_to_the_limit(server: LiveServer) -> None:
    capture = await fetcher(max_redirects=3).fetch(f"{server.url}/hop/3")
    assert capture.url == f"{server.url}/page"
    assert capture.redirects == tuple(f"{server.url}/hop/{n}" for n in (3, 2, 1))
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        await fetcher(max_redirects=3).fetch(f"{server.url}/hop/4")


async def test_loopback_is_refused_by_default(server: LiveServer) -> None:
    default = SafeFetcher()
    with pytest.raises(FetchRefused, match="non-public"):
        await default.fetch(f"{server.url}/page")
    with pytest.raises(FetchRefused, match="non-public"):
        await default.fetch(f"http://localhost:{server.port}/page")


@pytest.mark.parametrize(
    "target",
    [
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "file:///etc/passwd",
        "gopher://x.example/",
    ],
)
async def test_every_redirect_hop_is_checked(server: LiveServer, target: str) -> None:
    # Loopback is allowed for the test server itself, but not the places it redirects to.
    strict = SafeFetcher(allow_networks=[ipaddress.ip_network("127.0.0.1/32")])
    with pytest.raises(FetchRefused):
        await strict.fetch(f"{server.url}/to?target={target}")


def test_public_address_rules() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2a00:1450:4001:81b::200e"))
    for private in ("192.168.1.1", "172.16.0.1", "fd00::1", "fe80::1", "::", "255.255.255.255"):
        assert not is_public(ipaddress.ip_address(private)), private


async def test_a_host_with_any_private_address_is_refused() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(FetchRefused, match=r"10\.0\.0\.5"):
        await SafeFetcher(resolve=resolve).fetch("https://news.example/a")


async def test_connects_to_the_vetted_address_and_sends_the_name_as_host(
    server: LiveServer,
) -> None:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    capture = await fetcher(resolve=resolve).fetch(f"http://news.example:{server.port}/host")
    # Resolved once, by the fetcher; the connection went to that address.
    assert asked == ["news.example"]
    assert capture.body == f"news.example:{server.port}".encode()


async def test_oversized_bodies_are_refused(server: LiveServer) -> None:
    small = fetcher(max_bytes=1_000_000)
    with pytest.raises(FetchTooLarge, match="more than 1000000"):
        await small.fetch(f"{server.url}/big")  # chunked, no Content-Length
    with pytest.raises(FetchTooLarge, match="1500000 bytes"):
        await small.fetch(f"{server.url}/big-declared")
    with pytest.raises(FetchTooLarge):
        await small.fetch(f"{server.url}/bomb")  # 5 MB once decompressed


async def test_slow_answers_time_out(server: LiveServer) -> None:
    with pytest.raises(FetchTimeout):
        await fetcher(read_timeout_s=0.3).fetch(f"{server.url}/slow")
    # Each byte arrives in time, but the whole answer does not.
    with pytest.raises(FetchTimeout, match="within 1 s"):
        await fetcher(read_timeout_s=1, total_timeout_s=1).fetch(f"{server.url}/drip")


async def test_http_errors_and_unknown_hosts_say_why(server: LiveServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        await fetcher().fetch(f"{server.url}/gone")
    with pytest.raises(FetchError, match="does not resolve"):
        await fetcher().fetch("http://no-such-host.invalid/")
    with pytest.raises(FetchRefused, match="credentials"):
        await fetcher().fetch(f"http://user:pw@127.0.0.1:{server.port}/page")
