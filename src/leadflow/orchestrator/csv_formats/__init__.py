"""CSV export formats: which tool wrote a file, and what its columns mean.

``detect`` recognises Apollo, HubSpot, Salesforce (Leads and Contacts reports) and LinkedIn
Sales Navigator exports by their header rows; anything else is ``GENERIC`` (the aliases of
``csv_import.ALIASES``). ``read_map`` reads the user's own ``--map COLUMN=field`` pairs or a
``--map-file`` (YAML ``Column: field`` lines), which win over any format's.

Example::

    fmt = detect(["First Name", "Apollo Contact Id", "Email Status", ...])  # APOLLO
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from leadflow.exceptions import InvalidInput
from leadflow.orchestrator.csv_formats._base import (
    FIELDS,
    CsvFormat,
    normalize_header,
    profile_id,
    split_location,
    website_domain,
)
from leadflow.orchestrator.csv_formats.apollo import APOLLO
from leadflow.orchestrator.csv_formats.hubspot import HUBSPOT
from leadflow.orchestrator.csv_formats.salesforce import SALESFORCE
from leadflow.orchestrator.csv_formats.salesnav import SALESNAV

__all__ = [
    "APOLLO",
    "FIELDS",
    "FORMATS",
    "GENERIC",
    "HUBSPOT",
    "SALESFORCE",
    "SALESNAV",
    "CsvFormat",
    "by_name",
    "detect",
    "normalize_header",
    "profile_id",
    "read_map",
    "split_location",
    "website_domain",
]

GENERIC = CsvFormat(name="csv", label="generic CSV", columns={}, markers=frozenset(), need=0,
                    lenient_timezone=False)
"""A file no named format recognises: columns by the generic aliases."""

FORMATS: tuple[CsvFormat, ...] = (APOLLO, HUBSPOT, SALESFORCE, SALESNAV)
"""The named formats, in the order a tie is broken."""


def detect(header: Sequence[str], *, formats: Iterable[CsvFormat] = FORMATS) -> CsvFormat:
    """The format whose markers the header row has most of, or ``GENERIC``."""
    names = {normalize_header(c) for c in header}
    best, best_score = GENERIC, 0
    for fmt in formats:
        score = fmt.score(names)
        if score > best_score:
            best, best_score = fmt, score
    return best


def by_name(name: str) -> CsvFormat:
    """A format by its name (``apollo``, ``hubspot``, ``salesforce``, ``salesnav``, ``csv``)."""
    for fmt in (*FORMATS, GENERIC):
        if fmt.name == name.strip().lower():
            return fmt
    known = ", ".join(f.name for f in (*FORMATS, GENERIC))
    raise InvalidInput(f"unknown CSV format {name!r}; known: {known}")


def read_map(pairs: Sequence[str] = (), map_file: Path | None = None) -> dict[str, str]:
    """Normalised column → field from ``COLUMN=field`` pairs and a YAML file of ``Column: field``.

    Raises:
        InvalidInput: a pair without ``=``, an unreadable file, or a field that is not one of
            ``FIELDS`` (the message names it and lists them).
    """
    mapping: dict[str, str] = {}
    if map_file is not None:
        try:
            doc = yaml.safe_load(map_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read the map file {map_file}: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise InvalidInput(f"{map_file}: expected lines of 'Column: field'")
        for column, name in doc.items():
            mapping[_column(str(column))] = _field(str(name), f"{map_file}: {column}")
    for pair in pairs:
        column, eq, name = pair.rpartition("=")
        if not eq or not column.strip():
            raise InvalidInput(f"--map {pair!r}: write COLUMN=field, e.g. --map 'Mobile Number=phone'")
        mapping[_column(column)] = _field(name, f"--map {pair!r}")
    return mapping


def _column(column: str) -> str:
    key = normalize_header(column)
    if not key:
        raise InvalidInput(f"cannot map the column {column!r}: it has no letters or digits")
    return key


def _field(name: str, where: str) -> str:
    value = name.strip().lower()
    if value not in FIELDS:
        raise InvalidInput(f"{where}: unknown field {name.strip()!r}; use one of {', '.join(sorted(FIELDS))}")
    return value
