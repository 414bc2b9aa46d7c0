"""WebFetcher with httpx.MockTransport: robots.txt edge cases and header handling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

import leadflow.integrations.web
from leadflow.exceptions import Refused, Unavailable
from leadflow.integrations.web import FetchedPage, WebFetcher

Handler = Callable[[httpx.Request], httpx.Response]


def site(robots: httpx.Response | Exception, pages: dict[str, httpx.Response]) -> tuple[Handler, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/robots.txt":
            if isinstance(robots, Exception):
                raise robots
            return robots
        return pages.get(request.url.path, httpx.Response(404))

    return handler, seen


def html(body: str, charset: str = "utf-8") -> httpx.Response:
    return httpx.Response(
        200, content=body.encode(charset), headers={"content-type": f"text/html; charset={charset}"}
    )


def test_public_api_is_pinned() -> None:
    assert sorted(leadflow.integrations.web.__all__) == [
        "DEFAULT_USER_AGENT",
        "FetchCache",
        "FetchedPage",
        "RobotsCache",
        "Signal",
        "SignalKind",
        "WebFetcher",
        "extract_signals",
        "page_text",
        "robots_url",
    ]


def test_missing_robots_txt_allows_everything() -> None:
    handler, seen = site(httpx.Response(404), {"/a": html("<p>a</p>")})
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert WebFetcher(client).fetch("https://example.com/a").text == "<p>a</p>"
    assert seen == ["/robots.txt", "/a"]


def test_robots_server_error_makes_the_host_unavailable_and_is_retried() -> None:
    handler, seen = site(httpx.Response(503), {"/a": html("<p>a</p>")})
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = WebFetcher(client)
        for _ in range(2):
            with pytest.raises(Unavailable):
                fetcher.fetch("https://example.com/a")
    assert seen == ["/robots.txt", "/robots.txt"]  # the page itself was never requested


def test_robots_connection_error_is_unavailable() -> None:
    handler, _ = site(httpx.ConnectError("refused"), {})
    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(Unavailable):
        WebFetcher(client).fetch("https://example.com/a")


def test_robots_allow_overrides_broader_disallow_for_our_agent() -> None:
    robots = httpx.Response(200, text="User-agent: leadflowbot\nAllow: /blog/\nDisallow: /\n")
    handler, _ = site(robots, {"/blog/post": html("<p>post</p>"), "/shop": html("<p>shop</p>")})
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = WebFetcher(client)
        assert fetcher.fetch("https://example.com/blog/post").status == 200
        with pytest.raises(Refused):
            fetcher.fetch("https://example.com/shop")


def test_charset_from_content_type_is_used() -> None:
    handler, _ = site(httpx.Response(404), {"/de": html("<p>Größe</p>", charset="latin-1")})
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        page = WebFetcher(client).fetch("https://example.com/de")
    assert page.encoding == "latin-1"
    assert page.text == "<p>Größe</p>"


def test_unknown_charset_falls_back_to_utf8() -> None:
    page = FetchedPage(
        url="https://example.com/",
        status=200,
        content_type="text/plain; charset=klingon",
        content="ok ✓".encode(),
        fetched_at=datetime.now(UTC),
    )
    assert page.text == "ok ✓"


def test_redirect_to_ftp_is_refused() -> None:
    handler, _ = site(
        httpx.Response(404), {"/go": httpx.Response(301, headers={"location": "ftp://example.com/f"})}
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(Refused):
        WebFetcher(client).fetch("https://example.com/go")


def test_redirect_to_a_private_address_is_refused() -> None:
    handler, seen = site(
        httpx.Response(404), {"/go": httpx.Response(302, headers={"location": "http://127.0.0.1/admin"})}
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(Refused):
        WebFetcher(client).fetch("https://example.com/go")
    assert "/admin" not in seen


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f.0.0.1", "[::1]", "0.0.0.0"])
def test_odd_spellings_of_private_addresses_are_refused(host: str) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(Refused):
            WebFetcher(client).fetch(f"http://{host}/")


def test_robots_redirect_to_a_private_address_is_not_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "example.com" and request.url.path == "/robots.txt":
            return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data"})
        return html("<p>page</p>")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert WebFetcher(client).fetch("https://example.com/a").text == "<p>page</p>"
    assert seen == ["https://example.com/robots.txt", "https://example.com/a"]


def test_robots_redirect_to_another_public_host_is_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt" and request.url.host == "example.com":
            return httpx.Response(301, headers={"location": "https://cdn.example.net/robots.txt"})
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /secret\n")
        return html("<p>page</p>")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = WebFetcher(client)
        assert fetcher.fetch("https://example.com/a").status == 200
        with pytest.raises(Refused):
            fetcher.fetch("https://example.com/secret")
