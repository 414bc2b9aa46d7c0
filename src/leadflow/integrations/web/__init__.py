"""Researching leads on the web: a polite fetcher and rule-based signal extraction.

``WebFetcher`` reads public pages (robots.txt, size, time and redirect limits, a cache);
``extract_signals`` turns a page's text and a lead's own fields into typed ``Signal``s.
Page text is data: instruction-like sentences are dropped, never passed on.

Example::

    >>> signals = extract_signals("Acme raised $12M in a Series A.", url="https://acme.test", lead_fields={})
    >>> signals[0].kind
    <SignalKind.FUNDING: 'funding'>
"""

from __future__ import annotations

from leadflow.integrations.web.fetcher import DEFAULT_USER_AGENT, FetchCache, FetchedPage, WebFetcher
from leadflow.integrations.web.robots import RobotsCache, robots_url
from leadflow.integrations.web.signals import Signal, SignalKind, extract_signals, page_text

__all__ = [
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
