"""Phone and e-mail normalisation, identity keys and suppression keys (issue 10, finding 4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.domain.identity import (
    DEFAULT_REGION,
    email_domain,
    identity_keys,
    normalise_email,
    normalise_phone,
    suppression_key,
    suppression_keys,
)
from leadflow.domain.models import Lead


@pytest.mark.parametrize(
    "written",
    ["+81 3 1234 5678", "+81-3-1234-5678", "+81 (3) 1234-5678", "+81.3.1234.5678", " +81312345678 "],
)
def test_every_spelling_of_a_number_is_one_e164(written: str) -> None:
    assert normalise_phone(written) == "+81312345678"


def test_a_number_without_country_code_uses_the_region_hint_then_us() -> None:
    assert DEFAULT_REGION == "US"
    assert normalise_phone("(415) 555-0100") == "+14155550100"
    assert normalise_phone("03-1234-5678", region="JP") == "+81312345678"
    assert normalise_phone("020 7183 8750", region="gb") == "+442071838750"
    assert normalise_phone("(415) 555-0100", region="not a region") == "+14155550100"


@pytest.mark.parametrize("bad", ["call me", "12", "+1 555 0100", "+999 1234 5678", "0000000", ""])
def test_invalid_numbers_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(bad)


def test_reserved_fictional_ranges_written_with_a_country_code_are_accepted() -> None:
    assert normalise_phone("+44 7700 900281") == "+447700900281"


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("jane.doe+news@example.com", "jane.doe+news@example.com"),  # unknown provider: kept
        ("J.a.n.e+x@GoogleMail.com", "jane@gmail.com"),
        ("jane.doe+promo@gmail.com", "janedoe@gmail.com"),
        ("jane.doe+promo@outlook.com", "jane.doe@outlook.com"),
        ("jane.doe+a+b@icloud.com", "jane.doe@icloud.com"),
    ],
)
def test_email_normalisation_applies_only_the_safe_provider_rules(written: str, normal: str) -> None:
    assert normalise_email(written) == normal


@pytest.mark.parametrize("bad", ["no-at-sign", "@example.com", "jane@", "+tag@gmail.com"])
def test_a_string_that_is_no_address_raises(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_email(bad)


def test_email_domain_is_the_normalised_domain() -> None:
    assert email_domain("Jane@Sub.Example.com") == "sub.example.com"
    assert email_domain("x@googlemail.com") == "gmail.com"


def test_identity_keys_strongest_first() -> None:
    lead = Lead(
        first_name="Jane",
        email="Jane.Doe+x@gmail.com",
        phone="+81 3 1234 5678",
        source="web",
        source_lead_id="w-1",
    )
    assert identity_keys(lead) == ["email:janedoe@gmail.com", "phone:+81312345678", "src:web:w-1"]
    assert identity_keys(Lead(first_name="Bo")) == []


def test_suppression_keys_cover_address_domain_and_number() -> None:
    assert suppression_key("Jane.Doe+x@GMAIL.com") == "janedoe@gmail.com"
    assert suppression_key("+81 3 1234 5678") == "+81312345678"
    assert suppression_key("domain:Example.COM") == "domain:example.com"
    assert suppression_keys("Jane@Example.com") == ["jane@example.com", "domain:example.com"]
    assert suppression_keys("+81-3-1234-5678")[0] == suppression_key("+81 3 1234 5678")
    # rows written before normalisation were lower-cased as given; they still match
    assert "jane.doe+x@gmail.com" in suppression_keys("Jane.Doe+x@gmail.com")


def test_a_lead_stores_its_phone_in_e164() -> None:
    assert Lead(first_name="Ken", phone="+81 (3) 1234-5678").phone == "+81312345678"
    with pytest.raises(ValueError, match="phone"):
        Lead(first_name="Ken", phone="call me")
    with pytest.raises(ValueError, match="phone"):
        Lead(first_name="Ken", phone="12")


def test_a_stored_number_that_does_not_normalise_is_still_read_back() -> None:
    # stored before numbers were normalised: kept as written, so the lead stays readable
    # (``Intake.create_lead`` refuses such a number for a new lead)
    assert Lead.model_validate({"first_name": "Ann", "phone": "020 7183 8750"}).phone == "020 7183 8750"


_local = st.text(alphabet="abcXYZ09.+_-", min_size=1, max_size=12)
_domain = st.sampled_from(["gmail.com", "GoogleMail.com", "outlook.com", "example.com", "Sub.Example.org"])
_addresses = st.builds(lambda lo, do: f"{lo}@{do}", _local, _domain)
_numbers = st.builds(
    lambda cc, n, sep: f"+{cc}{sep}{str(n)[:3]}{sep}{str(n)[3:]}",
    st.sampled_from(["1 415", "81 3", "44 20", "49 30"]),
    st.integers(5_550_000, 5_559_999),
    st.sampled_from([" ", "-", ".", ""]),
)


@given(st.one_of(_addresses, _numbers, st.builds(lambda d: f"domain:{d}", _domain), st.text(max_size=20)))
def test_normal_forms_are_fixed_points(value: str) -> None:
    # what is stored must look itself up: a key normalised again is the same key
    key = suppression_key(value)
    assert suppression_key(key) == key
    assert not key or key in suppression_keys(value)  # blank: nothing to suppress


@given(_addresses)
def test_an_address_normalised_twice_is_unchanged(address: str) -> None:
    try:
        once = normalise_email(address)
    except ValueError:
        return
    assert normalise_email(once) == once
    assert once == once.lower() and email_domain(once) == once.rpartition("@")[2]
