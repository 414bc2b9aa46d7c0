"""The raw mail builders' direct formatters against the stdlib reference, byte for byte.

Each builder in :mod:`leadflow.sim.mail` writes simple messages itself and leaves the rest
to the :mod:`email` package. These tests draw names, addresses, subjects, bodies (in every
language the simulator writes) and dates, simple and awkward, and check the public builder
returns exactly what the stdlib path alone returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leadflow.sim import SimProspect, _data, _phrases, mail, replies, respond
from leadflow.sim.mail import build_bounce_raw, build_ooo_raw, build_reply_raw


@contextmanager
def _stdlib_only() -> Iterator[None]:
    """Within it, the builders take the stdlib path for every message."""
    with (
        patch.object(mail, "_format_text_message", return_value=None),
        patch.object(mail, "_format_bounce", return_value=None),
    ):
        yield


@contextmanager
def _fast_only() -> Iterator[None]:
    """Within it, a message the direct formatters refuse fails the test."""
    refused = AssertionError("left to the stdlib")
    with (
        patch.object(mail, "_stdlib_text_message", side_effect=refused),
        patch.object(mail, "_stdlib_bounce", side_effect=refused),
    ):
        yield


def _reference(build: Callable[..., str], kwargs: dict[str, Any]) -> str:
    with _stdlib_only():
        return build(**kwargs)


def _outcome(build: Callable[..., str], kwargs: dict[str, Any]) -> object:
    """What the call returns, or the error it raises (the stdlib refuses some garbage)."""
    try:
        return build(**kwargs)
    except Exception as error:  # compared, not swallowed
        return type(error), str(error)


def _took_fast_path(build: Callable[..., str], kwargs: dict[str, Any]) -> bool:
    try:
        with _fast_only():
            build(**kwargs)
    except AssertionError:
        return False
    return True


# -- what the simulator writes, and worse -------------------------------------------------
_PHRASES = sorted(
    {
        *(text for texts in _phrases.EN.values() for text in texts),
        *(text for lang in _phrases.LOCAL.values() for texts in lang.values() for text in texts),
        *(text for texts in _phrases.GREETINGS.values() for text in texts),
        *(text for texts in _phrases.SIGN_OFFS.values() for text in texts),
    }
)
_NAMES = sorted({name for first, last in _data.NAMES.values() for name in (*first, *last)})
#: RFC 2047 encoded words: the header parser decodes them, so they do not come out as written.
_ENCODED = ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "=?iso-8859-1?q?Gr=FC=DFe?=", "=?us-ascii?q?hello?=", "=?utf-8?b?R3LDvMOfZQ==?=")
_ODD = (*_ENCODED, "Jo.", '"Q"', "a,b", "(x)", "<y>", "@", ";", "\\", "Straße", "東京", "\u2028")

_ascii_words = st.from_regex(r"[A-Za-z0-9',.!?:-]{1,12}( [A-Za-z0-9',.!?:-]{1,12}){0,14}", fullmatch=True)
_words = st.one_of(
    st.sampled_from(_NAMES), _ascii_words, _ascii_words, st.sampled_from(_ODD), st.text(min_size=1, max_size=12)
)
_spaces = st.sampled_from([" ", " ", " ", " ", "  ", "\t", ""])


@st.composite
def _phrase(draw: st.DrawFn, *, max_words: int = 4) -> str:
    words = draw(st.lists(_words, min_size=1, max_size=max_words))
    return "".join(word + draw(_spaces) for word in words[:-1]) + words[-1]


_dot_atom = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,30}[a-z0-9]", fullmatch=True)
_address = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}.example", _dot_atom, _dot_atom),
    st.from_regex(r"[a-z]{1,60}@[a-z]{1,50}\.example(\.com)?", fullmatch=True),
    st.text(max_size=20),
)
_mailbox = st.one_of(_address, st.builds(lambda name, addr: f"{name} <{addr}>", _phrase(), _address))
_message_id = st.one_of(
    st.builds(lambda addr: f"<{addr}>", _address),
    st.from_regex(r"sim-[0-9]{1,3}-[0-9]{6}:response:(first|second)", fullmatch=True),
    st.text(max_size=30),
)
_subject = st.one_of(
    st.none(),
    st.just(""),
    _phrase(),
    _phrase(max_words=20),
    _ascii_words,
    st.builds(lambda s: "Re: " + s, _phrase()),
    st.text(max_size=100),
)
_line = st.one_of(
    st.sampled_from(_PHRASES),
    st.builds(" ".join, st.lists(st.sampled_from(_PHRASES), min_size=1, max_size=4)),
    _phrase(max_words=30),
    st.text(max_size=120),
    st.just(""),
    st.just("=" * 90),
    st.just("x" * 77 + "= "),
)
_body = st.builds(
    lambda lines, sep: sep.join(lines), st.lists(_line, max_size=14), st.sampled_from(["\n", "\r\n", "\n\n"])
)
_zone = st.one_of(
    st.none(),
    st.just(UTC),
    st.builds(
        lambda minutes, seconds: timezone(timedelta(minutes=minutes, seconds=seconds)),
        st.integers(-23 * 60, 23 * 60),
        st.sampled_from([0, 0, 0, 17]),
    ),
)
_date = st.builds(
    lambda at, zone: at.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    _zone,
)

_plain_address = st.builds(lambda local, domain: f"{local}@{domain}.example", _dot_atom, _dot_atom)
#: Inputs like the simulator's: mostly simple, so the direct formatter's edges get drawn often.
_plausible_text_kwargs = st.fixed_dictionaries(
    {
        "from_addr": st.builds(
            lambda first, last, addr: f"{first} {last} <{addr}>",
            st.sampled_from(_NAMES),
            st.sampled_from(_NAMES),
            _plain_address,
        ),
        "to_addr": st.just(replies.DEFAULT_SENDER),
        "subject": st.one_of(
            _ascii_words,
            st.builds(lambda name: f"{name}, quick question", st.sampled_from(_NAMES)),
            st.builds(lambda words, ew: f"{words} {ew}", _ascii_words, st.sampled_from(_ENCODED)),
        ),
        "body": st.builds(
            "\n\n".join, st.lists(st.one_of(st.sampled_from(_PHRASES), _ascii_words), min_size=1, max_size=12)
        ),
        "date": st.builds(
            lambda at, minutes: at.replace(tzinfo=timezone(timedelta(minutes=minutes))),
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
            st.integers(-12 * 60, 14 * 60),
        ),
        "message_id": st.builds(lambda addr: f"<sim.{addr}>", _plain_address),
        "in_reply_to": st.one_of(st.none(), _message_id),
    }
)
_text_kwargs = st.fixed_dictionaries(
    {
        "from_addr": _mailbox,
        "to_addr": st.one_of(st.just(replies.DEFAULT_SENDER), _mailbox),
        "subject": _subject,
        "body": _body,
        "date": _date,
        "message_id": _message_id,
        "in_reply_to": st.one_of(st.none(), st.just(""), _message_id),
    }
)
_bounce_kwargs = st.fixed_dictionaries(
    {
        "original_from": st.one_of(st.just(replies.DEFAULT_SENDER), _mailbox),
        "original_to": _address,
        "original_subject": _subject,
        "date": _date,
        "message_id": _message_id,
    },
    optional={
        "original_message_id": st.one_of(st.none(), st.just(""), _message_id),
        "original_date": _date,
        "reporting_mta": st.one_of(st.just("mx1.example.net"), _phrase()),
        "status": st.one_of(st.just("5.1.1"), st.text(max_size=8)),
        "diagnostic": st.one_of(st.none(), _phrase(max_words=25), st.text(max_size=40)),
    },
)

_CHECKS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_CHECKS
@given(kwargs=st.one_of(_plausible_text_kwargs, _text_kwargs), ooo=st.booleans())
def test_text_messages_equal_the_stdlib_reference(kwargs: dict[str, Any], ooo: bool) -> None:
    build = build_ooo_raw if ooo else build_reply_raw
    event("fast" if _took_fast_path(build, kwargs) else "stdlib")
    assert _outcome(build, kwargs) == _outcome(_reference, {"build": build, "kwargs": kwargs})


@_CHECKS
@given(kwargs=_bounce_kwargs)
def test_bounces_equal_the_stdlib_reference(kwargs: dict[str, Any]) -> None:
    event("fast" if _took_fast_path(build_bounce_raw, kwargs) else "stdlib")
    assert _outcome(build_bounce_raw, kwargs) == _outcome(_reference, {"build": build_bounce_raw, "kwargs": kwargs})


# -- the simulator's own messages ---------------------------------------------------------
AT = datetime(2026, 3, 2, 14, 0, 33, tzinfo=UTC)


def test_plain_messages_take_the_fast_path() -> None:
    """ASCII headers, English or German bodies, long ids: none of it needs the stdlib."""
    text: dict[str, Any] = {
        "from_addr": "Stefan Schmidt <sschmidt@example.org>",
        "to_addr": replies.DEFAULT_SENDER,
        "subject": "Stefan, quick question",
        "date": AT,
        "message_id": "<sim.sim-7-000288.1.720c9e73c4898886@summitloop-systems.example.com>",
        "in_reply_to": "sim-7-000288:response:first",
    }
    for body in (
        _phrases.EN["ooo"][0] + "\n\nStefan Schmidt",
        _phrases.LOCAL["de"]["ooo"][0] + "\n\nStefan Schmidt",
        "Tuesday works!",
    ):
        for build in (build_ooo_raw, build_reply_raw):
            assert _took_fast_path(build, {**text, "body": body})
    bounce: dict[str, Any] = {
        "original_from": replies.DEFAULT_SENDER,
        "original_to": "george.hughes@redloop.example",
        "original_subject": "George, scaling the team",
        "date": AT,
        "message_id": "<sim.sim-7-000022.1.68562d7fce6ce284@mx1.example.net>",
        "original_message_id": "sim-7-000022:response:first",
        "original_date": AT,
    }
    assert _took_fast_path(build_bounce_raw, bounce)


def test_awkward_messages_are_left_to_the_stdlib() -> None:
    text: dict[str, Any] = {
        "from_addr": "Sofía Ruiz <sofia.ruiz@summitwave.example>",
        "to_addr": replies.DEFAULT_SENDER,
        "subject": "quick question",
        "body": "Gracias.",
        "date": AT,
        "message_id": "<a1@example.com>",
    }
    assert not _took_fast_path(build_ooo_raw, text)  # non-ASCII display name: an encoded word
    text["from_addr"] = "sofia.ruiz@summitwave.example"
    assert _took_fast_path(build_ooo_raw, text)
    assert not _took_fast_path(build_ooo_raw, {**text, "body": "Gracias, Sofía."})  # 8bit
    assert not _took_fast_path(build_ooo_raw, {**text, "body": "東京 " * 40})  # base64
    assert not _took_fast_path(build_ooo_raw, {**text, "subject": "x" * 80})  # folded
    assert not _took_fast_path(build_ooo_raw, {**text, "date": datetime(999, 1, 1)})  # reads back as 1999


def test_every_ooo_and_bounce_the_simulator_writes_equals_the_reference(
    population: list[SimProspect],
) -> None:
    seen: Counter[tuple[str, bool]] = Counter()

    def checked(build: Callable[..., str]) -> Callable[..., str]:
        def build_and_check(**kwargs: Any) -> str:
            raw = build(**kwargs)
            assert raw == _reference(build, kwargs)
            seen[build.__name__, _took_fast_path(build, kwargs)] += 1
            return raw

        return build_and_check

    with (
        patch.object(replies, "build_ooo_raw", checked(build_ooo_raw)),
        patch.object(replies, "build_bounce_raw", checked(build_bounce_raw)),
    ):
        for prospect in population:
            for n in (1, 2, 3):
                respond(
                    prospect, seed=11, n=n, channel="email", subject=f"{prospect.lead.first_name}, quick question",
                    body="Would Tuesday 3:00 PM work?\n\nSam", sent_at=AT, message_id=f"<m{n}@leadflow-demo.example>",
                )  # fmt: skip
    assert seen["build_ooo_raw", True] > seen["build_ooo_raw", False] > 0
    assert seen["build_bounce_raw", True] > 0
