"""The campaign file's schema: one pydantic model, from which the JSON Schema is generated.

A campaign file is the user's source of truth (like a Kubernetes manifest). :class:`CampaignFile`
validates its shape (``extra="forbid"`` everywhere, so a typo is an error, never ignored) and
single values (a time is ``HH:MM``, a zone is an IANA name, a template uses only
:data:`TEMPLATE_VARIABLES`); :func:`problems` checks what spans keys (start before end,
thresholds ordered, no e-mail channel without a sender, ...). :func:`to_campaign` maps it onto
the :class:`~leadflow.domain.models.Campaign` the agents read, producing the ``settings`` keys
they read today (``sending``, ``tier_thresholds``, ``rep_hours``, ``rep_timezone``,
``escalation_email``) so the demo and hand-built campaigns keep working.

The sequence: step 1 is the first touch (the response agent writes it, or the step's own
copy); later steps are the follow-ups (a sequence of the first touch alone has none; no
sequence at all keeps the pack's drip), each ``after`` the previous one in whole days. They run
as the nurture drip, which starts when the lead has not replied to the first touch for
:data:`FIRST_FOLLOW_UP` (the ``new_lead`` route's timeout), so the first follow-up's ``after``
is at least that; a later ``after`` adds its difference. Each follow-up reads the campaign as it
is when it is due, so a changed step applies to every lead not yet past it.
"""

from __future__ import annotations

import os
import re
import string
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from leadflow.domain.models import Autonomy, Campaign, Channel, SenderIdentity

FIRST_FOLLOW_UP = timedelta(days=3)  # routes.yaml: new_lead's timeout, then lead.stalled -> nurture
TEMPLATE_VARIABLES: dict[str, str] = {
    "first_name": "the lead's first name",
    "last_name": "the lead's last name",
    "full_name": "the lead's full name",
    "company": "the lead's company",
    "title": "the lead's job title",
    "industry": "the lead's industry",
    "city": "the lead's city",
    "rep_name": "the rep's name (rep.name)",
    "sender_name": "the sending mailbox's display name",
    "company_name": "your company's name (company)",
    "offer": "the offer's summary (offer.summary)",
}
"""The variables a template may use, as ``{first_name}``; any other is an error on apply."""

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PREFERRED: tuple[Day, ...] = ("tue", "wed", "thu")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks)\s*$", re.IGNORECASE)


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"must be HH:MM on a 24-hour clock (e.g. '09:00', '17:30'), not {value!r}")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name like 'America/Chicago')") from None
    return value


def _email(value: str) -> str:
    try:
        return validate_email(value)[1]
    except (ValueError, PydanticCustomError):
        raise ValueError(f"not an e-mail address: {value!r}") from None


def days_of(text: str) -> int:
    """Whole days of a follow-up delay: ``3 days``, ``2 weeks``, ``4d``."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a delay in whole days or weeks: {text!r} (e.g. '3 days', '2 weeks')")
    return int(m.group(1)) * (7 if m.group(2).lower().startswith("w") else 1)


def _delay(value: str) -> str:
    days_of(value)
    return value


def template_variables(text: str) -> list[str]:
    """The ``{name}`` fields a template uses (``{{`` is a literal brace)."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad template: {exc} (write a literal brace as '{{{{' or '}}}}')") from None


def _template(value: str) -> str:
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(value) if f is not None]
    except ValueError:
        fields = []  # template_variables below names the problem
    for name, spec, conv in fields:
        if spec or conv:  # only a plain {name}: a spec such as {x:>999999999} builds a huge string
            raise ValueError(f"template variable {{{name}}} takes no format spec or conversion: write {{{name}}}")
    for name in template_variables(value):
        if name not in TEMPLATE_VARIABLES:
            raise ValueError(
                f"unknown template variable {{{name}}}; known: {', '.join(sorted(TEMPLATE_VARIABLES))}"
            )
    return value


