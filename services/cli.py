"""The ``doxwatch`` command: the one place that knows all three services."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
import uvicorn
from fastapi import FastAPI

from services import logs
from services.config import BusKind, Settings, SettingsError, load_settings
from services.runtime import Runtime, open_runtime
from services.security import Role

app = typer.Typer(
    help="Doxwatch: watch reported posts for threats, doxing calls and leaks of officers' data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
corpus_app = typer.Typer(help="The labelled training corpus.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(corpus_app, name="corpus")

Host = Annotated[str, typer.Option(help="Interface to listen on.")]


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(2) from exc
    logs.configure(settings.log_level, settings.log_json)
    return settings


def _runtime_factory(settings: Settings) -> Callable[[], AbstractAsyncContextManager[Runtime]]:
    return lambda: open_runtime(settings)


def _serve(api: FastAPI, host: str, port: int) -> None:
    config = uvicorn.Config(api, host=host, port=port, log_config=None, lifespan="on")
    uvicorn.Server(config).run()


def _load_detector(settings: Settings) -> Any:
    import structlog

    from services.classifier.detector import Detector

    detector = Detector.load(settings.model_dir)
    if detector.model is None:
        # A non-editable install without models/ (or an empty DOXWATCH_MODEL_DIR) still
        # runs, on the rules alone: say so loudly, it is much weaker.
        structlog.get_logger("doxwatch").warning(
            "no trained model found: labels come from the rules alone",
            model_dir=str(settings.model_dir or "models/detector"),
        )
    return detector


ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Collector configuration (TOML): sources to watch, webhook partners."
    ),
]


def _collector_config(path: Path | None) -> Any:
    from services.collector.sources.config import ConfigError, load_config

    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def up(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API and console.")] = 8000,
    config: ConfigFile = None,
) -> None:
    """Run collector, classifier and alerts in one process (embedded bus, SQLite by default)."""
    from services.alerts.app import ROUTERS as ALERT_ROUTERS
    from services.alerts.app import WORKERS as ALERT_WORKERS
    from services.classifier.worker import ClassifierWorker
    from services.collector.app import collector_parts
    from services.db import upgrade
    from services.web import create_app

    settings = _settings(bus=BusKind.LOCAL)
    parts = collector_parts(settings, _collector_config(config))
    upgrade(settings.database_url)
    worker = ClassifierWorker(_load_detector(settings))
    api = create_app(
        _runtime_factory(settings),
        title="Doxwatch",
        routers=[*parts.routers, *ALERT_ROUTERS],
        workers=[worker.run, *ALERT_WORKERS, *parts.workers],
        max_body_bytes=settings.max_body_bytes,
        extra_checks=parts.checks,
    )
    parts.install(api)
    typer.echo(f"Doxwatch on http://{host}:{port} (API docs at /docs)", err=True)
    _serve(api, host, port)


@app.command()
def collector(host: Host = "127.0.0.1", port: int = 8001, config: ConfigFile = None) -> None:
    """Run the collector on its own: intake API, OCR of reports, configured connectors."""
    from services.collector.app import create_collector_app

    settings = _settings()
    api = create_collector_app(_runtime_factory(settings), settings, _collector_config(config))
    _serve(api, host, port)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSON Lines or CSV file of posts.", exists=True)],
    url: Annotated[str, typer.Option(help="Base URL of a Doxwatch API (collector or up).")],
    token: Annotated[
        str,
        typer.Option(help="API token (admin, analyst or integration).", envvar="DOXWATCH_TOKEN"),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv; default: by file extension.")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN, e.g. --map text=message (repeatable)."),
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="Platform for records that have none.")
    ] = None,
    reported_by: Annotated[
        str | None, typer.Option(help="reported_by for records that have none.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="Posts per request.")] = 500,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore the saved state; start at line 1.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Import posts through the REST API in batches: resumable, rejects reported per line."""
    import httpx
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from services.collector.importer import Importer, ImportFailed, InputFormat, parse_mapping

    chosen = fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    try:
        input_format = InputFormat(chosen)
        columns = parse_mapping(mapping or [])
    except ValueError as exc:
        typer.echo(f"doxwatch: --format must be jsonl or csv (got {chosen!r})", err=True)
        raise typer.Exit(2) from exc
    except ImportFailed as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(2) from exc
    defaults = {k: v for k, v in {"platform": platform, "reported_by": reported_by}.items() if v}
    client = httpx.Client(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not progress,
    )
    task = bar.add_task(file.name, total=file.stat().st_size)
    importer = Importer(
        file,
        client=client,
        fmt=input_format,
        mapping=columns,
        defaults=defaults,
        batch_size=batch_size,
        on_progress=lambda offset, _: bar.update(task, completed=offset),
    )
    try:
        with bar, client:
            summary = importer.run(restart=restart)
    except ImportFailed as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(1) from exc
    rate = summary.read / summary.seconds if summary.seconds else 0.0
    if summary.resumed_at_line:
        typer.echo(f"resumed after line {summary.resumed_at_line}", err=True)
    typer.echo(
        f"{summary.read} records read: {summary.accepted} accepted, "
        f"{summary.duplicates} duplicates, {summary.rejected} rejected "
        f"({rate:,.0f} lines/s)",
        err=True,
    )
    if summary.rejected:
        typer.echo(f"rejected lines with their reasons: {importer.rejects_path}", err=True)
        raise typer.Exit(1)


