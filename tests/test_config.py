"""Settings: defaults, clear errors for bad values, README documents every one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.config import BusKind, Settings, SettingsError, load_settings
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("DOXWATCH_"):
            monkeypatch.delenv(key)
    s = load_settings(_env_file=None)
    assert s.bus is BusKind.LOCAL
    assert s.database_url == "sqlite+aiosqlite:///./doxwatch.db"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DOXWATCH_DATABASE_URL": "mysql://x"}, "DOXWATCH_DATABASE_URL: Value error, must start"),
        ({"DOXWATCH_BUS": "rabbit"}, "DOXWATCH_BUS: Input should be 'local' or 'kafka'"),
        ({"DOXWATCH_KAFKA_PARTITIONS": "0"}, "DOXWATCH_KAFKA_PARTITIONS"),
        ({"DOXWATCH_KAFKA_BOOTSTRAP": "nohost"}, "expected host:port"),
        ({"DOXWATCH_LOG_LEVEL": "loud"}, "DOXWATCH_LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert fragment in str(err.value)


def test_command_refuses_to_start_with_a_bad_setting(tmp_path: Path) -> None:
    result = run_cli(
        "db",
        "upgrade",
        env={"DOXWATCH_BUS": "carrier-pigeon", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "invalid settings" in result.stderr
    assert "DOXWATCH_BUS" in result.stderr


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(DOXWATCH_[A-Z0-9_]+)` \|", readme, flags=re.M))
    expected = {f"DOXWATCH_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected
