"""CSV import: leads from a spreadsheet export into a campaign, row by row, nothing lost.

The header row tells the format (``csv_formats``: Apollo, HubSpot, Salesforce, Sales Navigator,
else generic): a named export's rows get its name as source and its contact id as source id.
Other headers are matched case-insensitively with common aliases (``First Name``, ``e-mail``,
``mobile``, ``tz``...), after the user's ``--map``; columns it does not know land in the lead's
``attributes``. Websites are kept as domains; a row without a zone gets one derived from its
city, country or phone (``domain.timezones``; ``attributes["timezone_source"]`` says how). A
person already in another campaign is reported (``ImportReport.elsewhere``) or, with ``move``,
moved here. Each row
is validated on its own: a good row is created, or recognised as a person already known (by
normalised e-mail, phone, source + ``source_lead_id``, or, for a row without an id, by its
content), so importing a file twice creates nothing new; a bad row (a cell too many or too
few, a field over 128 KiB, a quote never closed, an invalid value) is reported with its line
number and kept verbatim in the store's rejects, and the rows after it import as usual. A
``country`` column is the region a phone number without a country code is read in. A file that is not text, or has no header row naming a
first-name column, is refused as a whole with ``InvalidInput``.

Example::

    report = import_csv(runtime.intake, runtime.store, "default", "spring", Path("leads.csv"))
    print(report.created, report.duplicates, [(r.line, r.message) for r in report.rejected])
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leadflow.domain.identity import normalise_phone
from leadflow.domain.models import Consent, Lead, check_timezone
from leadflow.domain.timezones import country_code, guess_zone, iana_name, phone_zones
from leadflow.exceptions import InvalidInput, NotFound
from leadflow.orchestrator.csv_formats import (
    GENERIC,
    CsvFormat,
    detect,
    profile_id,
    split_location,
    website_domain,
)
from leadflow.orchestrator.intake import Intake
from leadflow.state.base import Store
from leadflow.state.rejects import RejectLimits

ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "firstname", "first", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "last", "surname", "family_name"),
    "email": ("email", "e_mail", "email_address", "mail"),
    "phone": ("phone", "mobile", "phone_number", "mobile_phone", "cell", "telephone", "tel"),
    "company": ("company", "company_name", "organization", "organisation", "account"),
    "company_domain": ("company_domain", "domain", "website"),
    "title": ("title", "job_title", "position", "role"),
    "industry": ("industry", "vertical"),
    "timezone": ("timezone", "tz", "time_zone"),
    "source_lead_id": ("source_lead_id", "id", "lead_id", "external_id"),
    "source": ("source", "lead_source"),
    "inquiry": ("inquiry", "enquiry", "message", "notes", "comment"),
    "sms_consent": ("sms_consent", "sms_opt_in", "sms_optin", "consent_sms"),
    "country": ("country", "country_code"),
    "city": ("city", "town"),
    "region": ("state", "region", "province", "state_province", "state_region"),
}
_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_TRUE = {"1", "true", "yes", "y", "t", "x", "on"}
_FALSE = {"", "0", "false", "no", "n", "f", "off"}
_SNIFF = 8192


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: its line in the file and what was wrong."""

    line: int
    message: str
    reject_id: int


@dataclass
class ImportReport:
    """What one import did."""

    path: str
    encoding: str
    format: str = GENERIC.label
    created: int = 0
    duplicates: int = 0
    moved: int = 0
    moved_from: dict[str, int] = field(default_factory=dict)
    """Leads moved here (``move``): the campaign each came from → how many."""
    elsewhere: dict[str, int] = field(default_factory=dict)
    """Leads already in another campaign and left there (no ``move``): campaign → how many."""
    rejected: list[RowError] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.duplicates + self.moved + sum(self.elsewhere.values()) + len(self.rejected)

    def summary(self) -> str:
        """``"Apollo export: 18 created, 1 already known, 3 already in campaign 'spring' (--move
        moves them), 0 rejected"``."""
        parts = [f"{self.created} created", f"{self.duplicates} already known"]
        parts += [f"{n} already in campaign {name!r} (--move moves them)" for name, n in sorted(self.elsewhere.items())]
        parts += [f"{n} moved from campaign {name!r}" for name, n in sorted(self.moved_from.items())]
        parts.append(f"{len(self.rejected)} rejected")
        return f"{self.format} export: " + ", ".join(parts)


def normalize_header(cell: str) -> str:
    """``' First-Name '`` → ``first_name``."""
    return re.sub(r"[^a-z0-9]+", "_", cell.strip().lstrip("\ufeff").lower()).strip("_")


#: What a named format's columns never fall back to: its rows' source and id are its own.
_OWN = {"source", "source_lead_id"}


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Text, the encoding used and notes. UTF-8 (with or without BOM) first, then cp1252, then latin-1."""
    if b"\x00" in data[:_SNIFF]:
        raise InvalidInput("this looks like a binary file, not CSV text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding, [f"file is not valid UTF-8 (at {where}); read it as {encoding}"]
    raise InvalidInput("cannot decode the file as text")  # pragma: no cover - latin-1 decodes anything


def _lines(text: str) -> list[str]:
    # Split on "\n" only: csv handles "\r\n" itself, and other separators may sit inside fields.
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _bool(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"{column}: expected yes/no or true/false, got {value!r}")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "row"
        parts.append(f"{loc}: {str(err.get('msg', '')).removeprefix('Value error, ')}")
    return "; ".join(parts)


#: The csv module's own limit on one field (``csv.field_size_limit()``, 128 KiB): a longer field
#: is that row's error, and the rows after it import as usual.
FIELD_LIMIT = csv.field_size_limit()


def _quote_state(line: str, quoted: bool, at_field_start: bool) -> tuple[bool, bool]:
    """Whether a record is still inside a quoted field after ``line`` (csv's rule: a quote
    opens a field only at its start; ``""`` inside one is a quote), and whether the next
    character would start a field."""
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quoted:
            if c == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
            i += 1
            continue
        if c == '"' and at_field_start:
            quoted = True
            at_field_start = False
        else:
            at_field_start = c in ",\n"
        i += 1
    return quoted, at_field_start


def _record_end(lines: list[str], start: int) -> int:
    """The index after the last line of the CSV record starting at line index ``start``:
    physical lines, joined while a quoted field is open. A quote never closed spans only its
    own line (reported there), so no row after it is swallowed."""
    quoted, fresh = False, True
    end = start
    while end < len(lines):
        line = lines[end]
        if quoted or '"' in line:
            quoted, fresh = _quote_state(line, quoted, fresh)
        end += 1
        if not quoted:
            return end
    return start + 1 if quoted else end  # the file ended inside a quoted field


@dataclass(frozen=True)
class _Record:
    line: int  # where it starts (1-based)
    lines: int  # how many physical lines it spans
    cells: list[str] | None  # None when csv cannot read it
    raw: str
    error: str | None


class _Rows:
    """CSV records with the line each starts on and its raw text, each parsed on its own.

    A record that spans several lines (a quoted field with line breaks) and cannot be imported
    is given up on its first line alone, and the lines after that are read again
    (``give_up``): a stray quote cannot hide the rows behind it.
    """

    def __init__(self, text: str) -> None:
        self._lines = _lines(text)
        self._next = 0

    def __iter__(self) -> Iterator[_Record]:
        while self._next < len(self._lines):
            first = self._next
            end = _record_end(self._lines, first)
            self._next = end
            yield self._parse(first, end)

    def _parse(self, first: int, end: int) -> _Record:
        chunk = self._lines[first:end]
        raw = "".join(chunk).rstrip("\r\n")
        try:
            cells = next(csv.reader(iter(chunk), strict=True), [])
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = f"a field is longer than the limit of {FIELD_LIMIT} characters (128 KiB)"
            elif end - first == 1 and raw.count('"') % 2:
                message = f"malformed CSV: a quoted field is never closed ({exc})"
            else:
                message = f"malformed CSV: {exc}"
            return _Record(first + 1, end - first, None, raw, message)
        return _Record(first + 1, end - first, cells, raw, None)

    def give_up(self, record: _Record, message: str) -> tuple[str, str]:
        """The raw text and message to reject ``record`` with; a record over several lines is
        rejected as its first line, and reading goes on at the line after it."""
        if record.lines == 1:
            return record.raw, message
        self._next = record.line  # the index of the line after its first
        last = record.line + record.lines - 1
        raw = self._lines[record.line - 1].rstrip("\r\n")
        return raw, f"{message} (a quoted field ran from here to line {last}; the lines after this one are read again)"


def _header(
    cells: list[str], fmt: CsvFormat = GENERIC, mapping: dict[str, str] | None = None
) -> list[str | None]:
    """Each column's field: the user's ``mapping`` first, then the format's columns, then the
    generic aliases. A named format's fields may repeat (its phone columns, in order of
    preference); a generic file's second "email"-like column is kept as an attribute."""
    names: list[str | None] = []
    seen: set[str] = set()
    for cell in cells:
        key = normalize_header(cell)
        name: str | None
        if mapping and key in mapping:
            name = None if mapping[key] == "ignore" else mapping[key]
        elif key in fmt.columns:
            name = fmt.columns[key]
        else:
            name = _BY_ALIAS.get(key)
            if name in seen or (fmt is not GENERIC and name in _OWN):
                name = None  # a second "email"-like column: keep it as an attribute, do not overwrite
        if name:
            seen.add(name)
        names.append(name)
    if "full_name" in seen:
        seen.add("first_name")  # split on import
    if "first_name" not in seen:
        raise InvalidInput(
            "no header row with a first-name column: the first line must name the columns, "
            f"e.g. first_name,email,company (found {', '.join(repr(c) for c in cells[:6]) or 'nothing'})"
        )
    return names


#: Fields kept in the lead's ``attributes`` under their own names.
_PLACE = ("city", "region", "country", "owner", "linkedin_url")


def _lead(
    header: list[str | None], raw_header: list[str], cells: list[str], *, default_source: str,
    fmt: CsvFormat = GENERIC,
) -> Lead:
    if len(cells) != len(header):
        few = "too few" if len(cells) < len(header) else "too many"
        raise ValueError(f"{few} cells: the row has {len(cells)}, the header names {len(header)} columns")
    fields: dict[str, Any] = {"source": default_source if fmt is GENERIC else fmt.name}
    attributes: dict[str, Any] = {}
    sms: bool | None = None
    for name, label, value in zip(header, raw_header, cells, strict=False):
        if name is not None and name in fields and name != "source" and value.strip():
            name = None  # a later column for a field already given (Apollo's other phones): an attribute
        if name is None:
            if value.strip():
                attributes[normalize_header(label) or f"column_{len(attributes) + 1}"] = value.strip()
        elif name == "sms_consent":
            sms = _bool(value, label.strip())
        elif value.strip():
            fields[name] = value.strip()
    _place(fields, attributes)
    _names_and_ids(fields, fmt)
    if fields.get("company_domain"):  # a website as its domain: https://www.Acme.com/about → acme.com
        domain = website_domain(fields["company_domain"])
        if domain is None or domain != fields["company_domain"].lower():
            attributes.setdefault("website", fields["company_domain"])
        if domain is None:
            del fields["company_domain"]
        else:
            fields["company_domain"] = domain
    code = country_code(attributes.get("country")) or attributes.get("country")
    if fields.get("phone") and code:  # a number without a country code reads in the row's country
        try:
            fields["phone"] = normalise_phone(fields["phone"], region=code)
        except ValueError as exc:
            raise ValueError(f"phone: {exc}") from exc
    _zone(fields, attributes, fmt)
    if sms is not None:
        fields["consent"] = Consent(sms=sms, source="csv")
    if attributes:
        fields["attributes"] = attributes
    return Lead.model_validate(fields)


def _place(fields: dict[str, Any], attributes: dict[str, Any]) -> None:
    """City, region, country, owner and profile URL into ``attributes``; a ``location`` split."""
    location = fields.pop("location", None)
    if location:
        attributes["location"] = location
        for key, value in split_location(location).items():
            fields.setdefault(key, value)
    for key in _PLACE:
        value = fields.pop(key, None)
        if value:
            attributes[key] = value


def _names_and_ids(fields: dict[str, Any], fmt: CsvFormat) -> None:
    full = fields.pop("full_name", None)
    if full and not fields.get("first_name"):
        first, _, last = full.partition(" ")
        fields["first_name"] = first
        fields.setdefault("last_name", last.strip())
    if fmt.profile_ids:
        raw = fields.get("source_lead_id")
        if raw:
            fields["source_lead_id"] = profile_id(raw)


def _zone(fields: dict[str, Any], attributes: dict[str, Any], fmt: CsvFormat) -> None:
    """The lead's zone: as given, else derived (``attributes["timezone_source"]`` says how)."""
    given = fields.get("timezone")
    if given and fmt.lenient_timezone:
        try:
            check_timezone(given)
        except ValueError:
            named = iana_name(given)  # HubSpot's america_slash_new_york
            if named:
                fields["timezone"] = named
            else:
                attributes["timezone_given"] = fields.pop("timezone")
    if fields.get("timezone"):
        attributes["timezone_source"] = "csv"
        return
    found, source = guess_zone(
        city=attributes.get("city"), region=attributes.get("region"), country=attributes.get("country"),
        phone=fields.get("phone"),
    )
    attributes["timezone_source"] = source
    if found:
        fields["timezone"] = found
        return
    zones = phone_zones(fields.get("phone"))
    if len(zones) > 1:  # the send window keeps to the hours these share (sequencing.plan_send)
        attributes["timezone_candidates"] = list(zones)


def content_key(header: list[str | None], raw_header: list[str], cells: list[str]) -> str:
    """``csv:<sha256>`` of a row's non-empty cells, each under its column (known name or
    normalised label), trimmed and case-folded, in column-name order: the same row in another
    file, or with its columns reordered, has the same key."""
    pairs = sorted(
        (name or f"x:{normalize_header(label)}", value.strip().casefold())
        for name, label, value in zip(header, raw_header, cells, strict=False)
        if value.strip()
    )
    digest = hashlib.sha256("\x1e".join(f"{k}\x1f{v}" for k, v in pairs).encode()).hexdigest()
    return f"csv:{digest}"


def import_csv(
    intake: Intake, store: Store, workspace_id: str, campaign: str, path: Path, *, source: str = "csv",
    reject_limits: RejectLimits | None = None, mapping: dict[str, str] | None = None,
    fmt: CsvFormat | None = None, move: bool = False,
) -> ImportReport:
    """Import the leads in ``path`` into ``campaign``; bad rows are kept as rejects within
    ``reject_limits`` (``Settings.reject_limits``; the store's defaults when None).

    The format is recognised by the header row (``csv_formats.detect``) unless ``fmt`` is given;
    ``mapping`` (normalised column → field, ``csv_formats.read_map``) wins over it. A named
    format's rows have its name as source and its contact id as source id. A person already in
    another campaign is counted in ``report.elsewhere`` and left there, or, with ``move``, moved
    here (``Intake.move_lead``: a ``lead.moved`` event).

    Raises:
        NotFound: the campaign does not exist in the workspace.
        InvalidInput: the file is binary, empty, or has no header row naming a first-name column.
    """
    store.get_campaign(workspace_id, campaign)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    text, encoding, notes = decode(data)
    report = ImportReport(path=str(path), encoding=encoding, notes=notes)
    rows = _Rows(text)
    records = iter(rows)
    first = next((r for r in records if r.cells is None or any(c.strip() for c in r.cells)), None)
    if first is None:
        raise InvalidInput(f"{path.name} is empty: expected a header row and lead rows")
    raw_header = first.cells
    if raw_header is None:
        raise InvalidInput(f"{path.name}: cannot read the header row ({first.error})")
    fmt = fmt or detect(raw_header)
    report.format = fmt.label
    header = _header(raw_header, fmt, mapping)
    reject_source = f"csv:{path.name}"

    def reject(record: _Record, message: str) -> None:
        raw, message = rows.give_up(record, message)
        rid = store.add_reject(workspace_id, reject_source, raw, f"line {record.line}: {message}", intake.clock.now(),
                               limits=reject_limits)
        report.rejected.append(RowError(record.line, message, rid))

    for record in records:
        cells = record.cells
        if cells is None:
            reject(record, record.error or "malformed CSV")
            continue
        if not any(c.strip() for c in cells):
            continue  # blank line
        try:
            lead = _lead(header, raw_header, cells, default_source=source, fmt=fmt)
        except ValidationError as exc:
            reject(record, _describe(exc))
            continue
        except ValueError as exc:
            reject(record, str(exc))
            continue
        # a row without an id is known by its content, so importing the file again creates nothing
        keys = [] if lead.source_lead_id else [content_key(header, raw_header, cells)]
        try:
            state, created = intake.create_lead(workspace_id, campaign, lead, keys=keys)
        except (InvalidInput, NotFound) as exc:
            reject(record, str(exc))
            continue
        if created:
            report.created += 1
        elif state.campaign == campaign:
            report.duplicates += 1
        elif move:
            before = state.campaign
            state = intake.move_lead(workspace_id, state.lead_id, campaign, reason=f"csv import of {path.name}")
            report.moved += 1
            report.moved_from[before] = report.moved_from.get(before, 0) + 1
        else:
            report.elsewhere[state.campaign] = report.elsewhere.get(state.campaign, 0) + 1
        report.lead_ids.append(state.lead_id)
    return report
