"""The real-run fetcher refuses private, loopback and link-local hosts, and reaches a local server when allowed."""

from __future__ import annotations

import httpx
import pytest
from local_site import Site

from leadflow.agents.research import research
from leadflow.domain.models import Lead
from leadflow.exceptions import Refused, Unavailable
from leadflow.integrations.web.guard import PublicOnlyTransport, is_public, open_web_fetcher

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/about",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://192.168.0.10/",
        "http://localhost/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_the_default_fetcher_refuses_non_public_addresses(url: str) -> None:
    fetcher = open_web_fetcher()
    with pytest.raises(Refused):
        fetcher.fetch(url)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.1.1", "::1", "fe80::1", "224.0.0.1", "0.0.0.0"])
def test_a_name_resolving_to_a_non_public_address_is_refused_before_any_request(address: str) -> None:
    sent: list[str] = []
    inner = httpx.MockTransport(lambda r: sent.append(str(r.url)) or httpx.Response(200, text="hi"))  # type: ignore[func-returns-value]
    fetcher = open_web_fetcher(resolve=lambda host, port: [PUBLIC, address], inner=inner)
    with pytest.raises(Refused, match="non-public address"):
        fetcher.fetch("https://intranet.acme.com/")
    assert sent == []  # not even robots.txt was asked for


def test_a_redirect_to_a_private_address_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.headers["host"] == "www.acme.com":  # the URL's host is the checked address
            return httpx.Response(302, headers={"location": "https://files.acme.com/secret"})
        return httpx.Response(200, text="internal", headers={"content-type": "text/plain"})

    addresses = {"www.acme.com": [PUBLIC], "files.acme.com": ["10.0.0.9"]}
    fetcher = open_web_fetcher(resolve=lambda host, port: addresses[host], inner=httpx.MockTransport(answer))
    with pytest.raises(Refused, match=r"files\.acme\.com"):
        fetcher.fetch("https://www.acme.com/")


def test_special_use_names_and_unresolvable_names() -> None:
    guard = PublicOnlyTransport(resolve=lambda host, port: [])
    with pytest.raises(Refused):
        guard.check("acme.example", 443)
    with pytest.raises(Unavailable):
        guard.check("no-such-host.acme.com", 443)
    assert is_public(PUBLIC) and not is_public("::ffff:10.0.0.1") and not is_public("fe80::1%eth0")


def test_allowed_it_fetches_from_a_local_server_over_real_http(site: Site) -> None:
    fetcher = open_web_fetcher(allow_private=True)
    page = fetcher.fetch(site.url("/"))
    assert page.status == 200 and b"Acme Robotics raised $12M" in page.content
    assert site.hits["/robots.txt"] >= 1  # robots.txt was read first, through the same guard
    with pytest.raises(Refused):
        fetcher.fetch(site.url("/private/pricing"))  # robots.txt still applies


def test_without_the_setting_the_local_server_is_never_reached(site: Site) -> None:
    before = sum(site.hits.values())
    with pytest.raises(Refused):
        open_web_fetcher().fetch(site.url("/careers"))
    assert sum(site.hits.values()) == before


def test_research_goes_on_without_pages_it_cannot_fetch() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fetcher = open_web_fetcher(resolve=lambda host, port: [PUBLIC], inner=httpx.MockTransport(down))
    lead = Lead(first_name="Ann", last_name="Lee", email="ann@acme.com", company="Acme", company_domain="acme.com",
                industry="b2b_saas", title="VP Sales")
    found = research(lead, depth="deep", fetcher=fetcher)
    assert found.pages == [] and len(found.errors) == 4
    assert all("Unavailable" in e for e in found.errors)
    assert found.signals  # the lead's own fields still give signals


def test_the_module_example_runs() -> None:
    import doctest

    import leadflow.integrations.web.guard as guard

    result = doctest.testmod(guard)
    assert result.failed == 0 and result.attempted > 0


def test_the_request_goes_to_the_checked_address_with_the_name_kept_for_host_and_tls() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, text="<h1>Acme</h1>", headers={"content-type": "text/html"})

    answers = iter([[PUBLIC], [PUBLIC], ["10.0.0.9"]])  # a rebinding resolver: public twice, then internal
    fetcher = open_web_fetcher(resolve=lambda host, port: next(answers), inner=httpx.MockTransport(answer))
    page = fetcher.fetch("https://www.acme.com/")
    assert page.status == 200 and page.url == "https://www.acme.com/"
    assert [r.url.host for r in seen] == [PUBLIC, PUBLIC]
    assert all(r.headers["host"] == "www.acme.com" and r.extensions["sni_hostname"] == "www.acme.com" for r in seen)
    with pytest.raises(Refused):
        fetcher.fetch("https://www.acme.com/about")  # now it resolves inside: refused, never connected
    assert len(seen) == 2
