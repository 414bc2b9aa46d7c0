"""The campaign file: bad files are refused naming the key and line; the example applies; the
JSON Schema is the model's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leadflow.campaigns import CampaignFile, CampaignFileError, json_schema, load_text, to_campaign
from leadflow.domain.models import Channel

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")


def edit(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, f"the example changed: {old!r}"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The (last) line, not a comment, that holds ``needle``."""
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line and not line.lstrip().startswith("#")][-1]


# (what is wrong, the file, the key the error names, a line holding it, words of the message)
BAD: list[tuple[str, str, str, str, str]] = [
    ("a typo'd key", edit("sending:\n", "sendng:\n"), "sendng", "sendng:", "unknown key"),
    ("a nested typo", edit("  domain_hourly_cap: 5", "  domain_hourly_cpa: 5"),
     "sending.domain_hourly_cpa", "domain_hourly_cpa", "unknown key"),
    ("9am", edit('window: {start: "08:30", end: "17:00"}', "window: {start: '9am', end: \"17:00\"}"),
     "sending.window.start", "window: {start: '9am'", "HH:MM"),
    ("a window that ends before it starts", edit('window: {start: "08:30", end: "17:00"}',
     'window: {start: "18:00", end: "17:00"}'), "sending.window.end", "window: {start: \"18:00\"", "end after it starts"),
    ("rep hours backwards", edit('hours: {start: "09:00", end: "16:30"', 'hours: {start: "17:00", end: "16:30"'),
     "rep.hours.end", "hours: {start: \"17:00\"", "end after they start"),
    ("an unknown time zone", edit("timezone: America/Los_Angeles", "timezone: Pacific/Springfield"),
     "rep.timezone", "timezone:", "unknown time zone"),
    ("a bad sender address", edit("address: leo.park@brightline.example", "address: leo.park-at-brightline"),
     "senders[1].address", "leo.park-at-brightline", "not an e-mail address"),
    ("two senders with one address", edit("address: leo.park@brightline.example", "address: maya.chen@brightline.example"),
     "senders[1].address", "- address: maya.chen@", "also senders[0]"),
    ("a zero daily cap", edit("daily_cap: 30", "daily_cap: 0"), "senders[1].daily_cap", "daily_cap: 0", "greater than 0"),
    ("a sender without a postal address", edit("    postal_address: 500 Howard Street, Suite 300, San Francisco, CA 94105\n"
     "\n# The rep", "\n# The rep"), "senders[1].postal_address", "- address: leo.park", "Field required"),
    ("an e-mail campaign with no sender", re.sub(r"senders:\n(  .*\n|    .*\n)+", "", TEXT), "senders", None, "at least one sender"),
    ("an unknown pack", edit("pack: b2b_saas", "pack: b2b_sass"), "qualification.pack", "pack: b2b_sass", "no industry pack"),
    ("an unknown template variable", edit("Hi {first_name},", "Hi {firstname},"), "sequence[0].body", "body: |",
     "unknown template variable {firstname}"),
    ("a delay that does not parse", edit("after: 7 days", "after: next week"), "sequence[2].after", "after: next week",
     "not a delay"),
    ("a first follow-up sooner than the first touch's wait", edit("after: 3 days", "after: 1 day"),
     "sequence[1].after", "after: 1 day", "no sooner than 3 days"),
    ("a step on a channel the campaign does not use", edit("  - after: 14 days\n    channel: email", "  - after: 14 days\n    channel: sms"),
     "sequence[3].channel", "channel: sms", "not one of the campaign's channels"),
    ("a holiday that is not a date", edit("holidays: [2026-12-24,", "holidays: [Christmas Eve,"),
     "sending.holidays[0]", "holidays: [Christmas", "date"),
    ("a weekday spelled out", edit("days: [mon, tue, wed, thu, fri]\n  preferred", "days: [monday, tue, wed, thu, fri]\n  preferred"),
     "sending.days[0]", "days: [monday", "'mon'"),
    ("tiers in the wrong order", edit("tiers: {a: 0.75, b: 0.45}", "tiers: {a: 0.4, b: 0.45}"), "icp.tiers.a", "tiers: {a: 0.4",
     "must be above tier B"),
    ("a company size min above max", edit("company_size: {min: 50, max: 2000}", "company_size: {min: 5000, max: 2000}"),
     "icp.company_size.min", "company_size: {min: 5000", "above max"),
    ("a key given twice", edit("autonomy: review_first_touch", "autonomy: review_first_touch\nautonomy: autopilot"),
     "autonomy", "autonomy: autopilot", "given twice"),
    ("an unknown autonomy mode", edit("autonomy: review_first_touch", "autonomy: yolo"), "autonomy", "autonomy: yolo",
     "autopilot"),
    ("an escalation rule with an unknown check", edit("check: enterprise", "check: enterprize"),
     "escalation.rules[0].check", "check: enterprize", "enterprise"),
    ("a missing offer", re.sub(r"offer:\n(  .*\n|    .*\n)+", "", TEXT), "offer", None, "Field required"),
    ("a scoring rule that does not parse", edit("qualification:\n  pack: b2b_saas",
     "qualification:\n  questions:\n    - {key: seats, type: number, ask: 'How many seats?'}\n  scoring:\n    hot: [seats is big]"),
     "qualification.scoring.hot[0]", "hot: [seats is big]", "not a scoring rule"),
]


@pytest.mark.parametrize(("what", "text", "key", "near", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_naming_the_key_and_line(what: str, text: str, key: str, near: str | None, words: str) -> None:
    with pytest.raises(CampaignFileError) as caught:
        load_text(text, origin="campaign.yaml")
    details = caught.value.details
    hits = [d for d in details if d["field"] == key]
    assert hits, f"{what}: no error names {key}: {details}"
    assert words in str(hits[0]["message"]), hits
    line = hits[0]["line"]
    assert isinstance(line, int)
    if near is not None:
        assert line == line_of(text, near), f"{what}: line {line}, want the line of {near!r}"
    assert f"campaign.yaml:{line}: {key}: " in str(caught.value)  # the message a user reads


def test_at_least_fifteen_kinds_of_bad_file() -> None:
    assert len({b[0] for b in BAD}) >= 15


def test_yaml_that_does_not_parse_names_its_line() -> None:
    text = edit("channels: [email]", "channels: [email")
    with pytest.raises(CampaignFileError) as caught:
        load_text(text, origin="c.yaml")
    assert caught.value.details[0]["line"] is not None
    assert "not valid YAML" in str(caught.value)


def test_the_example_maps_onto_the_settings_the_agents_read() -> None:
    campaign = to_campaign(load_text(TEXT))
    assert campaign.name == "pipeline-pilot" and campaign.autonomy == "review_first_touch"
    assert [str(s.email) for s in campaign.senders] == ["maya.chen@brightline.example", "leo.park@brightline.example"]
    assert campaign.senders[0].postal_address.startswith("500 Howard Street")
    sending = campaign.settings["sending"]
    assert (sending["start"], sending["allowed_days"], sending["preferred_days"]) == ("08:30", [0, 1, 2, 3, 4], [1, 2, 3])
    assert campaign.settings["tier_thresholds"] == [0.75, 0.45]
    assert campaign.settings["rep_timezone"] == "America/Los_Angeles"
    assert campaign.settings["nurture"] == [[0, "email"], [7, "email"], [21, "email"]]
    assert campaign.ideal_customer_profile["min_team_size"] == 50 and "chief" in campaign.ideal_customer_profile["titles"]
    assert campaign.holidays == ["2026-12-24", "2026-12-25", "2027-01-01"]
    assert campaign.channels == [Channel.EMAIL] and campaign.industry_pack == "b2b_saas" and campaign.pack is None
    from leadflow.agents.sequencing import SendPolicy

    policy = SendPolicy.from_campaign(campaign)  # what failed per lead at run time before, checked on apply
    assert policy.start.hour == 8 and policy.domain_hourly_cap == 5


def test_the_json_schema_is_generated_from_the_model() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(CampaignFile.model_fields)
    assert {"name", "company", "offer", "rep"} <= set(schema["required"])
    json.dumps(schema)  # it is JSON
