"""The collector's configuration file (TOML): which sources to watch, which partners push.

See docs/collectors.md for the format. Secrets never sit in the file: a webhook partner
and a Mastodon access token name the environment variable that holds them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.collector.sources import Connector
from services.collector.sources.mastodon import MastodonConnector
from services.collector.sources.rss import RssConnector
from services.collector.sources.telegram_export import TelegramExportConnector
from services.collector.sources.webhook import Partner

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Platform = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Interval = Annotated[float, Field(gt=0, le=86_400)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RssSource(_Section):
    """``[[rss]]``: one RSS or Atom feed."""

    name: Name
    url: str = Field(pattern=r"^https?://")
    interval_s: Interval = 300
    platform: Platform = "rss"


class MastodonSource(_Section):
    """``[[mastodon]]``: hashtag and account timelines of one Mastodon server."""

    name: Name
    base_url: str = Field(pattern=r"^https?://")
    hashtags: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list, description="Account ids (numeric).")
    access_token_env: str | None = None
    interval_s: Interval = 60
    limit: Annotated[int, Field(ge=1, le=40)] = 40
    max_pages: Annotated[int, Field(ge=1, le=100)] = 5
    platform: Platform = "mastodon"

    @model_validator(mode="after")
    def _something(self) -> MastodonSource:
        if not (self.hashtags or self.accounts):
            raise ValueError("give hashtags and/or accounts")
        return self


class TelegramExportSource(_Section):
    """``[[telegram_export]]``: a directory of Telegram Desktop JSON exports."""

    name: Name
    directory: Path
    interval_s: Interval = 30
    platform: Platform = "telegram"


class WebhookPartner(_Section):
    """``[[webhook]]``: a partner that pushes signed batches."""

    partner: Name
    secret_env: str = Field(description="Environment variable holding the shared secret.")
    replay_window_s: Annotated[float, Field(ge=10, le=3600)] = 300


class CollectorConfig(_Section):
    """The whole file."""

    rss: list[RssSource] = Field(default_factory=list)
    mastodon: list[MastodonSource] = Field(default_factory=list)
    telegram_export: list[TelegramExportSource] = Field(default_factory=list)
    webhook: list[WebhookPartner] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> CollectorConfig:
        names = [
            *(s.name for s in self.rss),
            *(s.name for s in self.mastodon),
            *(s.name for s in self.telegram_export),
        ]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique (checkpoints): {', '.join(dupes)}")
        partners = [w.partner for w in self.webhook]
        if len(set(partners)) != len(partners):
            raise ValueError("webhook partner names must be unique")
        return self

    def connectors(self) -> list[Connector]:
        """One connector per configured pull source."""
        out: list[Connector] = []
        out += [
            RssConnector(name=s.name, url=s.url, interval_s=s.interval_s, platform=s.platform)
            for s in self.rss
        ]
        out += [
            MastodonConnector(
                name=s.name,
                base_url=s.base_url,
                hashtags=s.hashtags,
                accounts=s.accounts,
                access_token_env=s.access_token_env,
                interval_s=s.interval_s,
                limit=s.limit,
                max_pages=s.max_pages,
                platform=s.platform,
            )
            for s in self.mastodon
        ]
        out += [
            TelegramExportConnector(
                name=s.name, directory=s.directory, interval_s=s.interval_s, platform=s.platform
            )
            for s in self.telegram_export
        ]
        return out

    def partners(self) -> dict[str, Partner]:
        """Webhook partners by name, with their secrets read from the environment."""
        out: dict[str, Partner] = {}
        for w in self.webhook:
            secret = os.environ.get(w.secret_env, "")
            if len(secret) < 16:
                raise ConfigError(
                    f"webhook partner {w.partner!r}: environment variable {w.secret_env} "
                    "must hold a secret of at least 16 characters"
                )
            out[w.partner] = Partner(w.partner, secret.encode("utf-8"), w.replay_window_s)
        return out


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where."""


def load_config(path: Path) -> CollectorConfig:
    """Read and validate a collector configuration file (TOML)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        config = CollectorConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
    config.partners()  # fail at start, not at the first call, when a secret is missing
    return config
