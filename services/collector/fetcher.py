"""Fetching a reported URL safely: the URL is attacker-controlled input.

* only ``http`` and ``https``;
* the host is resolved here, and every address it resolves to must be public (not
  private, loopback, link-local, multicast, reserved, unspecified, shared or an
  IPv4-mapped form of those) unless it lies in ``DOXWATCH_FETCH_ALLOW_NETWORKS``;
* the connection goes to the vetted address itself (the URL's host travels in the
  ``Host`` header and as TLS SNI, and the certificate is checked against it), so a
  second DNS answer cannot point the request elsewhere (DNS rebinding);
* redirects are followed by hand, at most ``DOXWATCH_FETCH_MAX_REDIRECTS``, and every
  hop is checked like the first;
* connect, read and whole-fetch timeouts; the body is read as a stream and refused as
  soon as it passes ``DOXWATCH_FETCH_MAX_BYTES`` (counted after decompression).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from services.config import Settings
from services.db import utcnow

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Doxwatch/0.1 (+evidence capture for a police monitoring desk)"


class FetchError(Exception):
    """The URL could not be fetched; the message says why (safe to show the client)."""


class FetchRefused(FetchError):
    """The URL, or a hop of its redirects, points where Doxwatch may not go."""


class FetchTooLarge(FetchError):
    """The body is larger than allowed."""


class FetchTimeout(FetchError):
    """A connect, read or whole-fetch timeout expired."""


@dataclass(frozen=True)
class Capture:
    """A fetched response, as evidence: bytes, their SHA-256 and when they were taken."""

    url: str
    status: int
    media_type: str
    body: bytes
    captured_at: datetime
    redirects: tuple[str, ...] = field(default=())

    @property
    def sha256(self) -> str:
        """SHA-256 of the body, lower-case hex."""
        return hashlib.sha256(self.body).hexdigest()


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
    )


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class SafeFetcher:
    """Fetches one URL under the rules of this module."""

    def __init__(
        self,
        *,
        allow_networks: Sequence[Network] = (),
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 5.0,
        total_timeout_s: float = 15.0,
        max_bytes: int = 2_000_000,
        max_redirects: int = 5,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.allow_networks = tuple(allow_networks)
        self.timeout = httpx.Timeout(
            connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s, pool=1.0
        )
        self.total_timeout_s = total_timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolve = resolve

    @classmethod
    def from_settings(cls, settings: Settings) -> SafeFetcher:
        """A fetcher configured by DOXWATCH_FETCH_*."""
        return cls(
            allow_networks=settings.fetch_allowed_networks(),
            connect_timeout_s=settings.fetch_connect_timeout_s,
            read_timeout_s=settings.fetch_read_timeout_s,
            total_timeout_s=settings.fetch_total_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
        )

    def allowed(self, ip: IPAddress) -> bool:
        """True when the fetcher may connect to ``ip``."""
        return is_public(ip) or any(ip in net for net in self.allow_networks)

    async def fetch(self, url: str, *, accept: str = "text/html, */*;q=0.5") -> Capture:
        """GET ``url`` (following redirects safely); raise a FetchError saying why not."""
        try:
            async with asyncio.timeout(self.total_timeout_s):
                return await self._fetch(url, accept)
        except TimeoutError as exc:
            raise FetchTimeout(f"no complete answer within {self.total_timeout_s:g} s") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch: {type(exc).__name__}") from exc

    async def _target(self, url: str) -> tuple[str, str, str | None]:
        """The URL to connect to (host replaced by a vetted address), Host header, SNI name."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"only http and https URLs are fetched (got {parts.scheme!r})")
        host = parts.hostname
        if not host:
            raise FetchRefused("the URL has no host")
        if parts.username or parts.password:
            raise FetchRefused("URLs with credentials are not fetched")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise FetchRefused("the URL's port is not valid") from exc
        literal: IPAddress | None
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(a) for a in await self.resolve(host, port)]
            except (OSError, ValueError) as exc:
                raise FetchError(f"the host {host!r} does not resolve") from exc
            if not addresses:
                raise FetchError(f"the host {host!r} does not resolve")
        # One bad address refuses the host: otherwise an attacker's DNS could offer a
        # public and a private address and hope for the second.
        for ip in addresses:
            if not self.allowed(ip):
                raise FetchRefused(f"{host} resolves to a non-public address ({ip})")
        ip = addresses[0]
        ip_host = f"[{ip}]" if ip.version == 6 else str(ip)
        target = urlunsplit((parts.scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
        default_port = (parts.scheme, port) in (("http", 80), ("https", 443))
        name = f"[{host}]" if literal is not None and literal.version == 6 else host
        host_header = name if default_port else f"{name}:{port}"
        sni = host if parts.scheme == "https" and literal is None else None
        return target, host_header, sni

    async def _fetch(self, url: str, accept: str) -> Capture:
        current = url
        hops: list[str] = []
        async with httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, trust_env=False
        ) as client:
            for _ in range(self.max_redirects + 1):
                target, host_header, sni = await self._target(current)
                headers = {
                    "Host": host_header,
                    "User-Agent": USER_AGENT,
                    "Accept": accept,
                    "Accept-Encoding": "gzip, deflate",
                }
                extensions = {"sni_hostname": sni} if sni else {}
                request = client.build_request(
                    "GET", target, headers=headers, extensions=extensions
                )
                response = await client.send(request, stream=True)
                try:
                    if response.status_code in REDIRECTS and "location" in response.headers:
                        hops.append(current)
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"the server answered HTTP {response.status_code}")
                    body = await self._read_capped(response)
                finally:
                    await response.aclose()
                media_type = response.headers.get("content-type", "application/octet-stream")
                return Capture(
                    url=current,
                    status=response.status_code,
                    media_type=media_type.split(";")[0].strip().lower()[:128],
                    body=body,
                    captured_at=utcnow(),
                    redirects=tuple(hops),
                )
        raise FetchRefused(f"more than {self.max_redirects} redirects")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchTooLarge(f"the body is {declared} bytes, more than {self.max_bytes}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchTooLarge(f"the body is more than {self.max_bytes} bytes")
        return bytes(body)
