"""The erasure rules (``state.privacy``) on their own: redaction commutes with the fold, free text
is scrubbed of every spelling of the person, codes are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.domain.events import Event, EventType
from leadflow.domain.identity import erased_key, suppression_key, suppression_keys
from leadflow.domain.models import AgentStep, Channel, Direction, Escalation, Lead, LeadState, Message, Stage
from leadflow.state.common import lead_updated_event
from leadflow.state.patch import fold
from leadflow.state.privacy import REDACTED, Redactor, erased_state, person_keys

T0 = datetime(2026, 3, 3, 15, tzinfo=UTC)
ZELDA = Lead(
    first_name="Zelda",
    last_name="Email",  # a surname that is also a channel's name
    email="Zelda.Q@gmail.com",
    phone="+81 3 1234 5678",
    company="Quimby Widgets",
    title="Head of Ops",
)


def start() -> LeadState:
    return LeadState(
        lead_id="z1", workspace_id="w", campaign="c", lead=ZELDA, created_at=T0, updated_at=T0, version=1
    )


def created(state: LeadState) -> Event:
    return Event(
        id="created-z1",
        type=EventType.LEAD_CREATED,
        lead_id="z1",
        workspace_id="w",
        at=T0,
        payload={"state": state.model_dump(mode="json"), "version": 1},
    )


texts = st.sampled_from(
    ["Hi Zelda", "call +81-3-1234-5678", "zelda.q@GMAIL.com says hi", "ok", "Quimby Widgets rocks"]
)


def change(state: LeadState, kind: int, text: str, n: int) -> LeadState:
    """One step of a lead's life: a message, an agent step, an escalation, an answer, a stage."""
    at = T0 + timedelta(minutes=n + 1)
    update: dict[str, Any] = {"updated_at": at}
    if kind == 0:
        message = Message(id=f"m{n}", channel=Channel.EMAIL, direction=Direction.INBOUND, sender=ZELDA.email,
                          subject=text, body=text, at=at)  # fmt: skip
        update["messages"] = [*state.messages, message]
    elif kind == 1:
        update["agent_history"] = [*state.agent_history, AgentStep(agent="a", at=at, result=text)]
    elif kind == 2:
        update["escalations"] = [Escalation(reason=text, agent="e", summary=text)]  # replaced, not appended
    elif kind == 3:
        update["qualification"] = {**state.qualification, f"q{n}": text}
        update["pending_question"] = text
    else:
        update["stage"] = list(Stage)[n % len(Stage)]
        update["signals"] = [*state.signals, {"page": text}]
    return state.model_copy(update=update)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), texts), max_size=12))
def test_redacting_the_log_then_folding_equals_redacting_the_state(steps: list[tuple[int, str]]) -> None:
    state = start()
    events = [created(state)]
    for n, (kind, text) in enumerate(steps):
        new = change(state, kind, text, n).model_copy(update={"version": state.version + 1})
        events.append(lead_updated_event(state, new, cause=None))
        state = new
    red = Redactor(person_keys(str(ZELDA.email)) | person_keys(str(ZELDA.phone)), [ZELDA])
    redacted_log = [Event.model_validate(red.event(e.model_dump(mode="json"))) for e in events]
    redacted_state = LeadState.model_validate(red.state(state.model_dump(mode="json")))
    assert fold(redacted_log)["z1"] == redacted_state
    final, step = erased_state(redacted_state, at=T0 + timedelta(days=1))
    assert fold([*redacted_log, step])["z1"] == final and final.stage is Stage.DO_NOT_CONTACT
    dumped = redacted_state.model_dump_json().lower()
    assert [s for s in ("zelda", "quimby", "1234", "gmail", "head of ops") if s in dumped] == []


def test_free_text_loses_every_spelling_and_codes_stay() -> None:
    red = Redactor(person_keys("zelda.q@gmail.com"), [ZELDA])
    assert red.text("Call Zelda on +81 (3) 1234-5678 or 03-1234-5678, or ZELDA.Q@gmail.com") == (
        f"Call {REDACTED} on {REDACTED} or 0{REDACTED}, or {REDACTED}"
    )
    assert red.text("Zeldas and Quimbyish stay") == "Zeldas and Quimbyish stay"  # whole words only
    payload = {
        "channel": "email",
        "intent": "unsubscribe",
        "text": "Email me, Zelda",
        "note": {"x": 1},
        "n": 3,
    }
    assert red.generic(payload) == {
        "channel": "email",
        "intent": "unsubscribe",
        "text": REDACTED,
        "note": REDACTED,
        "n": 3,
    }
    assert red.generic({"reason": "Ms Email asked"}) == {"reason": f"Ms {REDACTED} asked"}


def test_a_reject_mentions_the_person_by_address_or_by_number() -> None:
    red = Redactor(person_keys("zelda.q@gmail.com"), [ZELDA])
    assert red.mentions('{"email": "ZELDA.Q@GMAIL.COM"}')
    assert red.mentions("Zelda,Q,+81 3-1234-5678")
    assert not red.mentions('{"email": "ada@example.com", "phone": "+1 415 555 0100"}')


def test_the_suppression_lookup_checks_the_hashed_form_once_there_is_a_salt() -> None:
    plain = suppression_keys("Zelda.Q+news@googlemail.com")
    assert not any(k.startswith("hash:") for k in plain)
    salted = suppression_keys("Zelda.Q+news@googlemail.com", salt="s1")
    assert erased_key("s1", "zeldaq@gmail.com") in salted and set(plain) < set(salted)
    assert erased_key("s1", "zeldaq@gmail.com") != erased_key("s2", "zeldaq@gmail.com")
    assert erased_key("s1", suppression_key("+81 3-1234-5678")) in suppression_keys("+81312345678", salt="s1")
