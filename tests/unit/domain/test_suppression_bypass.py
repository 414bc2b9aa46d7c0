"""An opt-out holds for the spellings that reach the same mailbox or company: a ``+tag`` at any
provider (most deliver ``ann+x@`` to ``ann@``), and a domain-wide suppression for its subdomains."""

from __future__ import annotations

from leadflow.domain.identity import erased_key, suppression_key, suppression_keys


def test_a_plus_tag_at_any_provider_does_not_escape_an_opt_out() -> None:
    stored = suppression_key("ann@acme.example")
    assert stored in suppression_keys("Ann+promo@ACME.example")
    assert stored in suppression_keys("ann+a+b@acme.example")
    # the erased form of the untagged address holds too
    assert erased_key("s1", stored) in suppression_keys("ann+promo@acme.example", salt="s1")


def test_a_domain_suppression_holds_for_its_subdomains() -> None:
    stored = suppression_key("domain:acme.example")
    assert stored in suppression_keys("bo@eu.acme.example")
    assert stored in suppression_keys("bo@mail.eu.ACME.example")
    # a bare top-level domain is never looked up: only what someone wrote as a domain
    assert "domain:example" not in suppression_keys("bo@eu.acme.example")


def test_plain_addresses_keep_their_keys() -> None:
    assert suppression_keys("Jane@Example.com") == ["jane@example.com", "domain:example.com"]