@app.command()
def classifier(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of /healthz, /readyz and /metrics.")] = 8002,
) -> None:
    """Run the classifier on its own: consume posts, publish verdicts."""
    from services.classifier.worker import ClassifierWorker
    from services.web import create_app

    settings = _settings()
    worker = ClassifierWorker(_load_detector(settings))
    api = create_app(
        _runtime_factory(settings),
        title="Doxwatch classifier",
        workers=[worker.run],
        max_body_bytes=settings.max_body_bytes,
    )
    _serve(api, host, port)


@app.command()
def alerts(host: Host = "127.0.0.1", port: int = 8000) -> None:
    """Run the alert service on its own: consume verdicts, serve the incidents API."""
    from services.alerts.app import create_alerts_app

    settings = _settings()
    _serve(create_alerts_app(_runtime_factory(settings), settings.max_body_bytes), host, port)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database to the latest schema."""
    from services.db import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}", err=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what the token is for.")],
    role: Annotated[Role, typer.Option(help="Role of the token.")] = Role.ANALYST,
    officer_id: Annotated[
        str | None, typer.Option(help="For role officer: the registered officer's id.")
    ] = None,
) -> None:
    """Create an API token and print it (it is shown only once)."""
    from services.db import make_engine, session_factory, transaction
    from services.security import issue_token

    if (role is Role.OFFICER) != (officer_id is not None):
        typer.echo("doxwatch: --officer-id is required for role officer, and only there", err=True)
        raise typer.Exit(2)
    settings = _settings()

    async def create() -> str:
        engine = make_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                _, token = await issue_token(session, name, role, officer_id)
            return token
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(create()))


@app.command("export-feedback")
def export_feedback(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="JSON Lines file; default stdout.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only decisions at or after this ISO date/time.")
    ] = None,
) -> None:
    """Write analysts' review decisions in the LABELS.md record format (one per post, the
    latest decision), ready to join the training corpus."""
    from datetime import UTC, datetime

    from services.alerts.review.service import corpus_record, latest_reviews
    from services.db import make_engine, session_factory

    settings = _settings()
    after = None
    if since is not None:
        try:
            after = datetime.fromisoformat(since)
        except ValueError:
            typer.echo(f"doxwatch: --since: not an ISO date/time: {since!r}", err=True)
            raise typer.Exit(2) from None
        if after.tzinfo is None:
            after = after.replace(tzinfo=UTC)

    async def read() -> list[dict[str, Any]]:
        engine = make_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return [corpus_record(r, p) for r, p in await latest_reviews(session, after)]
        finally:
            await engine.dispose()

    records = asyncio.run(read())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if output is None:
        sys.stdout.write(lines)
    else:
        output.write_text(lines, encoding="utf-8")
    typer.echo(f"{len(records)} decisions exported", err=True)


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be deleted.")] = False,
) -> None:
    """Delete evidence of incidents closed longer ago than DOXWATCH_RETENTION_DAYS, unflagged
    posts older than that, bus-log copies every consumer has read, and the collector's
    copies (captures, sightings, de-duplication keys) older than that."""
    from services.alerts.retention import purge as purge_alerts
    from services.collector.retention import purge as purge_collector
    from services.db import make_engine, session_factory, transaction

    settings = _settings()

    async def go() -> tuple[Any, Any]:
        engine = make_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                report = await purge_alerts(session, settings.retention_days, dry_run=dry_run)
                collected = await purge_collector(session, report.cutoff, dry_run=dry_run)
                return report, collected
        finally:
            await engine.dispose()

    report, collected = asyncio.run(go())
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"retention {settings.retention_days} days (before {report.cutoff:%Y-%m-%d %H:%M} UTC): "
        f"{verb} the evidence of {report.incidents} closed incidents "
        f"({report.evidence_posts} posts, {report.task_comments} task comments, "
        f"{report.deliveries} alert deliveries), {report.unflagged_posts} unflagged posts and "
        f"{report.bus_messages} bus messages; collector copies older than that: "
        f"{collected.captures} captures, {collected.sightings} sightings, "
        f"{collected.dedup_keys} de-duplication keys, {collected.reports} processed reports"
    )


def _records(stream: TextIO) -> Any:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


@app.command()
def classify(
    input_path: Annotated[
        Path | None, typer.Argument(metavar="INPUT", help="JSON Lines file; stdin when omitted.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Posts per detector batch.")] = 256,
) -> None:
    """Classify posts from JSON Lines ({"id", "text"[, "lang"]}); one verdict line per post."""
    from services.classifier.detector import PostText

    settings = _settings()
    detector = _load_detector(settings)
    source = input_path.open(encoding="utf-8") if input_path else sys.stdin
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    bad = 0
    pending: list[PostText] = []

    def flush() -> None:
        for post, result in zip(pending, detector.classify(pending), strict=True):
            record = {"id": post.id, **result.model_dump(mode="json", exclude={"officer_mentions"})}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        pending.clear()

    try:
        for number, line in _records(source):
            try:
                post = _parse_post(line)
            except ValueError as exc:
                bad += 1
                sys.stderr.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
                continue
            pending.append(post)
            if len(pending) >= batch_size:
                flush()
        flush()
    finally:
        if input_path:
            source.close()
        if output:
            sink.close()
    if bad:
        raise typer.Exit(1)


def _parse_post(line: str) -> Any:
    from services.classifier.detector import PostText

    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object")
    post_id, text = raw.get("id"), raw.get("text")
    if not isinstance(post_id, str | int) or isinstance(post_id, bool):
        raise ValueError("'id' must be a string or integer")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    lang = raw.get("lang")
    if lang is not None and lang not in ("nl", "en"):
        raise ValueError("'lang' must be 'nl' or 'en' when given")
    return PostText(str(post_id), text, lang)


@corpus_app.command("augment")
def corpus_augment(
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same file).")] = 20261130,
) -> None:
    """Regenerate models/corpus/augmented.jsonl from the hand-written posts."""
    from services.classifier import corpus

    records = corpus.load([corpus.CORPUS_DIR / "handwritten"])
    variants = corpus.augment(records, seed=seed)
    corpus.write_jsonl(corpus.CORPUS_DIR / "augmented.jsonl", variants)
    typer.echo(f"{len(records)} hand-written, {len(variants)} augmented", err=True)


@corpus_app.command("check")
def corpus_check() -> None:
    """Validate every corpus file (offsets, labels, ids) and print counts."""
    from services.classifier import corpus

    try:
        train = corpus.training_records()
        test = corpus.test_records()
    except corpus.CorpusError as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(1) from exc
    overlap = {r.text for r in train} & {r.text for r in test}
    typer.echo(f"training records: {len(train)}, test records: {len(test)}")
    if overlap:
        typer.echo(f"doxwatch: {len(overlap)} test texts also appear in training", err=True)
        raise typer.Exit(1)


@app.command()
def train(
    out: Annotated[Path | None, typer.Option(help="Output directory.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train the label models from models/corpus (reproducible) and write them to models/."""
    from services.classifier import training
    from services.classifier.detector import Detector
    from services.classifier.model import DEFAULT_MODEL_DIR

    logs.configure("INFO")
    detector = Detector.load(learned=False)
    model = training.train(detector, out_dir=out or DEFAULT_MODEL_DIR, seed=seed)
    typer.echo(json.dumps(model.meta["validation"], indent=2))
    typer.echo(f"model {model.version} written to {out or DEFAULT_MODEL_DIR}", err=True)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="JSON Lines in the LABELS.md format.")],
    model: Annotated[Path | None, typer.Option(help="Model directory (default: models/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    worst: Annotated[int, typer.Option(help="How many worst errors to list.")] = 15,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Also write the JSON report here.")
    ] = None,
) -> None:
    """Score the detector against labelled posts: P/R/F1, span F1 per type, worst errors."""
    from services.classifier import corpus, training
    from services.classifier.detector import Detector, PostText

    try:
        records = corpus.load([data])
    except (corpus.CorpusError, OSError) as exc:
        typer.echo(f"doxwatch: {exc}", err=True)
        raise typer.Exit(1) from exc
    detector = Detector.load(model)
    verdicts = detector.classify([PostText(r.id, r.text, r.lang) for r in records])
    report = training.evaluate(verdicts, records, worst=worst)
    report["model_version"] = detector.model_version
    if output is not None:
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    typer.echo(json.dumps(report, indent=2) if as_json else training.format_report(report))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``doxwatch`` command."""
    app(args=list(argv) if argv is not None else None)


if __name__ == "__main__":
    main()
