"""What a CSV export format is: the columns it names, how to recognise it, where its ids are.

A :class:`CsvFormat` maps a normalised header (``"Apollo Contact Id"`` → ``apollo_contact_id``)
to a lead field (:data:`FIELDS`); a header it does not map falls back to the generic aliases of
``csv_import.ALIASES`` (never to ``source`` or ``source_lead_id``: a named export's source and id
are its own). ``markers`` are headers only that export has: :func:`detect` picks the format with
the most of them present, at least ``need``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Lead fields a column may map to, beyond the ``Lead`` model's own: ``city``, ``region``,
#: ``country`` and ``owner`` are kept in ``attributes`` (the time zone is derived from the first
#: three), ``location`` ("Chicago, Illinois, United States") is split into them, ``linkedin_url``
#: is kept as an attribute, ``ignore`` drops the column.
FIELDS = frozenset(
    {
        "first_name", "last_name", "full_name", "email", "phone", "company", "company_domain", "title",
        "industry", "timezone", "source_lead_id", "source", "inquiry", "sms_consent", "country", "city",
        "region", "location", "owner", "linkedin_url", "ignore",
    }
)


def normalize_header(cell: str) -> str:
    """``' First-Name '`` → ``first_name``; ``"# Employees"`` → ``employees``."""
    return re.sub(r"[^a-z0-9]+", "_", cell.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class CsvFormat:
    """One export format.

    Attributes:
        name: The lead's ``source`` for its rows (``"apollo"``), and the format's id.
        label: How the import report names it (``"Apollo"``).
        columns: Normalised header → field (:data:`FIELDS`). Several headers may map to one
            field (Apollo's four phone columns): the first non-empty one in the row wins, the
            others are kept as attributes.
        markers: Normalised headers typical of this export.
        need: How many markers a header row must have to be this format.
        lenient_timezone: A time-zone cell that is not an IANA name is kept as an attribute
            (and the zone derived) instead of rejecting the row.
    """

    name: str
    label: str
    columns: Mapping[str, str]
    markers: frozenset[str]
    need: int = 2
    lenient_timezone: bool = True
    profile_ids: bool = False
    """The source id is a LinkedIn profile URL's stable part (``profile_id``), or, with no id
    column, the ``linkedin_url``'s."""

    def score(self, headers: set[str]) -> int:
        """How many of its markers ``headers`` has (0 when fewer than ``need``)."""
        found = len(self.markers & headers)
        return found if found >= self.need else 0


def columns(**groups: tuple[str, ...]) -> dict[str, str]:
    """``columns(phone=("First Phone", "Mobile Phone"))`` → ``{"first_phone": "phone", ...}``."""
    return {normalize_header(h): name for name, headers in groups.items() for h in headers}


def markers(*headers: str) -> frozenset[str]:
    return frozenset(normalize_header(h) for h in headers)


def website_domain(value: str) -> str | None:
    """A website as its domain: ``https://www.Acme.com/about?x=1`` → ``acme.com``.

    ``None`` for a value with no host. An e-mail address gives its domain.
    """
    text = value.strip()
    if not text:
        return None
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host else None


def split_location(value: str) -> dict[str, str]:
    """``"Chicago, Illinois, United States"`` → city, region and country; one part is a country
    (or, as ``"Greater Chicago Area"``, a city), two are city and country."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        return {}
    if len(parts) == 1:
        area = re.fullmatch(r"(?:greater\s+)?(.+?)\s+(?:metropolitan\s+|metro\s+)?area", parts[0], re.IGNORECASE)
        return {"city": area.group(1)} if area else {"country": parts[0]}
    if len(parts) == 2:
        return {"city": parts[0], "country": parts[1]}
    return {"city": parts[0], "region": parts[-2], "country": parts[-1]}


def profile_id(url: str) -> str:
    """A LinkedIn profile URL's stable part: ``…/in/jane-doe/`` → ``jane-doe``; a Sales Navigator
    ``…/sales/lead/ACwAAB…,NAME_SEARCH,x7Yz`` → ``ACwAAB…``; anything else as written."""
    m = re.search(r"/(?:in|sales/lead|sales/people)/([^/,?#]+)", url)
    return m.group(1) if m else url.strip()
