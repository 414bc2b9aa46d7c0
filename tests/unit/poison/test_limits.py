"""``domain.limits``: what passes, what is refused and the path named, without recursion."""

from __future__ import annotations

import enum
from collections import OrderedDict
from typing import Any

import pytest

from leadflow.domain.limits import DEFAULT, JsonLimits, check_json, json_problem, mime_depth, storable
from leadflow.exceptions import InvalidInput


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_json_values_within_the_limits_pass() -> None:
    class Kind(enum.IntEnum):
        A = 1

    value = {"plan": "pro", "seats": [1, 2.5, None, True, "x", {"z": []}], "k": Kind.A,
             "o": OrderedDict(a=1), "t": (1, 2), "n": -(2**63 - 1)}
    assert json_problem(value) is None
    assert check_json(nested(DEFAULT.max_depth - 1)) is not None


@pytest.mark.parametrize(("value", "path", "needle"), [
    ({"x": [1, {"y": float("nan")}]}, "attributes.x[1].y", "not finite"),
    ({"x": float("-inf")}, "attributes.x", "not finite"),
    ({"x": 2**63}, "attributes.x", "integer out of range"),
    ({"x": "a\x00"}, "attributes.x", "NUL"),
    ({"\udfff": 1}, "attributes.\\udfff", "lone surrogate"),
    ({"x": {1, 2}}, "attributes.x", "set is not a JSON value"),
    ({"x": {3: 1}}, "attributes.x", "not a string"),
    ({"x": "y" * (DEFAULT.max_string + 1)}, "attributes.x", "character limit"),
    ({"x": [0] * (DEFAULT.max_array + 1)}, "attributes.x", "item limit"),
    ({"k" * (DEFAULT.max_key + 1): 1}, "attributes." + "k" * 40, "key"),
])
def test_a_problem_names_its_path(value: Any, path: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_json(value, path="attributes")
    [detail] = caught.value.details
    assert detail["field"] == path and needle in str(detail["message"])


def test_depth_is_counted_without_recursion() -> None:
    found = json_problem(nested(200_000), path="attributes")  # far past the interpreter's stack
    assert found is not None and found[0].startswith("attributes.a.a") and "32 levels" in found[1]
    assert json_problem(nested(5), limits=JsonLimits(max_depth=4)) is not None


def test_node_count_bounds_wide_documents() -> None:
    assert json_problem([[0] * 100] * 100, limits=JsonLimits(max_nodes=5_000)) is not None


def test_storable_escapes_what_utf8_cannot_hold() -> None:
    assert storable("a\udfff\x00b") == "a\\udfff\\x00b"
    assert storable("plain ☃") == "plain ☃"
    assert storable("a\udfff").encode()


def test_mime_depth() -> None:
    raw = ("Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/alternative; "
           "boundary=b\n\n--b\n\nx\n--b--\n--a\nContent-Type: multipart/related; boundary=\"c\"\n\n--c--\n--a--\n")
    assert mime_depth(raw) == 2
    assert mime_depth("Subject: hi\n\nno parts") == 0
