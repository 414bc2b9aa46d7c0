"""robots.txt for the research fetcher: fetch once per host, cache, answer "may I?".

:class:`RobotsCache` follows RFC 9309 as far as ``urllib.robotparser`` allows:

* 2xx: the file is parsed and its rules for our user agent apply;
* 4xx (no robots.txt, or forbidden): everything is allowed;
* a redirect is followed (up to five hops) only to an http(s) URL the fetcher would
  itself request; otherwise the file counts as missing;
* 5xx or a network failure: the host is treated as unreachable and
  :class:`~leadflow.exceptions.Unavailable` is raised (nothing is cached, so a later
  call tries again); RFC 9309 says to assume full disallow in that case, and not
  fetching at all is the strictest reading of that.

Parsed files are cached per ``scheme://host:port`` for ``ttl`` seconds (RFC 9309 caps this
at 24 hours) and at most :data:`MAX_ROBOTS_BYTES` of a file are read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from leadflow.exceptions import LeadflowError, Unavailable

__all__ = ["MAX_ROBOTS_BYTES", "RobotsCache", "robots_url"]

MAX_ROBOTS_BYTES = 500 * 1024
_MAX_REDIRECTS = 5


def robots_url(url: str) -> str:
    """Return the robots.txt URL for the host serving ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


@dataclass
class _Entry:
    parser: RobotFileParser
    expires: float


class RobotsCache:
    """Answers whether a user agent may fetch a URL, reading each host's robots.txt once.

    Args:
        client: The HTTP client to fetch robots.txt with (the fetcher's own).
        user_agent: Our user agent; its product token (before ``/``) is matched against
            ``User-agent`` lines.
        timeout: Seconds for the robots.txt request.
        ttl: Seconds a parsed robots.txt stays valid.
        monotonic: Clock for expiry (injectable for tests).
        check_url: Raises a ``LeadflowError`` for a URL that must not be requested; a
            robots.txt redirect to such a URL is treated as "no robots.txt" (404).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        user_agent: str,
        timeout: float = 5.0,
        ttl: float = 24 * 3600,
        monotonic: Callable[[], float] = time.monotonic,
        check_url: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._user_agent = user_agent
        self._timeout = timeout
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._check_url = check_url

    def allowed(self, url: str) -> bool:
        """Return True when robots.txt lets our user agent fetch ``url``.

        Raises:
            Unavailable: If robots.txt could not be fetched (timeout, 5xx, connection).
        """
        parser = self._parser(robots_url(url))
        return parser.can_fetch(self._user_agent, url)

    def crawl_delay(self, url: str) -> float | None:
        """Return the ``Crawl-delay`` for our user agent on ``url``'s host, if any."""
        delay = self._parser(robots_url(url)).crawl_delay(self._user_agent)
        return float(delay) if delay is not None else None

    def _parser(self, location: str) -> RobotFileParser:
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(location)
            if entry is not None and entry.expires > now:
                return entry.parser
        parser = self._load(location)
        with self._lock:
            self._entries[location] = _Entry(parser, now + self._ttl)
        return parser

    def _load(self, location: str) -> RobotFileParser:
        parser = RobotFileParser(location)
        current = location
        status = 0
        body = bytearray()
        try:
            # RFC 9309 asks crawlers to follow at least five redirects. They are followed
            # here one by one so every hop passes the same URL check as a page would.
            for _ in range(_MAX_REDIRECTS + 1):
                with self._client.stream(
                    "GET",
                    current,
                    headers={"User-Agent": self._user_agent, "Accept": "text/plain"},
                    timeout=self._timeout,
                    follow_redirects=False,
                ) as response:
                    status = response.status_code
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        if not self._follow(current):
                            status = 404  # an unfollowable redirect: as if there were no file
                            break
                        continue
                    if 200 <= status < 300:
                        for piece in response.iter_bytes():
                            body += piece
                            if len(body) >= MAX_ROBOTS_BYTES:
                                break
                    break
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot fetch {location}: {exc.__class__.__name__}") from exc
        if status >= 500:
            raise Unavailable(f"{location} answered {status}; not crawling that host now")
        # Anything but 2xx (after redirects) means "no robots.txt": an empty file allows all.
        text = bytes(body[:MAX_ROBOTS_BYTES]).decode("utf-8", errors="replace") if 200 <= status < 300 else ""
        parser.parse(text.splitlines())
        return parser

    def _follow(self, url: str) -> bool:
        """Return True when a robots.txt redirect to ``url`` may be followed."""
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        if self._check_url is None:
            return True
        try:
            self._check_url(url)
        except LeadflowError:
            return False
        return True
