"""Settings, read from ``DOXWATCH_*`` environment variables (and an optional ``.env``).

A ``Settings`` object is built once by the command that starts a service and passed
down; nothing reads the environment anywhere else. Bad values stop the start with a
message naming the variable (see :func:`load_settings`).
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BusKind(StrEnum):
    """Which bus the services talk over."""

    LOCAL = "local"
    KAFKA = "kafka"


class Settings(BaseSettings):
    """Every setting Doxwatch reads. README's settings table is generated from this class."""

    model_config = SettingsConfigDict(
        env_prefix="DOXWATCH_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./doxwatch.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or "
        "postgresql+asyncpg://user@host/db.",
    )
    bus: BusKind = Field(
        default=BusKind.LOCAL,
        description="'local' (embedded log in the database, for `doxwatch up`) or 'kafka'.",
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    kafka_partitions: Annotated[int, Field(ge=1, le=1024)] = Field(
        default=6, description="Partitions per topic when Doxwatch creates its topics."
    )
    kafka_replication: Annotated[int, Field(ge=1, le=16)] = Field(
        default=1, description="Replication factor when Doxwatch creates its topics."
    )
    kafka_idempotent_producer: bool = Field(
        default=True,
        description="Idempotent producer (needs InitProducerId; turn off for Tansu).",
    )
    kafka_client_id: str = Field(default="doxwatch", description="Kafka client id prefix.")
    consumer_batch_size: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=256, description="Most messages a consumer handles in one batch."
    )
    consumer_max_retries: Annotated[int, Field(ge=0, le=100)] = Field(
        default=3, description="Retries of a failing message before it is dead-lettered."
    )
    consumer_retry_backoff_s: Annotated[float, Field(ge=0, le=60)] = Field(
        default=0.2, description="First retry delay in seconds (doubles each retry)."
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="If set, an API token with this value and the admin role exists.",
    )
    model_dir: Path | None = Field(
        default=None,
        description="Trained detector directory; unset = the model shipped in models/.",
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = Field(
        default=2_000_000, description="Largest request body the API accepts, in bytes."
    )
    batch_max_posts: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=1000, description="Most posts in one POST /api/v1/posts/batch."
    )
    incident_window_hours: Annotated[float, Field(gt=0, le=24 * 365)] = Field(
        default=72.0,
        description="Flagged posts about the same registered officer, on the same URL or thread, "
        "or with near-identical text within this window join one incident.",
    )
    near_duplicate_bits: Annotated[int, Field(ge=0, le=3)] = Field(
        default=3,
        description="Flagged posts whose text simhashes differ in at most this many of 64 "
        "bits (0-3) count as reposts and join one incident (0 = identical text only).",
    )
    due_hours: dict[str, float] = Field(
        default={"critical": 1.0, "high": 4.0, "medium": 24.0, "low": 72.0},
        description="Hours until an incident is due, per severity (JSON object).",
    )
    registry_key: SecretStr | None = Field(
        default=None,
        description="Secret key of the officer registry's HMAC-SHA256 digests (at least 32 "
        "characters). Without it the registry refuses registrations and matches nothing.",
    )
    retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        default=365,
        description="`doxwatch purge` deletes the evidence of incidents closed longer ago "
        "than this, unflagged posts older than this, and the collector's captures, sightings "
        "and de-duplication keys older than this.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail alerts and notices; unset = no e-mail."
    )
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = Field(default=25, description="SMTP port.")
    smtp_starttls: bool = Field(default=False, description="Use STARTTLS on the SMTP connection.")
    smtp_username: str | None = Field(default=None, description="SMTP user name, if any.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, if any.")
    smtp_from: str = Field(
        default="doxwatch@politie.example",
        description="From address of e-mail Doxwatch sends.",
    )
    smtp_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=30.0, description="Timeout of one SMTP delivery attempt, in seconds."
    )
    support_contact: str = Field(
        default="Meldpunt Bedreigde Collega's (fictief voorbeeld), 0800-0000000 (dag en nacht)",
        min_length=1,
        max_length=300,
        description="Whom an alerted officer can call, printed in every alert. The default "
        "is a placeholder: set your force's real support line.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the console as officers reach it; alerts link to "
        "{public_url}/incidents/{id}.",
    )
    delivery_max_attempts: Annotated[int, Field(ge=1, le=100)] = Field(
        default=8,
        description="Attempts of one alert delivery (e-mail or webhook) before it is marked "
        "failed.",
    )
    delivery_backoff_s: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=30.0,
        description="Delay before the first retry of a failed delivery, in seconds (doubles "
        "each attempt, with jitter).",
    )
    delivery_backoff_max_s: Annotated[float, Field(ge=0, le=86400)] = Field(
        default=3600.0, description="Longest delay between two delivery attempts, in seconds."
    )
    delivery_poll_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=1.0,
        description="How often the delivery worker looks for due deliveries, in "
        "seconds (it also wakes when this process enqueues one).",
    )
    delivery_lease_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=120.0,
        description="How long a claimed delivery stays reserved for the process sending it; "
        "after that (e.g. the process died) another attempt sends it again, with the same "
        "delivery id. Keep it above the SMTP and webhook timeouts.",
    )
    delivery_batch_size: Annotated[int, Field(ge=1, le=500)] = Field(
        default=10, description="Most deliveries one worker claims and sends at a time."
    )
    webhook_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=10.0,
        description="Timeout of one webhook request (connect, send, wait for the answer), in "
        "seconds.",
    )
    console_vendor_dir: Path | None = Field(
        default=None,
        description="Folder holding the console's npm packages (htmx.org); unset = "
        "node_modules/ next to the services package (filled by `npm ci`).",
    )
    console_session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = Field(
        default=12.0, description="Hours a console sign-in lasts."
    )
    dedup_window_hours: Annotated[float, Field(ge=0, le=24 * 365)] = Field(
        default=168.0,
        description="Posts with the same platform id, URL or normalised text within this "
        "window are one post with several sightings; 0 turns de-duplication off.",
    )
    fetch_allow_networks: str = Field(
        default="",
        description="Comma-separated networks (CIDR) the URL fetcher may reach although "
        "they are private or loopback; empty = public addresses only.",
    )
    fetch_connect_timeout_s: Annotated[float, Field(gt=0, le=60)] = Field(
        default=3.0, description="URL fetcher: connect timeout per hop, seconds."
    )
    fetch_read_timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        default=5.0, description="URL fetcher: longest wait for the next bytes, seconds."
    )
    fetch_total_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=15.0, description="URL fetcher: whole fetch including redirects, seconds."
    )
    fetch_max_bytes: Annotated[int, Field(ge=1024, le=100_000_000)] = Field(
        default=2_000_000, description="URL fetcher: largest body kept; bigger is refused."
    )
    fetch_max_redirects: Annotated[int, Field(ge=0, le=20)] = Field(
        default=5, description="URL fetcher: most redirects followed (each hop re-checked)."
    )
    tesseract_cmd: str = Field(
        default="tesseract", description="Tesseract binary (name on PATH or a path) for OCR."
    )
    ocr_languages: str = Field(
        default="nld+eng", description="Tesseract language data to use, '+'-separated."
    )
    ocr_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        default=30.0, description="Longest OCR run for one screenshot, seconds."
    )
    ocr_retry_interval_s: Annotated[float, Field(gt=0, le=86_400)] = Field(
        default=60.0,
        description="How often reports waiting for OCR are retried, seconds.",
    )
    notifier_name: str = Field(
        default="Politie Nederland, monitoringsteam Doxwatch",
        min_length=1,
        description="Name of the notifier signing notices (DSA Art. 16(2)(c)).",
    )
    notifier_email: str = Field(
        default="meldingen@politie.example",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="E-mail address of the notifier in notices; answers go there.",
    )
    issuing_authority: str = Field(
        default="Officier van justitie, Arrondissementsparket Midden-Nederland",
        min_length=1,
        description="Authority named as issuer of draft art. 125p Sv orders (DSA Art. 9).",
    )
    notice_deadline_hours: dict[str, float] = Field(
        default={"dsa_notice": 48.0, "removal_request": 48.0, "order_125p": 24.0, "sommatie": 72.0},
        description="Hours an addressee has to answer, per notice kind (JSON object); an "
        "aangifte has no deadline.",
    )
    notice_check_interval_s: Annotated[float, Field(gt=0, le=86400)] = Field(
        default=300.0,
        description="Seconds between checks for notices past their deadline (they become "
        "no_answer and raise a follow-up task).",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool | None = Field(
        default=None, description="JSON logs; unset = JSON when stderr is not a terminal."
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if not value.startswith(allowed):
            raise ValueError(f"must start with one of {', '.join(allowed)} (got {value!r})")
        return value

    @field_validator("registry_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (use a random secret)")
        return value

    @field_validator("due_hours")
    @classmethod
    def _every_severity(cls, value: dict[str, float]) -> dict[str, float]:
        expected = {"critical", "high", "medium", "low"}
        if set(value) != expected or any(v <= 0 for v in value.values()):
            raise ValueError(
                "must give a positive number of hours for each of critical, high, medium, low"
            )
        return value

    @field_validator("notice_deadline_hours")
    @classmethod
    def _every_notice_kind(cls, value: dict[str, float]) -> dict[str, float]:
        expected = {"dsa_notice", "removal_request", "order_125p", "sommatie"}
        if set(value) != expected or any(v <= 0 for v in value.values()):
            raise ValueError(
                "must give a positive number of hours for each of "
                "dsa_notice, removal_request, order_125p, sommatie"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"must be an absolute http(s) URL (got {value!r})")
        return value.rstrip("/")

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network in CIDR form: {part!r}") from exc
        return value

    def fetch_allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The parsed DOXWATCH_FETCH_ALLOW_NETWORKS."""
        parts = (p.strip() for p in self.fetch_allow_networks.split(","))
        return [ipaddress.ip_network(p, strict=False) for p in parts if p]

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"must be DEBUG, INFO, WARNING or ERROR (got {value!r})")
        return level

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...] (got {value!r})")
        return value


class SettingsError(Exception):
    """Settings could not be loaded; the message names each bad variable."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            lines.append(f"  DOXWATCH_{field.upper()}: {err['msg']}")
        raise SettingsError("invalid settings:\n" + "\n".join(lines)) from exc
