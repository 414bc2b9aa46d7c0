"""The API's Prometheus counters, in a registry of their own per app (so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class ApiMetrics:
    """Counters of what the API accepted: leads created and seen again, replies, rejects."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.leads_created = Counter("leadflow_leads_created", "Leads created through the API",
                                     registry=self.registry)
        self.leads_duplicate = Counter("leadflow_leads_duplicate", "Lead posts that matched an existing lead",
                                       registry=self.registry)
        self.replies_received = Counter("leadflow_replies_received", "Replies recorded through the API",
                                        ["duplicate"], registry=self.registry)
        self.rejects = Counter("leadflow_rejects", "Bad input kept as a reject", ["source"],
                               registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
