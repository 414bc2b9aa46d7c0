"""The lead, campaign and conversation model every agent reads and writes.

These are plain pydantic models: no I/O, no clocks. ``LeadState`` is the shared state
of one lead; its ``version`` is the optimistic-concurrency token the store checks.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.networks import validate_email

from leadflow.domain.identity import normalise_phone
from leadflow.domain.limits import json_problem, read_back, shorten_path, text_problem


@lru_cache(maxsize=100_000)
def _email(value: str) -> str:
    """pydantic's email check and normalisation, remembered: every copy of a lead's state is
    validated again, and the same few addresses come back thousands of times."""
    return validate_email(value)[1]


Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]
"""An email address, validated and normalised as pydantic's ``EmailStr``."""


class Stage(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    ENGAGED = "engaged"
    QUALIFYING = "qualifying"
    QUALIFIED = "qualified"
    NURTURING = "nurturing"
    MEETING_BOOKED = "meeting_booked"
    CLOSING = "closing"
    WON = "won"
    LOST = "lost"
    DO_NOT_CONTACT = "do_not_contact"


TERMINAL_STAGES = frozenset({Stage.WON, Stage.LOST, Stage.DO_NOT_CONTACT})


class Score(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LINKEDIN = "linkedin"
    VOICE = "voice"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


@lru_cache(maxsize=1024)  # more than the IANA database has zones; a bad name is not kept
def zone(name: str | None) -> ZoneInfo:
    """``ZoneInfo(name or "UTC")``, kept: ``ZoneInfo`` itself keeps only the last few zones
    nothing holds and reads a zone's file again for the others (every lead read validates its
    zone, every send plan converts to it)."""
    return ZoneInfo(name or "UTC")


def check_timezone(value: str | None) -> str | None:
    """Return ``value`` if it is a known IANA zone; raise ``ValueError`` otherwise."""
    if value is None or value == "":
        return None
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'America/New_York'") from exc
    return value


class Consent(BaseModel):
    """What the lead agreed to; outbound on a channel without consent is refused."""

    model_config = ConfigDict(frozen=True)

    email: bool = True
    sms: bool = False
    linkedin: bool = True
    source: str | None = None


class Lead(BaseModel):
    """A person at a company, as it arrived from a source."""

    model_config = ConfigDict(str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    company_domain: str | None = Field(default=None, max_length=253)
    industry: str | None = Field(default=None, max_length=100)
    source: str = Field(default="api", max_length=100)
    source_lead_id: str | None = Field(default=None, max_length=200)
    inquiry: str | None = Field(default=None, max_length=5000)
    timezone: str | None = None
    consent: Consent = Field(default_factory=Consent)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return check_timezone(value)

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Within the input limits (``domain.limits``): what is accepted can be stored and read back
        (not checked again when the store reads it back: ``limits.READ_BACK``)."""
        if not value or read_back(info.context):
            return value
        found = json_problem(value, path="attributes")
        if found is not None:
            raise ValueError(f"{shorten_path(found[0])}: {found[1]}")
        return value

    @field_validator(
        "first_name", "last_name", "title", "company", "company_domain", "industry", "source",
        "source_lead_id", "inquiry",
    )
    @classmethod
    def _storable(cls, value: str | None, info: ValidationInfo) -> str | None:
        """No NUL or lone surrogate: the store keeps UTF-8 text (``domain.limits.text_problem``)."""
        problem = None if value is None or read_back(info.context) else text_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """Stored in E.164 (``identity.normalise_phone``): one number, one spelling, so opt-outs
        and identities match however it was written. Without a country code it reads as a US
        number (``identity.DEFAULT_REGION``); a CSV ``country`` column gives another region.

        A phone-shaped value that does not normalise (a lead stored before numbers were
        normalised, e.g. a national UK number) is kept as written, so it can still be read
        back; ``Intake.create_lead`` refuses such a number for a new lead."""
        if value is None or value == "":
            return None
        if any(c not in "+0123456789 ()-./" for c in value):
            raise ValueError(f"not a phone number: {value!r}")
        try:
            return normalise_phone(value)
        except ValueError:
            if sum(c.isdigit() for c in value) < 7:
                raise
            return value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SenderIdentity(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: Email
    phone: str | None = None
    mailbox_daily_cap: int = 50
    postal_address: str = "1 Market Street, San Francisco, CA 94105"
    signature: str | None = None


Autonomy = Literal["autopilot", "review_first_touch", "review_all", "draft_only"]
"""How much the agents may send on their own (helper D's review gate enforces it)."""


class Campaign(BaseModel):
    """What we sell, to whom, on which channels, from which senders."""

    name: str = Field(min_length=1, max_length=100)
    offer: str = "a quick consultation"
    ideal_customer_profile: dict[str, Any] = Field(default_factory=dict)
    industry_pack: str = "b2b_saas"
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL])
    senders: list[SenderIdentity] = Field(default_factory=list)
    rep_name: str = "Sam"
    company_name: str = "Leadflow Demo Co"
    holidays: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    # issue 11: a campaign applied from a file (``leadflow.campaigns``) sets these
    autonomy: Autonomy = "autopilot"
    paused: bool = False  # nothing is delivered while set; decisions and timers go on
    pack: dict[str, Any] | None = None  # the campaign's own questions/scoring/nurture, pack format
    knowledge_sources: list[str] = Field(default_factory=list)
    spec: dict[str, Any] | None = None  # the applied campaign file, as read (``campaigns export``)

    @property
    def rep_calendar(self) -> str:
        """The rep's calendar (``settings["rep_calendar"]``, from a campaign file), else the rep's name."""
        return str(self.settings.get("rep_calendar") or self.rep_name)


class Message(BaseModel):
    """One message on one channel, either way."""

    id: str
    channel: Channel
    direction: Direction
    to: str | None = None
    sender: str | None = None
    subject: str | None = None
    body: str
    at: datetime
    thread_id: str | None = None
    in_reply_to: str | None = None
    agent: str | None = None


class Appointment(BaseModel):
    start: datetime
    end: datetime
    with_rep: str
    status: str = "scheduled"  # scheduled | confirmed | completed | cancelled
    reschedules: int = 0
    calendar_uid: str | None = None


class Escalation(BaseModel):
    reason: str
    priority: str = "normal"  # low | normal | high | urgent
    agent: str
    summary: str
    at: datetime | None = None
    resolved: bool = False


class AgentStep(BaseModel):
    agent: str
    at: datetime
    result: str
    event_id: str | None = None


class LeadState(BaseModel):
    """The shared state of one lead: what every agent reads and the store versions."""

    lead_id: str
    workspace_id: str
    campaign: str
    lead: Lead
    stage: Stage = Stage.NEW
    score: Score | None = None
    score_value: float = 0.0
    fit: float | None = None
    tier: str | None = None
    qualification: dict[str, Any] = Field(default_factory=dict)
    pending_question: str | None = None
    appointment: Appointment | None = None
    assigned_to: str | None = None
    agent_history: list[AgentStep] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    escalations: list[Escalation] = Field(default_factory=list)
    signals: list[dict[str, Any]] = Field(default_factory=list)
    proposed_slots: list[dict[str, str]] = Field(default_factory=list)
    nurture_step: int = 0
    nurture_run: int = 0
    touches: int = 0
    replies: int = 0
    last_intent: str | None = None
    paused_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def contactable(self) -> bool:
        return self.stage is not Stage.DO_NOT_CONTACT
