"""The research fetcher in real runs: an httpx transport that refuses non-public addresses.

:class:`WebFetcher` already refuses URLs whose host *spells* a private address. A public-looking
name can still resolve to one (``intranet.acme.com`` -> 10.0.0.5, a DNS name pointing at
127.0.0.1), so real runs send every request through :class:`PublicOnlyTransport`: before each
request (robots.txt, each page, each redirect hop: the fetcher follows redirects itself, one
request per hop) it resolves the host and refuses the request with
:class:`~leadflow.exceptions.Refused` when *any* resolved address is private, loopback,
link-local, reserved, multicast or unspecified (checked with :mod:`ipaddress`). Names under
the special-use domains that never resolve publicly (``.localhost``, ``.local``, ``.internal``,
``.test``, ``.example``, ``.invalid``) are refused without a lookup. A name that does not
resolve raises :class:`~leadflow.exceptions.Unavailable`, like any network failure: research
goes on without the page.

``allow_private=True`` (the ``web_allow_private`` setting; tests use it to reach a local
server) turns the address check off; the scheme and size limits of the fetcher still apply.

The request then goes to the address that was checked, not to the name (the URL's host becomes
that address; the ``Host`` header and, for HTTPS, the TLS server name and certificate check
stay the name's), so a DNS server answering differently a moment later (DNS rebinding) cannot
redirect the connection to an internal address.

Example::

    >>> guard = PublicOnlyTransport(resolve=lambda host, port: ["10.0.0.5"])
    >>> try:
    ...     guard.check("intranet.acme.com", 443)
    ... except Refused as exc:
    ...     print(exc)
    refusing to fetch intranet.acme.com: it resolves to a non-public address (10.0.0.5)
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx

from leadflow.exceptions import Refused, Unavailable
from leadflow.integrations.web.fetcher import DEFAULT_USER_AGENT, FetchCache, WebFetcher

__all__ = ["PublicOnlyTransport", "is_public", "open_web_fetcher", "resolve_host"]

Resolver = Callable[[str, int], Sequence[str]]

_SPECIAL_USE = ("localhost", "local", "internal", "test", "example", "invalid", "home.arpa")


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), via the system resolver.

    Raises:
        Unavailable: If the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unavailable(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """True when ``address`` is a global unicast address (not private, loopback, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
        or ip.is_unspecified or not ip.is_global
    )


class PublicOnlyTransport(httpx.BaseTransport):
    """Wraps a transport; refuses requests to hosts that are or resolve to non-public addresses.

    Args:
        inner: The transport that sends the request (default ``httpx.HTTPTransport()``).
        allow_private: Skip the address check (tests, intranet deployments).
        resolve: ``(host, port) -> addresses``; the system resolver by default.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        allow_private: bool = False,
        resolve: Resolver = resolve_host,
    ) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._allow_private = allow_private
        self._resolve = resolve

    def check(self, host: str, port: int) -> str | None:
        """Raise ``Refused`` unless every address of ``host`` is public (``Unavailable``: no address).

        Returns:
            The (checked) address to connect to, or None when the check is off.
        """
        if self._allow_private:
            return None
        name = host.strip("[]").rstrip(".").lower()
        if name in _SPECIAL_USE or name.endswith(tuple(f".{d}" for d in _SPECIAL_USE)):
            raise Refused(f"refusing to fetch {host}: a special-use name, not a public site")
        try:
            addresses: Sequence[str] = [str(ipaddress.ip_address(name))]
        except ValueError:
            addresses = self._resolve(name, port)
        if not addresses:
            raise Unavailable(f"cannot resolve {host}")
        private = [a for a in addresses if not is_public(a)]
        if private:
            raise Refused(f"refusing to fetch {host}: it resolves to a non-public address ({', '.join(private)})")
        return addresses[0]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        address = self.check(request.url.host, port)
        if address is None or address == request.url.host:
            return self._inner.handle_request(request)
        # connect to the address just checked; the name stays in Host and in TLS (SNI, certificate)
        pinned = httpx.Request(
            request.method, request.url.copy_with(host=address), headers=request.headers, stream=request.stream,
            extensions={**request.extensions, "sni_hostname": request.url.host},
        )
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        self._inner.close()


def open_web_fetcher(
    *,
    allow_private: bool = False,
    timeout: float = 5.0,
    max_bytes: int = 2_000_000,
    cache_path: str | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
    resolve: Resolver = resolve_host,
    inner: httpx.BaseTransport | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WebFetcher:
    """The fetcher real runs give the research agent: robots.txt, limits, cache, public hosts only.

    Args:
        allow_private: Let it reach private, loopback and link-local hosts (the
            ``web_allow_private`` setting).
        timeout: Seconds per network operation.
        max_bytes: Body bytes kept per page.
        cache_path: A SQLite file for the page cache (None: in memory only).
        user_agent: Sent with every request and matched against robots.txt.
        resolve: The resolver the address check uses (tests inject one).
        inner: The transport beneath the guard (tests may pass a mock).
        clock: Current UTC time, for the cache.
    """
    transport = PublicOnlyTransport(inner, allow_private=allow_private, resolve=resolve)
    client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
    return WebFetcher(client, user_agent=user_agent, timeout=timeout, max_bytes=max_bytes,
                      cache=FetchCache(cache_path, clock=clock), allow_private=allow_private, clock=clock)
