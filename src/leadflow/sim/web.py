"""Simulated company websites: the pages research reads in the demo, the bench and the tests.

:class:`SimWeb` answers ``fetch(url)`` like :class:`~leadflow.integrations.web.WebFetcher`, from
pages made up for each lead's company domain. Every company has a home page and an about
page (with its head count, ``attributes["employees"]`` where the lead has one); some have a
careers page (hiring) and a news page (a funding round or a partnership). What a page says is a
pure function of the domain, so a page reads the same however often and in whatever order it is
fetched. An unknown domain or a page the company does not have raises ``NotFound``, as a 404
would, and research records it and moves on.

Nothing here touches the network: this is how the offline demo shows tier A research reading
four pages, tier B one and tier C none.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from leadflow.domain.models import Lead
from leadflow.exceptions import NotFound
from leadflow.integrations.web import FetchedPage

FETCHED_AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
_TOOLS = ("HubSpot", "Salesforce", "Pipedrive", "Stripe", "Zendesk", "Slack")
_ROLES = ("Account Executives", "SDRs", "sales development representatives", "customer success managers")


class SimWeb:
    """Pages for the leads' company domains; ``fetched`` lists every URL asked for, in order."""

    def __init__(self, leads: Iterable[Lead]) -> None:
        self._sites: dict[str, Lead] = {}
        for lead in leads:
            domain = (lead.company_domain or "").lower().removeprefix("www.")
            if domain and domain not in self._sites:
                self._sites[domain] = lead
        self.fetched: list[str] = []

    def fetch(self, url: str) -> FetchedPage:
        """The page at ``url``.

        Raises:
            NotFound: The domain is not a lead's company, or the company has no such page.
        """
        self.fetched.append(url)
        parts = urlsplit(url)
        domain = (parts.hostname or "").lower().removeprefix("www.")
        lead = self._sites.get(domain)
        if lead is None:
            raise NotFound(f"no simulated site for {domain or url!r}")
        text = page(lead, domain, parts.path.rstrip("/") or "/")
        if text is None:
            raise NotFound(f"404: {url}")
        return FetchedPage(
            url=url,
            status=200,
            content_type="text/plain; charset=utf-8",
            content=text.encode(),
            fetched_at=FETCHED_AT,
        )


def page(lead: Lead, domain: str, path: str) -> str | None:
    """The text of ``path`` on the lead's company site, or ``None`` when it has no such page."""
    rng = random.Random(f"site:{domain}")  # one stream per site: every page is fixed by the domain
    company = lead.company or domain.split(".")[0].title()
    tool, other = rng.sample(_TOOLS, 2)
    employees = lead.attributes.get("employees")
    size = int(employees) if employees is not None else rng.randint(3, 60)
    city = str(lead.attributes.get("city") or "our home town")
    has_careers = rng.random() < 0.5
    news = rng.choices(("funding", "partnership", None), weights=(3, 3, 4))[0]
    raised, series, role = rng.randint(3, 40), rng.choice("AB"), rng.choice(_ROLES)
    pages = {
        "/": f"{company} helps growing teams answer every customer on time. "
        f"We run on {tool} and {other}. Our customers told us their follow-up was slow and manual.",
        "/about": f"About {company}. We are a team of {size} people based in {city}. "
        "We started the company to make selling simpler.",
        "/careers": f"Careers at {company}. We're hiring {rng.randint(2, 6)} {role} this quarter."
        if has_careers
        else None,
        "/news": {
            "funding": f"{company} raised ${raised}M in a Series {series} to grow its sales team.",
            "partnership": f"{company} announced a partnership with {other} this spring.",
            None: None,
        }[news],
    }
    return pages.get(path)
