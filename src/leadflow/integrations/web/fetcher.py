"""The research fetcher: polite, bounded, cached HTTP GETs of public web pages.

:class:`WebFetcher` is the only way leadflow reads the web. For every URL it:

1. accepts only ``http``/``https`` URLs with a host, and by default refuses hosts that
   are IP literals (in any spelling, "2130706433" included) in private, loopback or
   link-local ranges, or ``localhost``, so a lead's "website" cannot point the fetcher
   at internal services (robots.txt redirects get the same check);
2. answers from its :class:`FetchCache` when a fresh copy is there;
3. asks :class:`~leadflow.integrations.web.robots.RobotsCache` whether robots.txt
   allows the path (a disallowed path raises :class:`~leadflow.exceptions.Refused`);
4. follows at most ``max_redirects`` redirects itself, re-checking scheme, host and
   robots.txt at every hop (a redirect to ``file:``, ``ftp:`` and the like is refused);
5. streams the body and stops reading at ``max_bytes``.

**Oversized pages are truncated, not rejected**: the first ``max_bytes`` are kept and
``FetchedPage.truncated`` is True. Research wants what a page says near its top, and a
huge page is not an error in the data; callers that need a complete document (say, a PDF)
check the flag. Truncated pages are not cached.

Errors (from :mod:`leadflow.exceptions`): a timeout, connection failure or 5xx raises
``Unavailable``; 429 raises ``RateLimited``; 404/410 ``NotFound``; 401/403 and robots.txt
refusals ``Refused``; a bad URL, another 4xx or an unsupported content type ``InvalidInput``.

Limits: this class does not resolve hostnames, so a public name that resolves to a private
address is not caught here. Real runs build it with
:func:`leadflow.integrations.web.guard.open_web_fetcher`, whose transport resolves every
request's host (robots.txt and each redirect hop included) and refuses non-public addresses.
"""

from __future__ import annotations

import ipaddress
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from leadflow.exceptions import InvalidInput, NotFound, RateLimited, Refused, Unavailable
from leadflow.integrations.web.robots import RobotsCache

__all__ = ["DEFAULT_USER_AGENT", "FetchCache", "FetchedPage", "WebFetcher"]

DEFAULT_USER_AGENT = "leadflowbot/0.1 (+https://github.com/leadflow)"

_TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/json", "application/pdf")


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page.

    Attributes:
        url: The final URL, after redirects.
        status: The HTTP status (always 2xx: other statuses raise).
        content_type: The ``Content-Type`` header, e.g. ``"text/html; charset=utf-8"``.
        content: The body bytes (at most ``max_bytes``).
        fetched_at: When it was fetched from the network (UTC).
        from_cache: True when this copy came from the cache.
        truncated: True when the body was cut at ``max_bytes``.
    """

    url: str
    status: int
    content_type: str
    content: bytes
    fetched_at: datetime
    from_cache: bool = False
    truncated: bool = False

    @property
    def encoding(self) -> str:
        """The charset from ``Content-Type``, or UTF-8."""
        for param in self.content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with :attr:`encoding` (undecodable bytes replaced)."""
        try:
            return self.content.decode(self.encoding, errors="replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", errors="replace")


_CACHE_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetch_cache (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    fetched_at TEXT NOT NULL
)
"""


class FetchCache:
    """Fetched pages kept for ``ttl`` seconds, in memory and optionally in a SQLite file.

    The in-memory layer always exists; with ``path`` the pages also survive restarts
    (and are shared by processes that use the same file). Expiry is judged from
    ``fetched_at``, so an entry read back from the file expires on time.

    Args:
        path: SQLite file (or ``":memory:"``) for the persistent layer; None for none.
        ttl: Seconds a page stays fresh.
        clock: Returns the current UTC time.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        ttl: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ttl = timedelta(seconds=ttl)
        self._clock = clock
        self._memory: dict[str, FetchedPage] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute(_CACHE_SCHEMA)

    def _fresh(self, page: FetchedPage) -> bool:
        return self._clock() - page.fetched_at < self._ttl

    def get(self, key: str) -> FetchedPage | None:
        """Return the fresh page stored under ``key``, or None."""
        with self._lock:
            page = self._memory.get(key)
            if page is None and self._db is not None:
                row = self._db.execute(
                    "SELECT url, status, content_type, content, fetched_at FROM fetch_cache WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is not None:
                    page = FetchedPage(row[0], row[1], row[2], bytes(row[3]), datetime.fromisoformat(row[4]))
                    self._memory[key] = page
            if page is None:
                return None
            if not self._fresh(page):
                self._forget(key)
                return None
            return page

    def put(self, key: str, page: FetchedPage) -> None:
        """Store ``page`` under ``key``."""
        with self._lock:
            self._memory[key] = page
            if self._db is not None:
                with self._db:
                    self._db.execute(
                        "INSERT OR REPLACE INTO fetch_cache VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            page.url,
                            page.status,
                            page.content_type,
                            page.content,
                            page.fetched_at.isoformat(),
                        ),
                    )

    def _forget(self, key: str) -> None:
        self._memory.pop(key, None)
        if self._db is not None:
            with self._db:
                self._db.execute("DELETE FROM fetch_cache WHERE key = ?", (key,))

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._memory.clear()
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM fetch_cache")

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self._db is not None:
            self._db.close()
            self._db = None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address ``host`` spells, counting legacy forms ("2130706433", "127.1")."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton parses, it does not resolve: no lookup happens here.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None  # a name; see "Limits" in the module docstring


