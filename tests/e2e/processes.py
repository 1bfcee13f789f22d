"""Doxwatch commands as real processes, for the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def service_env(admin_token: str, **settings: str) -> dict[str, str]:
    """The environment of a Doxwatch process: this one's without any ``DOXWATCH_*``, plus
    ``settings`` as ``DOXWATCH_<NAME>``, an admin token and JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOXWATCH_")}
    env.update({f"DOXWATCH_{k.upper()}": v for k, v in settings.items()})
    env["DOXWATCH_ADMIN_TOKEN"] = admin_token
    env["DOXWATCH_LOG_JSON"] = "true"
    return env


class Proc:
    """A ``doxwatch`` subcommand running as its own process."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.port = int(args[args.index("--port") + 1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        """Start and wait until /readyz answers 200."""
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *self.args],
            env=self.env,
            stdout=out,
            stderr=out,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.args[0]} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.args[0]} not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, nothing flushed."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
