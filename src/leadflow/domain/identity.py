"""Who a person is: phone numbers in E.164, e-mail addresses normalised, and the keys they match on.

One person, one lead: a lead is recognised again by any of its identity keys
(``identity_keys``), and a suppression holds for every spelling of the address or number it
was written for (``suppression_key`` when one is written, ``suppression_keys`` when one is
looked up). Everything here is pure: no I/O, no clock.

Rules (the README repeats them):

* **Phone numbers** are parsed with ``phonenumbers`` and written in E.164 (``+81312345678``).
  A number without a country code is read in a region hint (ISO 3166 alpha-2: a CSV row's
  ``country`` column, kept as the lead's ``attributes["country"]``), else in
  ``DEFAULT_REGION`` ("US"). A number is accepted when ``phonenumbers`` finds it valid, or when it is written with its
  country code and has a full possible length for that country (reserved fictional ranges,
  such as Ofcom's 07700 900xxx, are possible but not assigned); anything else is a
  ``ValueError``.
* **E-mail addresses** are lower-cased whole. For ``gmail.com`` (and ``googlemail.com``, mapped
  to ``gmail.com``) dots and a ``+tag`` in the local part are dropped: Google delivers all of
  those spellings to one mailbox. For the providers in ``PLUS_TAG_PROVIDERS`` only the
  ``+tag`` is dropped. No other provider rule is applied: elsewhere a dot or a plus may be part
  of a different mailbox.
* **Matching** (``match``): an arrival's keys are tried strongest first (e-mail, phone, source
  id, extra keys such as a CSV row's content hash); the first known one decides the lead, the
  unknown ones are linked to it, and keys another lead holds stay with it. The store records a
  ``lead.linked`` event (``linked_event``) saying so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers

from leadflow.domain.events import Event, EventType, new_event

if TYPE_CHECKING:
    from leadflow.domain.models import Lead

#: The region a number without a country code is read in when nothing better is known.
DEFAULT_REGION = "US"

#: Providers where ``local+tag@domain`` is delivered to ``local@domain`` (their documented
#: sub-addressing), so the tag is dropped. Dots are significant at these providers.
PLUS_TAG_PROVIDERS = frozenset(
    {
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "protonmail.com",
        "proton.me",
    }
)

_GMAIL = frozenset({"gmail.com", "googlemail.com"})

#: Prefix of a domain-wide suppression: ``domain:example.com`` holds for every address there.
DOMAIN_PREFIX = "domain:"


def _region(region: str | None) -> str:
    hint = (region or "").strip().upper()
    return hint if len(hint) == 2 and hint.isalpha() else DEFAULT_REGION


@lru_cache(maxsize=100_000)
def _e164(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {value!r} ({exc})") from exc
    ok = phonenumbers.is_valid_number(number)
    if not ok and value.lstrip().startswith("+"):
        reason = phonenumbers.is_possible_number_with_reason(number)
        ok = reason == phonenumbers.ValidationResult.IS_POSSIBLE
    if not ok:
        raise ValueError(f"not a valid phone number: {value!r} (read in region {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """The number in E.164 (``+81312345678``).

    Args:
        value: the number as written (``+81 3 1234 5678``, ``(415) 555-0100``, ``03-1234-5678``).
        region: ISO 3166 alpha-2 code a number without a country code is read in; ``None`` or
            anything that is not a two-letter code means ``DEFAULT_REGION``.

    Raises:
        ValueError: not a phone number, or not a valid one.
    """
    return _e164(value.strip(), _region(region))


def normalise_email(value: str) -> str:
    """The address lower-cased, with the safe provider rules applied (see the module docstring).

    Raises:
        ValueError: no ``@`` with text on both sides.
    """
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an e-mail address: {value!r}")
    domain = domain.rstrip(".")
    if domain in _GMAIL:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in PLUS_TAG_PROVIDERS:
        local = local.split("+", 1)[0]
    if not local:
        raise ValueError(f"not an e-mail address: {value!r}")
    return f"{local}@{domain}"


def email_domain(value: str) -> str:
    """The normalised address's domain (``googlemail.com`` reads as ``gmail.com``)."""
    return normalise_email(value).rpartition("@")[2]


def lead_region(lead: Lead) -> str | None:
    """The region hint a lead carries (``attributes["country"]``), if any."""
    country = lead.attributes.get("country")
    return country if isinstance(country, str) else None


def identity_keys(lead: Lead) -> list[str]:
    """The keys a lead is recognised by, strongest first: ``email:<normalised>``,
    ``phone:<e164>``, ``src:<source>:<source_lead_id>``.

    The order is the merge rule: when a lead's keys point at different known leads, the first
    key that matches wins (the e-mail before the phone, both before the source id).
    """
    return keys_of(
        email=str(lead.email) if lead.email else None,
        phone=lead.phone,
        source=lead.source,
        source_lead_id=lead.source_lead_id,
        region=lead_region(lead),
    )


