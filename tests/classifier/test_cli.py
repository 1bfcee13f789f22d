"""`doxwatch classify`, `evaluate` and `corpus check` as a user runs them (real processes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import run_cli


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, stdin=stdin)


LINES = [
    {"id": "a", "text": "die wout woont op Lindelaan 14, 3581 KR Utrecht, we wachten hem op"},
    "this is not json",
    {"id": "b", "text": "lekker weertje vandaag"},
    {"id": 3, "text": ""},
    {"id": "c", "text": "who knows this cop? drop his address", "lang": "en"},
]


def _input() -> str:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in LINES) + "\n"


def test_classify_from_stdin_keeps_order_and_reports_bad_lines() -> None:
    result = _run("classify", stdin=_input())
    assert result.returncode == 1  # some lines were bad
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    first = out[0]
    assert set(first) == {"id", "labels", "scores", "spans", "explanation", "model_version"}
    assert first["labels"]["threat"] and first["labels"]["personal_data"]
    text = LINES[0]["text"]  # type: ignore[index]
    address = next(s for s in first["spans"] if s["label"] == "ADDRESS")
    assert text[address["start"] : address["end"]] == "Lindelaan 14, 3581 KR Utrecht"
    assert address["normalized"] == "lindelaan 14 3581kr utrecht"
    assert not any(out[1]["labels"].values())
    errors = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [e for e in errors if "line" in e]
    assert [e["line"] for e in errors] == [2, 4]
    assert "not JSON" in errors[0]["error"]
    assert "'text'" in errors[1]["error"]


def test_classify_file_to_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "naam en adres van die smeris graag"}) + "\n")
    result = _run("classify", str(src), "-o", str(dst))
    assert result.returncode == 0, result.stderr
    [verdict] = [json.loads(line) for line in dst.read_text().splitlines()]
    assert verdict["id"] == "x" and verdict["labels"]["doxing_call"] is True


def test_evaluate_prints_metrics_for_a_labelled_file(tmp_path: Path) -> None:
    data = tmp_path / "gold.jsonl"
    data.write_text(
        json.dumps(
            {
                "id": "g1",
                "lang": "nl",
                "text": "wie kent deze agent? adres graag",
                "labels": {"threat": False, "doxing_call": True, "personal_data": False},
                "spans": [],
            }
        )
        + "\n"
    )
    result = _run("evaluate", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["labels"]["doxing_call"]["tp"] == 1
    assert report["records"] == 1


def test_evaluate_refuses_a_bad_file(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"id": "x"}\n')
    result = _run("evaluate", "--data", str(data))
    assert result.returncode == 1
    assert "bad.jsonl:1" in result.stderr
