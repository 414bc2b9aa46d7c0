"""The identity and suppression contract: one person, one lead, and opt-outs in any spelling.

Every ``Store`` backend passes these (``test_store_identity.py`` runs them on memory, SQLite
and PostgreSQL). They pin what ``Store.create_lead`` promises about ``identity_keys`` and what
``Store.suppression_for`` promises about normalised addresses, numbers and domains (issue 10,
finding 4).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.contracts.store_contract import T0, WS_A, WS_B, commit, created_event, ok

from leadflow.domain.events import EventType
from leadflow.domain.identity import identity_keys
from leadflow.domain.models import Lead, LeadState
from leadflow.state.base import Store


def person(lead_id: str, *, workspace_id: str = WS_A, **fields: object) -> LeadState:
    """A new lead at version 1 with the given ``Lead`` fields."""
    lead = Lead.model_validate({"first_name": "Ada", **fields})
    return LeadState(
        lead_id=lead_id,
        workspace_id=workspace_id,
        campaign="spring",
        lead=lead,
        created_at=T0,
        updated_at=T0,
        version=1,
    )


def arrive(store: Store, state: LeadState) -> tuple[LeadState, bool]:
    """What intake does: create the lead under all its identity keys."""
    return store.create_lead(state, created_event(state), identity_keys=identity_keys(state.lead))


def linked(store: Store, workspace_id: str, lead_id: str) -> list[dict[str, object]]:
    return [e.payload for e in store.lead_events(workspace_id, lead_id) if e.type == EventType.LEAD_LINKED]


class IdentityContract:
    """Subclass and implement ``make_store``."""

    def make_store(self) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = self.make_store()
        try:
            yield s
        finally:
            s.close()

    # -- suppression on the normalised form --------------------------------------------
    def test_a_suppressed_number_holds_in_every_spelling(self, store: Store) -> None:
        a, _ = arrive(store, person("a1", phone="+81 3 1234 5678"))
        ok(store.apply([commit(a, suppress=[("+81 3 1234 5678", "opt-out")])]))
        assert store.suppression_for(WS_A, "+81-3-1234-5678") == "+81312345678"
        assert store.is_suppressed(WS_A, "+81 (3) 1234-5678")
        assert not store.is_suppressed(WS_A, "+81-3-1234-5679")
        assert not store.is_suppressed(WS_B, "+81-3-1234-5678")

    def test_a_suppressed_address_holds_for_its_provider_spellings(self, store: Store) -> None:
        a, _ = arrive(store, person("a1", email="ada@example.com"))
        ok(store.apply([commit(a, suppress=[("Jane.Doe+news@GMAIL.com", "unsubscribe")])]))
        assert store.suppression_for(WS_A, "janedoe@googlemail.com") == "janedoe@gmail.com"
        assert store.is_suppressed(WS_A, "J.ane.Doe@gmail.com")
        assert not store.is_suppressed(WS_A, "jane.doe@example.com")  # other providers: no rule

    def test_a_domain_wide_suppression_holds_for_every_address_there(self, store: Store) -> None:
        a, _ = arrive(store, person("a1", email="ada@example.com"))
        ok(store.apply([commit(a, suppress=[("domain:Example.COM", "legal request")])]))
        assert store.suppression_for(WS_A, "Anyone@EXAMPLE.com") == "domain:example.com"
        assert store.suppression_for(WS_A, "bob@example.org", "ceo@example.com") == "domain:example.com"
        assert store.suppression_for(WS_A, "bob@example.org") is None
        # a subdomain is part of the domain that asked (eu.example.com under example.com)
        assert store.suppression_for(WS_A, "bob@eu.example.com") == "domain:example.com"
        assert store.suppression_for(WS_A, "bob@notexample.com") is None
        assert store.suppression_for(WS_B, "anyone@example.com") is None

    # -- one person, one lead ------------------------------------------------------------
    def test_the_same_email_under_another_source_id_is_the_same_lead(self, store: Store) -> None:
        _, created = arrive(
            store, person("a1", email="ada@example.com", source="web", source_lead_id="w-1")
        )
        assert created
        again, created_again = arrive(
            store, person("a2", email="ADA@example.com", source="crm", source_lead_id="c-9")
        )
        assert (again.lead_id, created_again) == ("a1", False)
        assert [s.lead_id for s in store.list_leads(WS_A)] == ["a1"]
        assert [i.event.id for i in store.inbox(now=T0)] == ["created-a1"]  # one lead.created to act on
        [event] = linked(store, WS_A, "a1")
        assert event["matched"] == "email:ada@example.com"
        assert event["linked"] == ["src:crm:c-9"]
        assert event["source_lead_id"] == "c-9"
        # the linked source id now finds the lead on its own
        third, created_third = arrive(store, person("a3", source="crm", source_lead_id="c-9"))
        assert (third.lead_id, created_third) == ("a1", False)

    def test_a_phone_only_lead_posted_three_times_is_one_lead(self, store: Store) -> None:
        results = [
            arrive(store, person(f"p{n}", phone=phone))
            for n, phone in enumerate(["+1 415 555 0100", "(415) 555-0100", "+1-415-555-0100"])
        ]
        assert [(s.lead_id, c) for s, c in results] == [("p0", True), ("p0", False), ("p0", False)]
        assert len(store.list_leads(WS_A)) == 1
        assert linked(store, WS_A, "p0") == []  # nothing new to link: a plain repeat

    def test_when_email_and_phone_point_at_two_leads_the_email_wins(self, store: Store) -> None:
        arrive(store, person("by-mail", email="ada@example.com"))
        arrive(store, person("by-phone", phone="+14155550100"))
        found, created = arrive(
            store,
            person("both", email="ada@example.com", phone="+14155550100", source="csv", source_lead_id="r7"),
        )
        assert (found.lead_id, created) == ("by-mail", False)
        [event] = linked(store, WS_A, "by-mail")
        assert event["matched"] == "email:ada@example.com"
        assert event["linked"] == ["src:csv:r7"]
        assert event["elsewhere"] == {"phone:+14155550100": "by-phone"}
        again, _ = arrive(store, person("p", phone="+1 415 555 0100"))
        assert again.lead_id == "by-phone"  # the phone stays with its own lead

    def test_identities_are_per_workspace(self, store: Store) -> None:
        assert arrive(store, person("a1", email="ada@example.com"))[1]
        b, created = arrive(store, person("b1", workspace_id=WS_B, email="ada@example.com"))
        assert created and b.lead_id == "b1"
        assert store.get_lead(WS_B, "b1").lead.email == "ada@example.com"

    def test_a_lead_with_no_keys_is_always_new(self, store: Store) -> None:
        assert arrive(store, person("n1"))[1]
        assert arrive(store, person("n2"))[1]
        assert len(store.list_leads(WS_A)) == 2

    def test_extra_keys_and_the_dedupe_key_are_identities_too(self, store: Store) -> None:
        s1 = person("c1", first_name="Row")
        assert store.create_lead(s1, created_event(s1), identity_keys=["csv:abc"])[1]
        s2 = person("c2", first_name="Row")
        assert store.create_lead(s2, created_event(s2), identity_keys=["csv:abc"])[0].lead_id == "c1"
        s3 = person("c3")
        assert store.create_lead(s3, created_event(s3), dedupe_key="legacy:1")[1]
        s4 = person("c4")
        assert store.create_lead(s4, created_event(s4), dedupe_key="legacy:1")[0].lead_id == "c3"
