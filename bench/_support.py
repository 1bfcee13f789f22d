"""What the benchmark scripts share (imported as a sibling module: they run as scripts)."""

from __future__ import annotations

import subprocess
import time

import httpx

TEXTS = [
    # Invented posts, formatted with a number so that each one differs.
    "Wie kent deze agent? Hij woont op Lindelaan {n}, 3581 KR Utrecht. Deel dit!",
    "die smeris van gisteren moet eens opgewacht worden na zijn dienst #{n}",
    "Mooi weer vandaag in Zwolle, even de hond uitlaten langs de IJssel ({n})",
    "agent bedreigd in Rotterdam, verdachte (23) aangehouden door collega's, zaak {n}",
    "naam en adres van die wout graag, zijn kenteken is GH-{n:03d}-K",
    "ik ga een klacht indienen over die boete van gisteren, zaaknummer {n}",
]


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Wait until the server process at ``url`` answers /readyz with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)
