"""WebFetcher against a real HTTP server on 127.0.0.1: robots, limits, redirects, cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from local_site import Site

from leadflow.exceptions import InvalidInput, NotFound, RateLimited, Refused, Unavailable
from leadflow.integrations.web import DEFAULT_USER_AGENT, FetchCache, WebFetcher
from leadflow.kb import KnowledgeBase


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


@pytest.fixture
def fetcher(client: httpx.Client) -> WebFetcher:
    return WebFetcher(client, timeout=0.5, max_bytes=200_000, allow_private=True)


def test_fetches_a_page(site: Site, fetcher: WebFetcher) -> None:
    page = fetcher.fetch(site.url("/"))
    assert page.status == 200
    assert page.url == site.url("/")
    assert page.content_type.startswith("text/html")
    assert "Series A" in page.text
    assert not page.from_cache and not page.truncated
    assert page.fetched_at.tzinfo is not None
    assert site.user_agents[-1] == DEFAULT_USER_AGENT


def test_robots_disallowed_path_is_refused(site: Site, fetcher: WebFetcher) -> None:
    before = site.hits["/private/pricing"]
    with pytest.raises(Refused, match=r"robots\.txt"):
        fetcher.fetch(site.url("/private/pricing"))
    assert site.hits["/private/pricing"] == before  # never requested


def test_robots_rules_follow_the_user_agent(site: Site, client: httpx.Client) -> None:
    bad = WebFetcher(client, user_agent="badbot/1.0", timeout=0.5, allow_private=True)
    with pytest.raises(Refused):
        bad.fetch(site.url("/"))


def test_robots_txt_is_read_once_per_host(site: Site, client: httpx.Client) -> None:
    fresh = WebFetcher(client, timeout=0.5, allow_private=True)
    before = site.hits["/robots.txt"]
    fresh.fetch(site.url("/"))
    fresh.fetch(site.url("/careers"))
    assert site.hits["/robots.txt"] == before + 1


def test_huge_page_is_truncated_and_not_cached(site: Site, fetcher: WebFetcher) -> None:
    page = fetcher.fetch(site.url("/huge"))
    assert page.truncated
    assert len(page.content) == 200_000
    before = site.hits["/huge"]
    assert not fetcher.fetch(site.url("/huge")).from_cache
    assert site.hits["/huge"] == before + 1


def test_slow_page_times_out_as_unavailable(site: Site, fetcher: WebFetcher) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match="timed out"):
        fetcher.fetch(site.url("/slow"))
    assert time.monotonic() - started < 2.5


def test_dripping_page_hits_the_total_deadline(site: Site, fetcher: WebFetcher) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match="too slow"):
        fetcher.fetch(site.url("/drip"))  # each read is fast, the whole is not
    assert time.monotonic() - started < 4


def test_redirect_is_followed(site: Site, fetcher: WebFetcher) -> None:
    page = fetcher.fetch(site.url("/redirect"))
    assert page.url == site.url("/careers")
    assert "hiring" in page.text


def test_redirect_to_file_scheme_is_refused(site: Site, fetcher: WebFetcher) -> None:
    with pytest.raises(Refused, match="non-HTTP"):
        fetcher.fetch(site.url("/redirect-file"))


def test_redirect_into_a_disallowed_path_is_refused(site: Site, fetcher: WebFetcher) -> None:
    with pytest.raises(Refused, match=r"robots\.txt"):
        fetcher.fetch(site.url("/redirect-private"))


def test_redirect_loop_gives_up(site: Site, fetcher: WebFetcher) -> None:
    with pytest.raises(Unavailable, match="redirects"):
        fetcher.fetch(site.url("/redirect-loop"))


@pytest.mark.parametrize(
    ("path", "error"),
    [("/missing", NotFound), ("/boom", Unavailable), ("/busy", RateLimited), ("/logo.png", InvalidInput)],
)
def test_status_and_content_type_errors(
    site: Site, fetcher: WebFetcher, path: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        fetcher.fetch(site.url(path))


def test_second_fetch_comes_from_cache(site: Site, fetcher: WebFetcher) -> None:
    before = site.hits["/counter"]
    first = fetcher.fetch(site.url("/counter"))
    second = fetcher.fetch(site.url("/counter#section"))  # fragments do not matter
    assert site.hits["/counter"] == before + 1
    assert second.from_cache and not first.from_cache
    assert second.text == first.text


def test_private_addresses_are_refused_by_default(site: Site, client: httpx.Client) -> None:
    strict = WebFetcher(client, timeout=0.5)
    before = site.hits["/"]
    for url in (site.url("/"), "http://localhost/", "http://10.0.0.8/", "http://169.254.169.254/latest/"):
        with pytest.raises(Refused):
            strict.fetch(url)
    assert site.hits["/"] == before


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http:///nohost"]
)
def test_only_http_urls(fetcher: WebFetcher, url: str) -> None:
    with pytest.raises(InvalidInput):
        fetcher.fetch(url)


def test_kb_ingests_a_page_through_the_fetcher(site: Site, fetcher: WebFetcher) -> None:
    kb = KnowledgeBase()
    kb.ingest_url(site.url("/inject"), fetcher, workspace_id="w")
    kb.ingest_url(site.url("/"), fetcher, workspace_id="w")
    hits = kb.search("Shopify Stripe checkout price list", workspace_id="w")
    assert hits[0].citation.title == "Globex"
    assert hits[0].citation.source == site.url("/inject")
    assert hits[0].suspicious
    assert "ignore" not in hits[0].text.lower()
    assert all(p.citation.title != "Globex" for p in kb.search("checkout", workspace_id="w", safe_only=True))


def test_sqlite_cache_survives_a_new_fetcher(site: Site, client: httpx.Client, tmp_path: Path) -> None:
    path = str(tmp_path / "cache.sqlite")
    cache = FetchCache(path)
    WebFetcher(client, cache=cache, allow_private=True).fetch(site.url("/careers"))
    cache.close()
    before = site.hits["/careers"]
    again = WebFetcher(client, cache=FetchCache(path), allow_private=True).fetch(site.url("/careers"))
    assert again.from_cache
    assert "hiring" in again.text
    assert site.hits["/careers"] == before


def test_cache_entries_expire() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, text="<p>hi</p>", headers={"content-type": "text/html"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = WebFetcher(client, cache=FetchCache(ttl=60, clock=lambda: now[0]), clock=lambda: now[0])
        fetcher.fetch("https://example.com/page")
        now[0] += timedelta(seconds=59)
        assert fetcher.fetch("https://example.com/page").from_cache
        now[0] += timedelta(seconds=2)
        assert not fetcher.fetch("https://example.com/page").from_cache
    assert calls == ["/robots.txt", "/page", "/page"]
