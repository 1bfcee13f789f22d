"""Request and response bodies of the officer registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from services.events import SpanLabel

Language = Literal["nl", "en"]


class PersonalDataIn(BaseModel):
    """One value to protect. Stored only as keyed hashes; never shown again."""

    model_config = ConfigDict(extra="forbid")

    type: SpanLabel = Field(description="A span type from LABELS.md.", examples=["ADDRESS"])
    value: Annotated[str, Field(min_length=1, max_length=300)] = Field(
        examples=["Kerkstraat 12, 1234 AB Utrecht"]
    )
    subject: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="self",
        description="Whose data: 'self', or the relative ('partner', 'child', ...).",
    )


class PersonalDataOut(BaseModel):
    """A registered value, masked."""

    id: int
    type: str
    subject: str
    masked: str = Field(examples=["K********t **, 12** ** U*****t"])
    created_at: datetime


class OfficerIn(BaseModel):
    """Register a protected officer (and relatives' data)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="How alerts address the officer and how analysts see them."
    )
    email: EmailStr | None = Field(default=None, description="Where e-mail alerts go.")
    webhook_url: HttpUrl | None = Field(default=None, description="Where signed alerts go.")
    language: Language = Field(default="nl", description="Language of the alerts.")
    personal_data: list[PersonalDataIn] = Field(default_factory=list, max_length=100)


class OfficerPatch(BaseModel):
    """Change an officer's contact details (registered values are added/removed apart)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: EmailStr | None = None
    webhook_url: HttpUrl | None = None
    language: Language | None = None
    active: bool | None = None


class OfficerOut(BaseModel):
    """An officer as the registry shows it: contact details and masked values only."""

    id: str
    display_name: str
    email: str | None
    webhook_url: str | None
    language: str
    active: bool
    created_at: datetime
    personal_data: list[PersonalDataOut]


class OfficerCreated(OfficerOut):
    """The answer to a registration: also the secrets, shown this once."""

    token: str = Field(description="The officer's API token (role officer). Shown once.")
    webhook_secret: str | None = Field(
        default=None, description="Secret of the alert webhook signatures. Shown once."
    )


class OfficerToken(BaseModel):
    """A new officer token, shown once."""

    token: str


class OfficerPage(BaseModel):
    """Registered officers."""

    items: list[OfficerOut]