def keys_of(
    *,
    email: str | None,
    phone: str | None,
    source: str | None,
    source_lead_id: str | None,
    region: str | None = None,
) -> list[str]:
    """``identity_keys`` from the parts (a stored document's fields); a part that does not
    normalise is simply not a key."""
    keys: list[str] = []
    if email:
        try:
            keys.append(f"email:{normalise_email(email)}")
        except ValueError:
            pass
    if phone:
        try:
            keys.append(f"phone:{normalise_phone(phone, region=region)}")
        except ValueError:
            pass
    if source_lead_id:
        keys.append(f"src:{source or 'api'}:{source_lead_id}")
    return keys


@dataclass(frozen=True)
class Match:
    """A returning person: the lead the first known key leads to, and what to link to it."""

    lead_id: str
    matched: str  # the first key (strongest first) already known
    new: tuple[str, ...]  # the arrival's keys nobody had: linked to ``lead_id``
    elsewhere: dict[str, str]  # keys that stay with another lead (key -> that lead's id)


def match(keys: Sequence[str], owners: Mapping[str, str]) -> Match | None:
    """Which known lead ``keys`` (strongest first) belong to, given who owns each known key;
    None for a new person. The first key that is known wins; keys other leads hold stay theirs."""
    matched = next((k for k in keys if k in owners), None)
    if matched is None:
        return None
    lead_id = owners[matched]
    return Match(
        lead_id=lead_id,
        matched=matched,
        new=tuple(k for k in keys if k not in owners),
        elsewhere={k: owners[k] for k in keys if k in owners and owners[k] != lead_id},
    )


def linked_event(found: Match, arrival: Lead, *, workspace_id: str, at: datetime) -> Event:
    """The ``lead.linked`` event that shows in the trace why an arrival became this lead."""
    return new_event(
        EventType.LEAD_LINKED,
        lead_id=found.lead_id,
        workspace_id=workspace_id,
        at=at,
        payload={
            "matched": found.matched,
            "linked": list(found.new),
            "elsewhere": dict(found.elsewhere),
            "source": arrival.source,
            "source_lead_id": arrival.source_lead_id,
        },
        source=f"intake:{arrival.source}",
        event_id=hashlib.sha1(
            f"linked:{workspace_id}:{found.lead_id}:{','.join(found.new)}".encode()
        ).hexdigest(),
    )


def suppression_key(value: str) -> str:
    """The form a suppression is stored under: a normalised address, an E.164 number, or
    ``domain:<domain>``; anything else lower-cased and stripped."""
    text = value.strip()
    if text.lower().startswith(DOMAIN_PREFIX):
        domain = text[len(DOMAIN_PREFIX) :].strip().lower().lstrip("@").rstrip(".")
        return DOMAIN_PREFIX + ("gmail.com" if domain in _GMAIL else domain)
    if "@" in text:
        try:
            return normalise_email(text)
        except ValueError:
            return text.lower()
    try:
        return normalise_phone(text)
    except ValueError:
        return text.lower()


def suppression_keys(value: str, *, salt: str | None = None) -> list[str]:
    """Every stored key that suppresses ``value`` (an address or a number), for an ``IN (...)``.

    An address is suppressed by its normalised form, by that form without a ``+tag`` (at any
    provider), by its domain and the domain's parents (``domain:<domain>``; never a bare
    top-level domain) and, for rows written before normalisation, by its lower-cased spelling; a number by its E.164
    form and its lower-cased spelling. With the workspace's erasure ``salt`` (once a person was
    erased there), also by ``erased_key(salt, suppression_key(value))``: the row an erased
    person's suppression is kept as. This is the one place the lookup is defined.
    """
    text = value.strip()
    keys = [suppression_key(text)]
    personal = [keys[0]]  # the forms an erased person's suppression may be kept under
    if "@" in text and not text.lower().startswith(DOMAIN_PREFIX):
        try:
            local, _, domain = normalise_email(text).rpartition("@")
        except ValueError:
            local = domain = ""
        untagged = local.split("+", 1)[0]
        if untagged and untagged != local:  # most providers deliver ann+x@ to ann@: its opt-out holds
            personal.append(f"{untagged}@{domain}")
            keys.append(personal[-1])
        if domain:  # the domain and its parents (eu.acme.example is acme.example's), never a bare TLD
            labels = domain.split(".")
            parents = range(max(1, len(labels) - 1 - _MAX_PARENTS), len(labels) - 1)
            keys += [DOMAIN_PREFIX + ".".join(labels[i:]) for i in (0, *parents)]
    if salt is not None:
        keys += [erased_key(salt, k) for k in personal]
    return _unique([*keys, text.lower()])


_MAX_PARENTS = 6  # parent domains looked up for an address (a.b.c.d.example has few real ones)


#: Prefix of an erased person's suppression: a salted hash of its key (``state.privacy``).
ERASED_PREFIX = "hash:"


def erased_key(salt: str, key: str) -> str:
    """``hash:<sha256(salt + key)>``: what is kept of suppression key ``key`` once its person is
    erased, so the address stays suppressed without being stored."""
    return ERASED_PREFIX + hashlib.sha256((salt + key).encode()).hexdigest()


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(k for k in keys if k))
