"""Proposed meeting times and date/time resolution."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow.exceptions import InvalidInput
from leadflow.reply import TimeRange, extract_proposed_times, resolve_datetime_expressions

LONDON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 6, 10, 0, tzinfo=LONDON)  # a Wednesday
EVAL_ROOT = Path(__file__).resolve().parents[4] / "shared" / "eval"


def _slots(text: str, tz: str = "Europe/London", now: datetime = NOW) -> list[tuple[datetime, datetime]]:
    return [(r.start, r.end) for r in extract_proposed_times(text, now=now, tz=tz)]


def test_weekday_at_time_is_a_half_hour_slot() -> None:
    assert _slots("Tuesday at 3pm works") == [
        (datetime(2024, 3, 12, 15, 0, tzinfo=LONDON), datetime(2024, 3, 12, 15, 30, tzinfo=LONDON))
    ]


def test_any_morning_next_week_after_nine_eastern_spans_the_dst_change() -> None:
    slots = _slots("any morning next week after 9 ET")
    assert len(slots) == 5
    assert slots[0] == (datetime(2024, 3, 11, 9, tzinfo=NY), datetime(2024, 3, 11, 12, tzinfo=NY))
    # 10 March 2024 is the US switch to EDT: UTC-4, not UTC-5.
    assert slots[0][0].utcoffset() is not None and slots[0][0].utcoffset().total_seconds() == -4 * 3600  # type: ignore[union-attr]
    assert [s[0].weekday() for s in slots] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tomorrow 10:30", datetime(2024, 3, 7, 10, 30), datetime(2024, 3, 7, 11, 0)),
        ("Thu 2-3pm", datetime(2024, 3, 7, 14), datetime(2024, 3, 7, 15)),
        ("next Friday afternoon", datetime(2024, 3, 15, 13), datetime(2024, 3, 15, 17)),
        ("15 March at 14:00", datetime(2024, 3, 15, 14), datetime(2024, 3, 15, 14, 30)),
        ("Dienstag um 15 Uhr", datetime(2024, 3, 12, 15), datetime(2024, 3, 12, 15, 30)),
        ("mardi à 15h", datetime(2024, 3, 12, 15), datetime(2024, 3, 12, 15, 30)),
        ("el jueves a las 11", datetime(2024, 3, 7, 11), datetime(2024, 3, 7, 11, 30)),
    ],
)
def test_forms_in_the_leads_zone(text: str, start: datetime, end: datetime) -> None:
    assert _slots(text) == [(start.replace(tzinfo=LONDON), end.replace(tzinfo=LONDON))]


def test_named_zone_wins_over_the_leads_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert _slots("how about 4pm CET on Wednesday", tz="America/Chicago") == [
        (datetime(2024, 3, 6, 16, tzinfo=berlin), datetime(2024, 3, 6, 16, 30, tzinfo=berlin))
    ]


@pytest.mark.parametrize("abbr", ["ET", "EST", "EDT", "PT", "CT", "MT", "CET", "CEST", "GMT", "UTC", "BST"])
def test_zone_abbreviations(abbr: str) -> None:
    slots = _slots(f"Friday at 11am {abbr}")
    assert len(slots) == 1 and slots[0][0].tzinfo is not None
    assert slots[0][0].hour == 11


def test_bst_in_summer_is_utc_plus_one() -> None:
    summer = datetime(2024, 7, 1, 9, tzinfo=LONDON)
    ((start, _),) = _slots("Tuesday at 10am BST", now=summer)
    assert start.utcoffset() is not None and start.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]


def test_time_alone_is_the_next_such_time() -> None:
    assert _slots("4pm works for me") == [
        (datetime(2024, 3, 6, 16, tzinfo=LONDON), datetime(2024, 3, 6, 16, 30, tzinfo=LONDON))
    ]
    assert _slots("9am works for me")[0][0].date().day == 7


@pytest.mark.parametrize(
    "text", ["We have 5 people on the team", "Call me at 555-1234", "Version 2.5 is out", "Not interested"]
)
def test_no_false_times(text: str) -> None:
    assert _slots(text) == []


def test_unknown_zone_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        extract_proposed_times("Tuesday at 3pm", now=NOW, tz="Mars/Olympus")


def test_time_range_requires_aware_ordered_datetimes() -> None:
    with pytest.raises(ValueError):
        TimeRange(start=datetime(2024, 1, 1, 10), end=datetime(2024, 1, 1, 11))


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("I'll go back tomorrow 8:00am", "datetime", {"value": "2016-11-08 08:00:00"}),
        ("I'll go back today", "date", {"value": "2016-11-07"}),
        ("meet me next month", "daterange", {"start": "2016-12-01", "end": "2017-01-01"}),
        ("between 2:20 to 3pm", "timerange", {"start": "14:20:00", "end": "15:00:00"}),
    ],
)
def test_resolve_datetime_expressions(text: str, kind: str, expected: dict[str, str]) -> None:
    found = resolve_datetime_expressions(text, datetime(2016, 11, 7))
    assert any(item["type"] == kind and expected in item["values"] for item in found)


@pytest.mark.skipif(not EVAL_ROOT.is_dir(), reason="shared eval data not present")
def test_recognizers_eval_floor() -> None:
    from leadflow.reply.time_eval import eval_datetime

    scores = eval_datetime(EVAL_ROOT)
    print({k: v["accuracy"] for k, v in scores.items()})
    assert scores["date"]["accuracy"] >= 0.45
    assert scores["datetime"]["accuracy"] >= 0.55
    assert scores["daterange"]["accuracy"] >= 0.28
    assert scores["all"]["accuracy"] >= 0.35
    assert scores["all"]["sentences"] > 800
