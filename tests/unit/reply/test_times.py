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


UTC = ZoneInfo("UTC")
KOLKATA = ZoneInfo("Asia/Kolkata")


def _utc(text: str, tz: str, now: datetime) -> list[tuple[datetime, datetime]]:
    return [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in _slots(text, tz=tz, now=now)]


def test_new_york_dst_week_moves_the_utc_hour() -> None:
    friday = datetime(2024, 3, 8, 9, tzinfo=NY)  # EST; the clocks go forward on Sunday 10 March
    assert _utc("Monday at 10am ET works", "America/Los_Angeles", friday) == [
        (datetime(2024, 3, 11, 14, tzinfo=UTC), datetime(2024, 3, 11, 14, 30, tzinfo=UTC))
    ]
    assert _utc("or Friday at 10am ET", "America/New_York", datetime(2024, 3, 6, 9, tzinfo=NY)) == [
        (datetime(2024, 3, 8, 15, tzinfo=UTC), datetime(2024, 3, 8, 15, 30, tzinfo=UTC))
    ]


def test_london_dst_week_reads_each_day_in_its_own_offset() -> None:
    thursday = datetime(2024, 3, 28, 9, tzinfo=LONDON)  # GMT; BST starts on Sunday 31 March
    assert _utc("Friday at 9 or Tuesday 2-3pm", "Europe/London", thursday) == [
        (datetime(2024, 3, 29, 9, tzinfo=UTC), datetime(2024, 3, 29, 9, 30, tzinfo=UTC)),
        (datetime(2024, 4, 2, 13, tzinfo=UTC), datetime(2024, 4, 2, 14, tzinfo=UTC)),
    ]


def test_kolkata_half_hour_offset_from_zone_name_and_abbreviation() -> None:
    now = datetime(2024, 3, 28, 9, tzinfo=LONDON)
    expected = [(datetime(2024, 3, 29, 10, tzinfo=UTC), datetime(2024, 3, 29, 10, 30, tzinfo=UTC))]
    assert _utc("tomorrow at 3:30pm IST", "Europe/London", now) == expected
    assert _utc("tomorrow at 3:30pm", "Asia/Kolkata", now) == expected


def test_friday_night_in_new_york_is_saturday_for_a_lead_in_kolkata() -> None:
    late_friday = datetime(2024, 5, 10, 22, tzinfo=NY)  # Saturday 07:30 in Kolkata
    assert _slots("tomorrow at 11am?", tz="Asia/Kolkata", now=late_friday) == [
        (datetime(2024, 5, 12, 11, tzinfo=KOLKATA), datetime(2024, 5, 12, 11, 30, tzinfo=KOLKATA))
    ]
    assert _slots("Monday morning works", tz="Asia/Kolkata", now=late_friday) == [
        (datetime(2024, 5, 13, 9, tzinfo=KOLKATA), datetime(2024, 5, 13, 12, tzinfo=KOLKATA))
    ]
    # The same words from a lead in New York still mean Saturday.
    assert _slots("tomorrow at 11am?", tz="America/New_York", now=late_friday)[0][0].date().day == 11


def test_fixed_utc_offset_in_the_text() -> None:
    ((start, _),) = _slots("3pm UTC+2 on Friday")
    assert start.utcoffset() is not None and start.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert (start.day, start.hour) == (8, 15)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Thursday between 2 and 4 works", datetime(2024, 3, 7, 14), datetime(2024, 3, 7, 16)),
        ("I'm free Monday 10-4", datetime(2024, 3, 11, 10), datetime(2024, 3, 11, 16)),
        ("how about the 3rd at 11am?", datetime(2024, 4, 3, 11), datetime(2024, 4, 3, 11, 30)),
        ("Friday the 15th at 2pm", datetime(2024, 3, 15, 14), datetime(2024, 3, 15, 14, 30)),
        ("late afternoon on Thursday", datetime(2024, 3, 7, 15), datetime(2024, 3, 7, 17)),
        ("after lunch tomorrow", datetime(2024, 3, 7, 14), datetime(2024, 3, 7, 17)),
        ("half past two on Friday", datetime(2024, 3, 8, 14, 30), datetime(2024, 3, 8, 15)),
        ("next Tuesday at five thirty", datetime(2024, 3, 12, 17, 30), datetime(2024, 3, 12, 18)),
        ("Tuesday of next week at 11", datetime(2024, 3, 12, 11), datetime(2024, 3, 12, 11, 30)),
        ("next week on Thursday at 4pm", datetime(2024, 3, 14, 16), datetime(2024, 3, 14, 16, 30)),
        ("Friday at 3pm or later", datetime(2024, 3, 8, 15), datetime(2024, 3, 8, 17)),
        ("in two weeks", datetime(2024, 3, 20, 9), datetime(2024, 3, 20, 17)),
        ("quarta-feira às 10h", datetime(2024, 3, 6, 10), datetime(2024, 3, 6, 10, 30)),
        ("jeudi 14h30", datetime(2024, 3, 7, 14, 30), datetime(2024, 3, 7, 15)),
        ("el martes a las 10", datetime(2024, 3, 12, 10), datetime(2024, 3, 12, 10, 30)),
        ("le 12 mars à 9h", datetime(2024, 3, 12, 9), datetime(2024, 3, 12, 9, 30)),
    ],
)
def test_meeting_phrases(text: str, start: datetime, end: datetime) -> None:
    assert _slots(text) == [(start.replace(tzinfo=LONDON), end.replace(tzinfo=LONDON))]


