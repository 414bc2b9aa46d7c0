"""A campaign template is plain ``{name}`` variables: no format spec or conversion, which would
let a campaign file (PUT /v1/campaigns) make the worker build a gigabyte string per render."""

from __future__ import annotations

import pytest

import leadflow.agents.response  # noqa: F401  (first: campaigns.copy and the agents import each other)
from leadflow.campaigns.copy import render
from leadflow.campaigns.spec import _template


@pytest.mark.parametrize("text", [
    "Hi {first_name:>999999999999}",
    "Hi {first_name:{offer}}",
    "Hi {first_name!r}",
    "Hi {first_name:^20}",
])
def test_a_template_with_a_format_spec_or_conversion_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="template variable"):
        _template(text)


def test_plain_variables_and_literal_braces_still_render() -> None:
    text = _template("Hi {first_name}, {{not a field}} from {company_name}")
    assert render(text, {"first_name": "Ann", "company_name": "Acme"}) == "Hi Ann, {not a field} from Acme"