def _pack(value: str) -> str:
    from leadflow.agents.qualification import PACKS

    if not (PACKS / f"{value}.yaml").exists():
        have = ", ".join(sorted(p.stem for p in PACKS.glob("*.yaml")))
        raise ValueError(f"no industry pack {value!r}; have: {have}")
    return value


HHMM = Annotated[str, AfterValidator(_hhmm), Field(examples=["09:00"])]
Zone = Annotated[str, AfterValidator(_zone), Field(examples=["America/Chicago"])]
EmailText = Annotated[str, AfterValidator(_email)]
Delay = Annotated[str, AfterValidator(_delay), Field(examples=["3 days"])]
Template = Annotated[str, AfterValidator(_template), Field(max_length=5000)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Positive = Annotated[int, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offer(_Strict):
    summary: Text = Field(description="what the first touch offers, e.g. 'a 20-minute walkthrough'")
    value_propositions: list[Text] = Field(default_factory=list)


class CompanySize(_Strict):
    min: Positive | None = None
    max: Positive | None = None


class Exclusions(_Strict):
    industries: list[Text] = Field(default_factory=list)
    titles: list[Text] = Field(default_factory=list)
    companies: list[Text] = Field(default_factory=list)
    domains: list[Text] = Field(default_factory=list)


class Tiers(_Strict):
    a: float = Field(0.75, ge=0, le=1, description="the fit (0..1) a lead needs for tier A")
    b: float = Field(0.45, ge=0, le=1, description="the fit needed for tier B")


class ICP(_Strict):
    """Who the campaign is for. An empty profile tiers leads by their data alone (B at best)."""

    industries: list[Text] = Field(default_factory=list)
    titles: list[Text] = Field(default_factory=list)
    seniority: list[Text] = Field(default_factory=list, description="e.g. director, vp, head")
    company_size: CompanySize = Field(default_factory=CompanySize)
    regions: list[Text] = Field(default_factory=list)
    exclude: Exclusions = Field(default_factory=Exclusions)
    tiers: Tiers = Field(default_factory=Tiers)


class Sender(_Strict):
    address: EmailText
    name: Text = Field(description="the display name")
    signature: Template | None = None
    daily_cap: Positive = 50
    postal_address: Text = Field(description="the postal address the e-mail footer shows (CAN-SPAM)")
    phone: str | None = None
    paused: bool = Field(False, description="starts no new thread; its threads are handed over to another sender")


class Hours(_Strict):
    start: HHMM = "09:00"
    end: HHMM = "17:00"
    days: list[Day] = Field(default_factory=lambda: list(DAYS[:5]), min_length=1)


class Rep(_Strict):
    name: Text
    timezone: Zone = "America/New_York"
    calendar: Text | None = Field(
        None, description="the rep's calendar in leadflow's built-in one (bookings kept in the store): "
        "campaigns naming the same calendar share its free slots; the rep's name when left out")
    hours: Hours = Field(default_factory=Hours)


class Ramp(_Strict):
    start: Positive = 20
    step: Annotated[int, Field(ge=0)] = 5


class Window(_Strict):
    start: HHMM = "09:00"
    end: HHMM = "17:00"


class Sending(_Strict):
    """When messages may go, in the recipient's time zone, and how many."""

    window: Window = Field(default_factory=Window)
    days: list[Day] = Field(default_factory=lambda: list(DAYS[:5]), min_length=1)
    preferred_days: list[Day] = Field(default_factory=lambda: list(PREFERRED))
    holidays: list[date] = Field(default_factory=list)
    domain_hourly_cap: Positive = 10
    ramp: Ramp = Field(default_factory=Ramp, description="a new mailbox's daily cap: start, +step a day")
    horizon_days: Positive = 60
    thread_wait_hours: Annotated[int, Field(ge=0)] = Field(
        48, description="how long a follow-up waits for its thread's mailbox (over its cap) before another sends it"
    )


class Question(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    type: Literal["number", "text", "money", "timeline", "yes_no"]
    ask: Text
    cues: list[Text] = Field(default_factory=list)
    yes: list[Text] = Field(default_factory=list)
    no: list[Text] = Field(default_factory=list)


_RULE = re.compile(r"^\s*(\w+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


def _rule(value: str) -> str:
    if not _RULE.match(value):
        raise ValueError(f"not a scoring rule {value!r} (write 'key op value', e.g. 'budget >= 1000')")
    return value


Rule = Annotated[str, AfterValidator(_rule)]


class Scoring(_Strict):
    hot: list[Rule] = Field(default_factory=list)
    warm: list[Rule] = Field(default_factory=list)
    warm_any: list[Rule] = Field(default_factory=list)


class Qualification(_Strict):
    """An industry pack by name, or the campaign's own questions and scoring (pack format)."""

    pack: Annotated[str, AfterValidator(_pack)] | None = None
    questions: list[Question] = Field(default_factory=list)
    scoring: Scoring | None = None


class Step(_Strict):
    after: Delay | None = Field(None, description="wait after the previous step; none on the first")
    channel: Channel = Channel.EMAIL
    subject: Template | None = None
    body: Template | None = None


class EscalationRuleSpec(_Strict):
    """One escalation rule as in ``agents/escalation_rules.yaml``; a default's name overrides it."""

    name: Text
    check: Literal[
        "angry", "human_request", "keywords", "budget_over", "enterprise", "reschedules", "stalled",
        "c_level", "hot_after_nurture",
    ]
    agent: str = "escalation"
    on: list[str] = Field(min_length=1)
    stages: list[str] | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    cues: list[str] = Field(default_factory=list)
    shouts: float | None = None
    amount: float | None = None
    min_company_size: int | None = None
    title_patterns: list[str] = Field(default_factory=list)
    max: int | None = None
    days: float | None = None

    @field_validator("title_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for p in value:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad pattern {p!r}: {exc}") from None
        return value


class Escalation(_Strict):
    email: EmailText | None = Field(None, description="where hand-offs go (else the first sender)")
    replace_defaults: bool = Field(False, description="true: only these rules; false: added to the defaults")
    rules: list[EscalationRuleSpec] = Field(default_factory=list)


class CampaignFile(_Strict):
    """A campaign, as the user writes it (``examples/campaign.yaml`` is an annotated one)."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    company: Text = Field(description="your company's name, as messages say it")
    offer: Offer
    icp: ICP = Field(default_factory=ICP)
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL], min_length=1)
    senders: list[Sender] = Field(default_factory=list)
    rep: Rep
    sending: Sending = Field(default_factory=Sending)
    qualification: Qualification = Field(default_factory=lambda: Qualification(pack="b2b_saas"))
    sequence: list[Step] | None = Field(
        None, min_length=1, description="step 1 the first touch, then the follow-ups; left out: the pack's drip"
    )
    escalation: Escalation = Field(default_factory=Escalation)
    knowledge: list[Text] = Field(default_factory=list, description="documents for the campaign's knowledge base")
    autonomy: Autonomy = "autopilot"


Problem = tuple[tuple[str | int, ...], str]
"""A key path in the file and what is wrong there."""


def _before(start: str, end: str) -> bool:
    return time.fromisoformat(start) < time.fromisoformat(end)


def problems(spec: CampaignFile) -> list[Problem]:
    """What :class:`CampaignFile` cannot see key by key; empty when the file can be applied."""
    found: list[Problem] = []
    if not _before(spec.sending.window.start, spec.sending.window.end):
        found.append((("sending", "window", "end"), "the send window must end after it starts"))
    if not _before(spec.rep.hours.start, spec.rep.hours.end):
        found.append((("rep", "hours", "end"), "the rep's hours must end after they start"))
    if not set(spec.sending.preferred_days) <= set(spec.sending.days):
        found.append((("sending", "preferred_days"), "preferred days must be among sending.days"))
    if spec.icp.tiers.a <= spec.icp.tiers.b:
        found.append((("icp", "tiers", "a"), f"tier A's fit ({spec.icp.tiers.a}) must be above tier B's ({spec.icp.tiers.b})"))
    size = spec.icp.company_size
    if size.min is not None and size.max is not None and size.min > size.max:
        found.append((("icp", "company_size", "min"), f"min ({size.min}) is above max ({size.max})"))
    seen: dict[str, int] = {}
    for i, s in enumerate(spec.senders):
        if s.address in seen:
            found.append((("senders", i, "address"), f"{s.address} is also senders[{seen[s.address]}]"))
        seen.setdefault(s.address, i)
    if Channel.EMAIL in spec.channels and not spec.senders:
        found.append((("senders",), "an e-mail campaign needs at least one sender mailbox (address, name, postal_address)"))
    if len(set(spec.channels)) != len(spec.channels):
        found.append((("channels",), "a channel is listed twice"))
    q = spec.qualification
    if q.pack is not None and (q.questions or q.scoring is not None):
        found.append((("qualification",), "give a pack or your own questions and scoring, not both"))
    if q.pack is None and not q.questions:
        found.append((("qualification",), "give a pack (e.g. b2b_saas) or your own questions"))
    keys = {question.key for question in q.questions}
    if len(keys) != len(q.questions):
        found.append((("qualification", "questions"), "two questions share a key"))
    if q.questions and q.scoring is not None:
        for group in ("hot", "warm", "warm_any"):
            for j, rule in enumerate(getattr(q.scoring, group)):
                m = _RULE.match(rule)
                if m and m.group(1) not in keys:
                    found.append((("qualification", "scoring", group, j), f"rule {rule!r} uses no question's key"))
    for i, step in enumerate(spec.sequence or []):
        if step.channel not in spec.channels:
            found.append((("sequence", i, "channel"), f"{step.channel.value} is not one of the campaign's channels"))
        if i == 0 and step.after is not None:
            found.append((("sequence", 0, "after"), "the first step is the first touch: it has no 'after'"))
        if i > 0 and step.after is None:
            found.append((("sequence", i), "a follow-up needs 'after' (e.g. '4 days')"))
        if i == 1 and step.after is not None and timedelta(days=days_of(step.after)) < FIRST_FOLLOW_UP:
            found.append((("sequence", 1, "after"), f"the first follow-up goes no sooner than {FIRST_FOLLOW_UP.days} days "
                          "after the first touch (the lead is given that long to reply)"))
        if step.channel is not Channel.EMAIL and step.subject is not None:
            found.append((("sequence", i, "subject"), f"a {step.channel.value} message has no subject"))
    names = [r.name for r in spec.escalation.rules]
    for i, name in enumerate(names):
        if name in names[:i]:
            found.append((("escalation", "rules", i, "name"), f"rule {name!r} is defined twice"))
    return found


def _weekdays(days: list[Day]) -> list[int]:
    return sorted({DAYS.index(d) for d in days})


def nurture_schedule(spec: CampaignFile) -> list[list[Any]]:
    """The follow-ups as a nurture schedule: ``[[day, channel], ...]`` from the first follow-up."""
    out: list[list[Any]] = []
    steps = spec.sequence or []
    day = days_of(steps[1].after or "0 days") - FIRST_FOLLOW_UP.days if len(steps) > 1 else 0
    for i, step in enumerate(steps[1:]):
        if i:
            day += days_of(step.after or "0 days")
        out.append([day, step.channel.value])
    return out


def knowledge_paths(spec: CampaignFile, base: Path | None) -> list[str]:
    """The knowledge sources, a relative path read from ``base`` (the campaign file's folder),
    so ``leadflow kb add --campaign NAME`` finds them from anywhere; URLs as written."""
    out = []
    for item in spec.knowledge:
        if base is None or item.startswith(("http://", "https://")) or Path(item).is_absolute():
            out.append(item)
        else:
            out.append(os.path.normpath(base / item))
    return out


def to_campaign(spec: CampaignFile, *, paused: bool = False) -> Campaign:
    """The :class:`Campaign` the agents read; ``paused`` is kept from the stored campaign."""
    icp: dict[str, Any] = {}
    if spec.icp.industries:
        icp["industries"] = list(spec.icp.industries)
    if spec.icp.titles or spec.icp.seniority:
        icp["titles"] = [*spec.icp.titles, *spec.icp.seniority]
    if spec.icp.company_size.min is not None:
        icp["min_team_size"] = spec.icp.company_size.min
    if spec.icp.company_size.max is not None:
        icp["max_team_size"] = spec.icp.company_size.max
    if spec.icp.regions:
        icp["regions"] = list(spec.icp.regions)
    exclude = spec.icp.exclude.model_dump(exclude_defaults=True)
    if exclude:
        icp["exclude"] = exclude
    s = spec.sending
    settings: dict[str, Any] = {
        "sending": {
            "start": s.window.start,
            "end": s.window.end,
            "allowed_days": _weekdays(s.days),
            "preferred_days": _weekdays(s.preferred_days),
            "ramp_start": s.ramp.start,
            "ramp_step": s.ramp.step,
            "domain_hourly_cap": s.domain_hourly_cap,
            "horizon_days": s.horizon_days,
            "thread_wait_hours": s.thread_wait_hours,
            "paused_mailboxes": [x.address for x in spec.senders if x.paused],
        },
        "tier_thresholds": [spec.icp.tiers.a, spec.icp.tiers.b],
        "rep_hours": {"start": spec.rep.hours.start, "end": spec.rep.hours.end, "days": _weekdays(spec.rep.hours.days)},
        "rep_timezone": spec.rep.timezone,
        "value_propositions": list(spec.offer.value_propositions),
    }
    if spec.rep.calendar:
        settings["rep_calendar"] = spec.rep.calendar
    if spec.escalation.email:
        settings["escalation_email"] = spec.escalation.email
    if spec.escalation.rules or spec.escalation.replace_defaults:
        settings["escalation_rules"] = [r.model_dump(mode="json", exclude_none=True) for r in spec.escalation.rules]
        settings["escalation_replace_defaults"] = spec.escalation.replace_defaults
    if spec.sequence is not None:  # exactly these follow-ups (none after a lone first touch)
        settings["sequence"] = [step.model_dump(mode="json", exclude_none=True) for step in spec.sequence]
        settings["nurture"] = nurture_schedule(spec)
    q = spec.qualification
    own = None
    if q.pack is None:
        own = {
            "name": spec.name,
            "questions": [x.model_dump(mode="json", exclude_defaults=True) for x in q.questions],
            "scoring": (q.scoring or Scoring()).model_dump(mode="json", exclude_defaults=True),
        }
    senders = [
        SenderIdentity(
            name=x.name, email=x.address, phone=x.phone, mailbox_daily_cap=x.daily_cap,
            postal_address=x.postal_address, signature=x.signature,
        )
        for x in spec.senders
    ]
    return Campaign(
        name=spec.name,
        offer=spec.offer.summary,
        ideal_customer_profile=icp,
        industry_pack=q.pack or "b2b_saas",
        channels=list(spec.channels),
        senders=senders,
        rep_name=spec.rep.name,
        company_name=spec.company,
        holidays=[d.isoformat() for d in s.holidays],
        settings=settings,
        autonomy=spec.autonomy,
        paused=paused,
        pack=own,
        knowledge_sources=list(spec.knowledge),
        spec=spec.model_dump(mode="json"),
    )


def json_schema() -> dict[str, Any]:
    """The campaign file's JSON Schema (``leadflow campaigns schema``)."""
    schema = CampaignFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadflow campaign"
    return schema