def test_mornings_early_next_week_are_monday_to_wednesday() -> None:
    slots = _slots("any morning early next week")
    assert [(s.day, s.hour, e.hour) for s, e in slots] == [(11, 9, 12), (12, 9, 12), (13, 9, 12)]


@pytest.mark.parametrize(
    "text",
    [
        "At one point we tried a CRM",
        "The first step is a demo",
        "We are 5 to 6 people",
        "Our 24th office opened",
    ],
)
def test_no_false_times_from_number_words(text: str) -> None:
    assert _slots(text) == []


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("later this week", "daterange", {"start": "2016-11-10", "end": "2016-11-14"}),
        ("at the end of the month", "daterange", {"start": "2016-11-16", "end": "2016-12-01"}),
        ("the week of the 21st", "daterange", {"start": "2016-11-21", "end": "2016-11-28"}),
        ("week 47", "daterange", {"start": "2016-11-21", "end": "2016-11-28"}),
        ("over the next 3 business days", "daterange", {"start": "2016-11-08", "end": "2016-11-11"}),
        ("the past two quarters", "daterange", {"start": "2016-04-01", "end": "2016-10-01"}),
        ("from Nov 28 to Dec 2", "daterange", {"start": "2016-11-28", "end": "2016-12-02"}),
        ("Dec 19 - Jan 6", "daterange", {"start": "2016-12-19", "end": "2017-01-06"}),
        ("from next Monday to Friday", "daterange", {"start": "2016-11-14", "end": "2016-11-18"}),
        ("by the end of next month", "daterange", {"end": "2017-01-01"}),
        ("on Thursday the 17th", "date", {"value": "2016-11-17"}),
        ("on the second of December", "date", {"value": "2016-12-02"}),
        ("quarter to four", "time", {"value": "15:45:00"}),
        ("this afternoon", "datetimerange", {"start": "2016-11-07 12:00:00", "end": "2016-11-07 16:00:00"}),
        ("Monday 11-3", "datetimerange", {"start": "2016-11-14 11:00:00", "end": "2016-11-14 15:00:00"}),
        ("before lunch", "timerange", {"end": "11:00:00"}),
    ],
)
def test_resolve_meeting_expressions(text: str, kind: str, expected: dict[str, str]) -> None:
    found = resolve_datetime_expressions(text, datetime(2016, 11, 7))  # a Monday
    assert any(item["type"] == kind and expected in item["values"] for item in found), found


@pytest.mark.skipif(not EVAL_ROOT.is_dir(), reason="shared eval data not present")
def test_recognizers_eval_floor() -> None:
    from leadflow.reply.time_eval import eval_datetime

    scores = eval_datetime(EVAL_ROOT)
    print({k: v["accuracy"] for k, v in scores.items()})
    assert scores["date"]["accuracy"] >= 0.62
    assert scores["datetime"]["accuracy"] >= 0.80
    assert scores["daterange"]["accuracy"] >= 0.52
    assert scores["datetimerange"]["accuracy"] >= 0.62
    assert scores["timerange"]["accuracy"] >= 0.65
    assert scores["all"]["accuracy"] >= 0.58
    assert scores["all"]["sentences"] > 800