def _normalise(url: str) -> str:
    """Drop the fragment (never sent to a server) so cache keys match."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


class WebFetcher:
    """Fetches public pages politely: robots.txt, size and time limits, redirects, cache.

    Args:
        client: The ``httpx.Client`` to use (tests pass one with ``MockTransport``).
        user_agent: Sent with every request and matched against robots.txt.
        timeout: Seconds allowed for each network operation (connect, each read).
        max_bytes: Body bytes kept; the rest is not read (see module docstring).
        cache: Where fetched pages are kept; None gives a fresh in-memory cache.
        max_redirects: Redirect hops followed before giving up.
        total_timeout: Seconds for the whole body; defaults to three times ``timeout``
            (a server dripping one byte at a time must not hold a worker forever).
        allow_private: Allow loopback/private IP hosts (tests and intranet setups).
        clock: Returns the current UTC time (for ``fetched_at`` and cache expiry).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 5.0,
        max_bytes: int = 2_000_000,
        cache: FetchCache | None = None,
        max_redirects: int = 5,
        total_timeout: float | None = None,
        allow_private: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._user_agent = user_agent
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._cache = cache if cache is not None else FetchCache(clock=clock)
        self._max_redirects = max_redirects
        self._total_timeout = total_timeout if total_timeout is not None else 3 * timeout
        self._allow_private = allow_private
        self._clock = clock
        self.robots = RobotsCache(client, user_agent=user_agent, timeout=timeout, check_url=self._check_url)

    def fetch(self, url: str) -> FetchedPage:
        """Fetch ``url`` (or return the cached copy).

        Raises:
            InvalidInput: Not an http(s) URL, a 4xx other than those below, or a content
                type that is not text, HTML, XML, JSON or PDF.
            Refused: robots.txt disallows it, a private host, a redirect to another
                scheme, or 401/403.
            NotFound: 404 or 410.
            RateLimited: 429.
            Unavailable: Timeout, connection failure, 5xx, too many redirects.
        """
        key = _normalise(url)
        self._check_url(key)
        cached = self._cache.get(key)
        if cached is not None:
            return replace(cached, from_cache=True)
        page = self._fetch_following_redirects(key)
        if not page.truncated:
            self._cache.put(key, page)
        return page

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise InvalidInput(f"only http and https URLs can be fetched, not {url!r}")
        host = parts.hostname
        if not host:
            raise InvalidInput(f"URL has no host: {url!r}")
        if self._allow_private:
            return
        if host == "localhost" or host.endswith(".localhost"):
            raise Refused(f"refusing to fetch a local address: {host}")
        address = _ip_literal(host)
        if address is not None and not address.is_global:
            raise Refused(f"refusing to fetch a non-public address: {host}")

    def _fetch_following_redirects(self, url: str) -> FetchedPage:
        current = url
        for _ in range(self._max_redirects + 1):
            if not self.robots.allowed(current):
                raise Refused(f"robots.txt disallows {current} for {self._user_agent}")
            location, page = self._get(current)
            if page is not None:
                return page
            target = urljoin(current, location)
            if urlsplit(target).scheme not in ("http", "https"):
                raise Refused(f"{current} redirects to a non-HTTP URL; not following")
            current = _normalise(target)
            self._check_url(current)
        raise Unavailable(f"more than {self._max_redirects} redirects from {url}")

    def _get(self, url: str) -> tuple[str, FetchedPage | None]:
        """One GET: return ``(location, None)`` for a redirect, ``("", page)`` otherwise."""
        headers = {
            "User-Agent": self._user_agent,
            "Accept": "text/html,application/xhtml+xml,text/*;q=0.9,*/*;q=0.5",
        }
        started = time.monotonic()
        try:
            with self._client.stream(
                "GET", url, headers=headers, timeout=self._timeout, follow_redirects=False
            ) as response:
                if response.is_redirect:
                    return response.headers.get("location", ""), None
                self._check_status(url, response.status_code)
                content_type = response.headers.get("content-type", "application/octet-stream")
                self._check_content_type(url, content_type)
                body = bytearray()
                truncated = False
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self._max_bytes:
                        del body[self._max_bytes :]
                        truncated = True
                        break
                    if time.monotonic() - started > self._total_timeout:
                        raise Unavailable(f"{url} is too slow (over {self._total_timeout:g}s)")
                status = response.status_code
        except httpx.TimeoutException as exc:
            raise Unavailable(f"timed out fetching {url}") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot fetch {url}: {exc.__class__.__name__}") from exc
        page = FetchedPage(
            url=url,
            status=status,
            content_type=content_type,
            content=bytes(body),
            fetched_at=self._clock(),
            truncated=truncated,
        )
        return "", page

    @staticmethod
    def _check_status(url: str, status: int) -> None:
        if 200 <= status < 300:
            return
        if status == 429:
            raise RateLimited(f"{url} answered 429 Too Many Requests")
        if status in (404, 410):
            raise NotFound(f"{url} answered {status}")
        if status in (401, 403):
            raise Refused(f"{url} answered {status}")
        if status >= 500:
            raise Unavailable(f"{url} answered {status}")
        raise InvalidInput(f"{url} answered {status}")

    @staticmethod
    def _check_content_type(url: str, content_type: str) -> None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+xml"):
            return
        raise InvalidInput(f"{url} is {media!r}, not a text, HTML, XML, JSON or PDF document")
