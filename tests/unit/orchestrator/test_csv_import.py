"""CSV import: aliases, per-row errors with line numbers, rejects kept verbatim, encodings, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.domain.models import Campaign
from leadflow.exceptions import InvalidInput, NotFound
from leadflow.orchestrator.clock import SystemClock
from leadflow.orchestrator.csv_import import decode, import_csv, normalize_header
from leadflow.orchestrator.intake import Intake
from leadflow.state import MemoryStore

WS, CAMPAIGN = "ws", "spring"


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.save_campaign(WS, Campaign(name=CAMPAIGN))
    return s


@pytest.fixture
def intake(store: MemoryStore) -> Intake:
    return Intake(store=store, clock=SystemClock())


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_aliases_and_extra_columns(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffFirst Name,Last Name,E-mail,Mobile,Company,Job Title,Industry,TZ,ID,Message,"
                           "SMS Consent,Favourite Colour\r\n"
                           "Ann,Lee,ann@acme.com,+1 555 123 4567,Acme,CTO,solar,Europe/Berlin,42,Need a quote,yes,"
                           "blue\r\n")
    report = import_csv(intake, store, WS, CAMPAIGN, path)
    assert (report.created, report.duplicates, report.rejected, report.encoding) == (1, 0, [], "utf-8")
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == ("Ann", "Lee", "ann@acme.com", "+15551234567")
    assert (lead.company, lead.title, lead.industry, lead.timezone) == ("Acme", "CTO", "solar", "Europe/Berlin")
    assert (lead.source, lead.source_lead_id, lead.inquiry) == ("csv", "42", "Need a quote")
    assert lead.consent.sms is True
    assert lead.attributes == {"favourite_colour": "blue", "timezone_source": "csv"}  # the zone was given


def test_bad_rows_are_reported_by_line_and_kept(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    rows = [
        "firstname,email,tz,sms_consent",
        "Ann,ann@acme.com,America/New_York,no",
        ",bob@acme.com,,",                # 3: missing first name
        "Cy,cy-at-acme.com,,",            # 4: invalid email
        "",                               # 5: blank, skipped
        "Di,di@acme.com,Atlantis/Capital,",  # 6: unknown time zone
        "Ed,ed@acme.com,,perhaps",        # 7: wrong type
        'Flo,"flo@acme.com\nstill quoted",,',  # 8-9: a quoted newline (an invalid email)
        "Gus,gus@acme.com,,1",
        'Hal,"hal@acme.com,,',            # 11-13: a stray quote (closed on line 13) hides no row
        "Ida,ida@acme.com,,",
        'Jo",jo@acme.com,,',
    ]
    report = import_csv(intake, store, WS, CAMPAIGN, write(tmp_path, "\n".join(rows) + "\n"))
    assert report.created == 4
    got = {r.line: r.message for r in report.rejected}
    assert sorted(got) == [3, 4, 6, 7, 8, 9, 11]
    assert {store.get_lead(WS, i).lead.first_name for i in report.lead_ids} == {"Ann", "Gus", "Ida", 'Jo"'}
    assert got[3] == "first_name: Field required"
    assert got[4].startswith("email: value is not a valid email address")
    assert "unknown time zone 'Atlantis/Capital'" in got[6]
    assert got[7] == "sms_consent: expected yes/no or true/false, got 'perhaps'"
    # a record over several lines that is rejected is its first line; the lines after it are read again
    assert got[8].endswith("(a quoted field ran from here to line 9; the lines after this one are read again)")
    assert got[9] == "too few cells: the row has 3, the header names 4 columns"
    kept = {r.raw: r.error for r in store.list_rejects(WS)}
    assert set(kept) == {rows[2], rows[3], rows[5], rows[6], *rows[7].split("\n"), rows[9]}
    assert kept[rows[2]].startswith("line 3: ")
    assert all(r.source == "csv:leads.csv" for r in store.list_rejects(WS))


def test_reimport_creates_nothing_new(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    path = write(tmp_path, "first_name,email,id\nAnn,ann@acme.com,1\nBob,bob@acme.com,2\nBob,bob@acme.com,2\n")
    first = import_csv(intake, store, WS, CAMPAIGN, path)
    assert (first.created, first.duplicates) == (2, 1)
    again = import_csv(intake, store, WS, CAMPAIGN, path)
    assert (again.created, again.duplicates) == (0, 3)
    assert len(store.list_leads(WS)) == 2


def test_latin1_file_falls_back_and_says_so(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    path = write(tmp_path, "first_name,company\nJosé,Café Müller\n", encoding="latin-1")
    report = import_csv(intake, store, WS, CAMPAIGN, path)
    assert report.created == 1 and report.encoding == "cp1252"
    assert "not valid UTF-8" in report.notes[0]
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert (lead.first_name, lead.company) == ("José", "Café Müller")


def test_an_unclosed_quote_is_its_own_lines_error_and_later_rows_import(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    report = import_csv(intake, store, WS, CAMPAIGN, write(tmp_path, 'first_name,email\nAnn,ann@acme.com\nBo,"bo@x\nCy,cy@x.com\n'))
    assert report.created == 2
    (bad,) = report.rejected
    assert bad.line == 3 and "malformed CSV: a quoted field is never closed" in bad.message
    assert store.list_rejects(WS)[0].raw == 'Bo,"bo@x'
    assert {store.get_lead(WS, i).lead.first_name for i in report.lead_ids} == {"Ann", "Cy"}


def test_a_field_over_128_kib_is_that_rows_error_and_the_rows_after_it_import(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    huge = "x" * (128 * 1024 + 1)
    text = f'first_name,email,notes\nAnn,ann@acme.com,hi\nBo,bo@acme.com,"{huge}"\nCy,cy@acme.com,\nDi,di@acme.com,{huge}\nEd,ed@acme.com,ok\n'
    report = import_csv(intake, store, WS, CAMPAIGN, write(tmp_path, text))
    assert report.created == 3
    assert [(r.line, r.message) for r in report.rejected] == [
        (3, "a field is longer than the limit of 131072 characters (128 KiB)"),
        (5, "a field is longer than the limit of 131072 characters (128 KiB)"),
    ]
    assert {store.get_lead(WS, i).lead.first_name for i in report.lead_ids} == {"Ann", "Cy", "Ed"}


def test_a_row_with_too_few_cells_is_rejected_like_one_with_too_many(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    text = "first_name,email,company\nAnn,ann@acme.com,Acme\nBo,bo@acme.com\nCy,cy@acme.com,Acme,extra\n"
    report = import_csv(intake, store, WS, CAMPAIGN, write(tmp_path, text))
    assert report.created == 1
    assert [(r.line, r.message) for r in report.rejected] == [
        (3, "too few cells: the row has 2, the header names 3 columns"),
        (4, "too many cells: the row has 4, the header names 3 columns"),
    ]
    assert store.list_rejects(WS)[0].error.startswith("line 3: too few cells")


def test_rows_without_id_or_email_are_known_by_their_content(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    path = write(tmp_path, "first_name,last_name,company\nAnn,Lee,Acme\nBo,,Bolt\n")
    first = import_csv(intake, store, WS, CAMPAIGN, path)
    assert (first.created, first.duplicates) == (2, 0)
    again = import_csv(intake, store, WS, CAMPAIGN, path)
    assert (again.created, again.duplicates) == (0, 2)
    assert sorted(again.lead_ids) == sorted(first.lead_ids)
    # the same rows with the columns reordered and other spacing and case: still known
    moved = tmp_path / "moved.csv"
    moved.write_text("Company,First Name,Last Name\n acme ,ANN,lee\n")
    assert (import_csv(intake, store, WS, CAMPAIGN, moved).duplicates, len(store.list_leads(WS))) == (1, 2)
    other = tmp_path / "other.csv"
    other.write_text("first_name,company\nAnn,Globex\n")  # another row: another lead
    assert import_csv(intake, store, WS, CAMPAIGN, other).created == 1


def test_a_country_column_reads_national_numbers_and_one_number_is_one_person(
    intake: Intake, store: MemoryStore, tmp_path: Path
) -> None:
    text = ("first_name,phone,country\nKenji,03-1234-5678,JP\nKen,+81 3 1234 5678,\nZed,12,US\n"
            "Una,020 7183 8750,\nVic,020 7183 8750,GB\n")
    report = import_csv(intake, store, WS, CAMPAIGN, write(tmp_path, text))
    assert (report.created, report.duplicates) == (2, 1)
    lead = store.get_lead(WS, report.lead_ids[0]).lead
    assert (lead.phone, lead.attributes["country"]) == ("+81312345678", "JP")
    assert store.get_lead(WS, report.lead_ids[-1]).lead.phone == "+442071838750"
    zed, una = report.rejected
    assert zed.line == 4 and zed.message.startswith("phone: not")
    assert una.line == 5 and "phone" in una.message and "country code" in una.message


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Ann,ann@acme.com\nBob,bob@acme.com\n", "no header row"),
        (b"email,company\nann@acme.com,Acme\n", "first-name column"),
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
    ],
)
def test_unusable_files(intake: Intake, store: MemoryStore, tmp_path: Path, data: bytes, needle: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=needle):
        import_csv(intake, store, WS, CAMPAIGN, path)
    assert store.list_leads(WS) == []


def test_missing_file_and_unknown_campaign(intake: Intake, store: MemoryStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        import_csv(intake, store, WS, CAMPAIGN, tmp_path / "nope.csv")
    with pytest.raises(NotFound):
        import_csv(intake, store, WS, "autumn", write(tmp_path, "first_name\nAnn\n"))


def test_helpers() -> None:
    assert normalize_header("  First-Name ") == "first_name"
    assert normalize_header("E-mail") == "e_mail"
    assert decode("a,b".encode("utf-8-sig"))[:2] == ("a,b", "utf-8")
    assert decode(b"\x81\xe9")[1] == "latin-1"  # 0x81 is undefined in cp1252
