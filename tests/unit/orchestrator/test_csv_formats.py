"""CSV exports people have: Apollo (a realistic 20-row export), HubSpot, Salesforce and Sales
Navigator recognised by their headers; their ids as source ids; websites as domains; time zones
derived from the place or the phone; the same file again, or into another campaign (--move)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.agents.sequencing import plan_send
from leadflow.domain.events import EventType
from leadflow.domain.models import Campaign, LeadState
from leadflow.domain.timezones import common_hours, country_zones, guess_zone, lead_zones
from leadflow.exceptions import InvalidInput
from leadflow.orchestrator.clock import SystemClock
from leadflow.orchestrator.csv_formats import (
    APOLLO,
    GENERIC,
    HUBSPOT,
    SALESFORCE,
    SALESNAV,
    detect,
    hubspot,
    read_map,
    salesforce,
    salesnav,
    website_domain,
)
from leadflow.orchestrator.csv_import import import_csv
from leadflow.orchestrator.intake import Intake
from leadflow.state import MemoryStore

WS = "ws"
APOLLO_CSV = Path(__file__).resolve().parents[2] / "data" / "apollo_export.csv"
MONDAY_0830_UTC = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 02:30 in Chicago


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    for name in ("spring", "summer"):
        s.save_campaign(WS, Campaign(name=name))
    return s


@pytest.fixture
def intake(store: MemoryStore) -> Intake:
    return Intake(store=store, clock=SystemClock())


def rows() -> list[dict[str, str]]:
    with APOLLO_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def by_source_id(store: MemoryStore) -> dict[str, LeadState]:
    return {s.lead.source_lead_id or "": s for s in store.list_leads(WS)}


def test_the_apollo_fixture_is_a_real_export() -> None:
    with APOLLO_CSV.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header[:6] == ["First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email"]
    assert "Apollo Contact Id" in header and "# Employees" in header and len(rows()) == 20
    assert sum(1 for r in rows() if not r["Email"]) == 1


def test_an_apollo_export_imports_with_its_ids_domains_and_zones(intake: Intake, store: MemoryStore) -> None:
    report = import_csv(intake, store, WS, "spring", APOLLO_CSV)
    assert (report.format, report.created, report.duplicates, report.rejected) == ("Apollo", 20, 0, [])
    leads = by_source_id(store)
    assert set(leads) == {r["Apollo Contact Id"] for r in rows()}  # every row, the one without an e-mail too
    zones: dict[str, tuple[str | None, str]] = {}
    for r in rows():
        lead = leads[r["Apollo Contact Id"]].lead
        assert lead.source == "apollo"
        assert lead.company_domain is not None and "/" not in lead.company_domain
        assert not lead.company_domain.startswith("www.") and lead.company_domain == lead.company_domain.lower()
        zones[r["Last Name"]] = (lead.timezone, lead.attributes["timezone_source"])
    assert leads[rows()[0]["Apollo Contact Id"]].lead.company_domain == "acmelogistics.example"  # from https://www.AcmeLogistics.example/about?x=1
    assert zones["Lee"] == ("America/Chicago", "city")
    assert zones["Clarke"] == ("Europe/London", "city")
    assert zones["Nguyen"] == ("America/Chicago", "city")
    assert zones["Brown"] == ("Australia/Sydney", "city")
    assert zones["Schmidt"] == ("Europe/Berlin", "city")
    assert zones["Hoffmann"] == ("Europe/Berlin", "country")  # no city; Germany has one zone
    assert zones["Khan"] == ("Australia/Sydney", "phone")  # nothing but a +61 2 number
    assert zones["Moore"] == (None, "unknown")  # United States, no city: several zones
    assert zones["Garcia"] == (None, "unknown")  # nothing at all
    tom = next(s.lead for s in leads.values() if s.lead.last_name == "Reed")
    assert tom.email is None and tom.timezone == "America/Chicago"
    ann = next(s.lead for s in leads.values() if s.lead.last_name == "Lee")
    assert ann.phone == "+13125550101" and ann.attributes["owner"] == "rep@seller.example"
    assert ann.attributes["linkedin_url"] == "http://www.linkedin.com/in/ann-lee"
    finn = next(s.lead for s in leads.values() if s.lead.last_name == "Walsh")
    assert finn.phone == "+442079460106"  # a national number read in the row's country


def test_the_chicago_leads_first_touch_is_planned_in_chicago_business_hours(
    intake: Intake, store: MemoryStore
) -> None:
    import_csv(intake, store, WS, "spring", APOLLO_CSV)
    ann = next(s for s in store.list_leads(WS) if s.lead.last_name == "Lee")
    campaign = store.get_campaign(WS, "spring")
    plan = plan_send(now=MONDAY_0830_UTC, campaign=campaign, recipient_tz=ann.lead.timezone,
                     recipient_zones=lead_zones(ann.lead), lead_key=ann.lead_id)
    local = plan.at.astimezone(ZoneInfo("America/Chicago"))
    assert time(9) <= local.time() < time(17) and local.weekday() < 5
    assert plan.at > MONDAY_0830_UTC  # not at 02:30 Chicago time, as before


def test_an_unknown_zone_sends_only_in_hours_common_to_the_countrys_zones(
    intake: Intake, store: MemoryStore
) -> None:
    import_csv(intake, store, WS, "spring", APOLLO_CSV)
    quinn = next(s for s in store.list_leads(WS) if s.lead.last_name == "Moore").lead
    assert quinn.timezone is None and set(lead_zones(quinn)) >= {"America/New_York", "America/Los_Angeles"}
    campaign = store.get_campaign(WS, "spring")
    plan = plan_send(now=MONDAY_0830_UTC, campaign=campaign, recipient_tz=None, recipient_zones=lead_zones(quinn))
    for name in ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"):
        local = plan.at.astimezone(ZoneInfo(name))
        assert time(9) <= local.time() < time(17), (name, local)
    assert common_hours(country_zones("US"), time(9), time(17), at=MONDAY_0830_UTC) == (
        "America/New_York", time(12), time(17))


def test_a_phone_with_several_zones_keeps_them_for_the_send_window(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    path = write(tmp_path, ("First Name", "Phone"), {"First Name": "Wes", "Phone": "+61 8 9225 0119"})
    report = import_csv(intake, store, WS, "spring", path)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert (lead.timezone, lead.attributes["timezone_source"]) == (None, "unknown")
    assert lead_zones(lead) == ("Australia/Adelaide", "Australia/Perth")
    plan = plan_send(now=MONDAY_0830_UTC, campaign=Campaign(name="c"), recipient_tz=None,
                     recipient_zones=lead_zones(lead))
    for name in lead_zones(lead):
        assert time(9) <= plan.at.astimezone(ZoneInfo(name)).time() < time(17)


def test_nothing_known_uses_the_reps_zone_when_the_campaign_names_one() -> None:
    campaign = Campaign(name="c", settings={"rep_timezone": "America/Chicago"})
    plan = plan_send(now=MONDAY_0830_UTC, campaign=campaign, recipient_tz=None)
    assert plan.at.astimezone(ZoneInfo("America/Chicago")).time() == time(9)
    utc = plan_send(now=MONDAY_0830_UTC, campaign=Campaign(name="c"), recipient_tz=None)
    assert utc.at.time() == time(9)  # with nothing at all, the window in UTC, as before


def test_the_same_file_twice_creates_nothing_and_says_so(intake: Intake, store: MemoryStore) -> None:
    first = import_csv(intake, store, WS, "spring", APOLLO_CSV)
    again = import_csv(intake, store, WS, "spring", APOLLO_CSV)
    assert (again.created, again.duplicates, again.elsewhere, again.moved) == (0, 20, {}, 0)
    assert "20 already known" in again.summary() and again.summary().startswith("Apollo export:")
    assert again.lead_ids == first.lead_ids and len(store.list_leads(WS)) == 20


def test_into_a_second_campaign_it_says_where_they_are_and_move_moves_them(
    intake: Intake, store: MemoryStore
) -> None:
    import_csv(intake, store, WS, "spring", APOLLO_CSV)
    other = import_csv(intake, store, WS, "summer", APOLLO_CSV)
    assert (other.created, other.duplicates, other.elsewhere) == (0, 0, {"spring": 20})
    assert "20 already in campaign 'spring'" in other.summary()
    assert {s.campaign for s in store.list_leads(WS)} == {"spring"}  # left where they were
    moved = import_csv(intake, store, WS, "summer", APOLLO_CSV, move=True)
    assert (moved.created, moved.moved, moved.moved_from, moved.elsewhere) == (0, 20, {"spring": 20}, {})
    assert "20 moved from campaign 'spring'" in moved.summary()
    assert other.rows == moved.rows == 20  # every row counted once
    assert {s.campaign for s in store.list_leads(WS)} == {"summer"} and len(store.list_leads(WS)) == 20
    lead_id = moved.lead_ids[0]
    events = [e for e in store.lead_events(WS, lead_id) if e.type == EventType.LEAD_MOVED]
    assert [(e.payload["from"], e.payload["to"]) for e in events] == [("spring", "summer")]
    assert not any(i.event.type == EventType.LEAD_MOVED for i in store.inbox(limit=1000))  # recorded, not routed
    assert import_csv(intake, store, WS, "summer", APOLLO_CSV).duplicates == 20  # now known here


def test_move_to_the_campaign_it_is_in_changes_nothing(intake: Intake, store: MemoryStore) -> None:
    report = import_csv(intake, store, WS, "spring", APOLLO_CSV)
    state = store.get_lead(WS, report.lead_ids[0])
    assert intake.move_lead(WS, state.lead_id, "spring").version == state.version


def write(tmp_path: Path, header: tuple[str, ...], *row: dict[str, str]) -> Path:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="")
        w.writeheader()
        w.writerows(row)
    return path


def test_hubspot_export_detected(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    path = write(tmp_path, hubspot.HEADERS, {
        "Record ID": "51234", "First Name": "Ann", "Last Name": "Lee", "Email": "ann@acme.example",
        "Phone Number": "+1 415 555 0100", "Job Title": "CTO", "Company Name": "Acme",
        "Website URL": "https://www.acme.example/", "City": "Austin", "State/Region": "Texas",
        "Country/Region": "United States", "Time Zone": "US/Eastern-ish", "Contact owner": "Sam Rep",
    })
    assert detect(hubspot.HEADERS) is HUBSPOT
    report = import_csv(intake, store, WS, "spring", path)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert report.format == "HubSpot" and report.rejected == []
    assert (lead.source, lead.source_lead_id, lead.company_domain) == ("hubspot", "51234", "acme.example")
    assert (lead.timezone, lead.attributes["timezone_source"]) == ("America/Chicago", "city")
    assert lead.attributes["timezone_given"] == "US/Eastern-ish" and lead.attributes["owner"] == "Sam Rep"


def test_salesforce_leads_and_contacts_reports_detected(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    assert detect(salesforce.LEAD_HEADERS) is SALESFORCE and detect(salesforce.CONTACT_HEADERS) is SALESFORCE
    path = write(tmp_path, salesforce.CONTACT_HEADERS, {
        "Contact ID": "0035g00000XyZaQ", "First Name": "Eve", "Last Name": "Clarke", "Account Name": "Ledger",
        "Email": "eve@ledger.example", "Website": "ledger.example/en", "Mailing City": "London",
        "Mailing Country": "UK", "Lead Source": "Web",
    })
    report = import_csv(intake, store, WS, "spring", path)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert report.format == "Salesforce"
    assert (lead.source, lead.source_lead_id, lead.company) == ("salesforce", "0035g00000XyZaQ", "Ledger")
    assert lead.company_domain == "ledger.example" and lead.timezone == "Europe/London"
    assert lead.attributes["lead_source"] == "Web"  # Salesforce's field, not the lead's source


def test_sales_navigator_export_detected(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    assert detect(salesnav.HEADERS) is SALESNAV
    path = write(tmp_path, salesnav.HEADERS, {
        "Full Name": "Lena Schmidt", "Job Title": "Head of Sales", "Company Name": "Spree",
        "Company Website": "https://spree.example", "Location": "Berlin, Berlin, Germany",
        "LinkedIn Profile URL": "https://www.linkedin.com/in/lena-schmidt",
        "Sales Navigator Profile URL": "https://www.linkedin.com/sales/lead/ACwAAB12xyz,NAME_SEARCH,ab1C",
    })
    report = import_csv(intake, store, WS, "spring", path)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert report.format == "LinkedIn Sales Navigator" and report.rejected == []
    assert (lead.first_name, lead.last_name, lead.source, lead.source_lead_id) == (
        "Lena", "Schmidt", "salesnav", "ACwAAB12xyz")
    assert (lead.timezone, lead.attributes["city"], lead.attributes["country"]) == ("Europe/Berlin", "Berlin", "Germany")


def test_a_plain_csv_stays_generic_and_map_names_the_rest(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    header = ("Given", "Mail", "Cell", "Org Site", "Nation")
    assert detect(header) is GENERIC and detect(("First Name", "Email", "Company")) is GENERIC
    path = write(tmp_path, header, {"Given": "Bo", "Mail": "bo@x.example", "Cell": "0170 1234567",
                                    "Org Site": "https://www.x.example/", "Nation": "Germany"})
    mapping = read_map(["Given=first_name", "Cell=phone", "Org Site=company_domain", "Nation=country"])
    report = import_csv(intake, store, WS, "spring", path, mapping=mapping)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert report.format == "generic CSV" and report.created == 1
    assert (lead.first_name, lead.email, lead.phone, lead.company_domain) == (
        "Bo", "bo@x.example", "+491701234567", "x.example")
    assert lead.timezone == "Europe/Berlin"
    with pytest.raises(InvalidInput, match="unknown field 'telephone'"):
        read_map(["Cell=telephone"])
    with pytest.raises(InvalidInput, match="COLUMN=field"):
        read_map(["phone"])


def test_map_file(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("Cell: phone\nSkip me: ignore\n", encoding="utf-8")
    assert read_map(["Extra=owner"], path) == {"cell": "phone", "skip_me": "ignore", "extra": "owner"}


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.co.uk/", "acme.co.uk"),
        ("http://ACME.com:8080", "acme.com"),
        ("ann@acme.com", "acme.com"),
        ("not a website", None),
        ("", None),
    ],
)
def test_website_domain(value: str, domain: str | None) -> None:
    assert website_domain(value) == domain


def test_guess_zone_by_region_and_country() -> None:
    assert guess_zone(city="Paris", country="France") == ("Europe/Paris", "city")
    assert guess_zone(city="Paris", region="Texas", country="United States") == ("America/Chicago", "city")
    assert guess_zone(country="United States") == (None, "unknown")
    assert guess_zone(phone="+49 30 901820") == ("Europe/Berlin", "phone")
    assert APOLLO.score({"apollo_contact_id"}) == 0  # one marker is not enough


def test_the_dispatcher_holds_a_due_send_to_the_chicago_lead_and_the_us_lead_until_their_hours() -> None:
    from leadflow.domain.actions import ActionKind, OutboundAction
    from leadflow.integrations.channels import TranscriptChannel
    from leadflow.orchestrator.clock import FixedClock
    from leadflow.orchestrator.dispatcher import Dispatcher
    from leadflow.state.records import Commit

    store = MemoryStore()
    store.save_campaign(WS, Campaign(name="spring"))
    clock = FixedClock(MONDAY_0830_UTC)
    import_csv(Intake(store=store, clock=clock), store, WS, "spring", APOLLO_CSV)
    leads = {s.lead.last_name: s for s in store.list_leads(WS)}
    for name in ("Lee", "Moore"):
        state = leads[name]
        action = OutboundAction(kind=ActionKind.SEND_EMAIL, idempotency_key=f"{state.lead_id}:first",
                                to=str(state.lead.email), body="hello", payload={})
        store.apply([Commit(WS, state.lead_id, actions=[action], at=clock.now())])
    channel = TranscriptChannel()
    Dispatcher(store=store, channels={ActionKind.SEND_EMAIL: channel}, clock=clock, max_attempts=1).dispatch()
    held = {name: store.actions_for(WS, leads[name].lead_id)[0] for name in ("Lee", "Moore")}
    assert {r.status for r in held.values()} == {"pending"}  # nothing went at 02:30 Chicago time
    chicago = held["Lee"].action.not_before
    assert chicago is not None and chicago.astimezone(ZoneInfo("America/Chicago")).time() == time(9)
    us = held["Moore"].action.not_before
    assert us is not None and us.astimezone(ZoneInfo("America/New_York")).time() == time(12)  # 09:00 Pacific


def test_a_crms_spelling_of_a_zone_is_read_as_the_iana_name(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    path = write(tmp_path, hubspot.HEADERS, {"Record ID": "1", "First Name": "Ann", "Time Zone": "america_slash_new_york",
                                             "City": "Berlin", "Country/Region": "Germany"})
    lead = store.get_lead(WS, import_csv(intake, store, WS, "spring", path).lead_ids[0]).lead
    assert (lead.timezone, lead.attributes["timezone_source"]) == ("America/New_York", "csv")  # given wins


@pytest.mark.parametrize(
    ("location", "place"),
    [
        ("Chicago, Illinois, United States", {"city": "Chicago", "region": "Illinois", "country": "United States"}),
        ("London, United Kingdom", {"city": "London", "country": "United Kingdom"}),
        ("Germany", {"country": "Germany"}),
        ("Greater Chicago Area", {"city": "Chicago"}),
    ],
)
def test_split_location(location: str, place: dict[str, str]) -> None:
    from leadflow.orchestrator.csv_formats import split_location

    assert split_location(location) == place


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_website_domain_and_guess_zone_take_any_text(value: str) -> None:
    domain = website_domain(value)
    assert domain is None or ("/" not in domain and domain == domain.lower() and not domain.startswith("www."))
    zone_name, source = guess_zone(city=value, region=value, country=value, phone=value)
    assert source in {"city", "country", "phone", "unknown"} and (zone_name is None) == (source == "unknown")
