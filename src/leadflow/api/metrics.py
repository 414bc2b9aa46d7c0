"""The API's Prometheus counters: one registry per workspace, per app (so tests can build many apps).

``/metrics`` shows the caller's workspace's counters only: a key of one workspace learns
nothing of another's traffic (issue 10).
"""

from __future__ import annotations

import threading

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


class WorkspaceMetrics:
    """One ``ApiMetrics`` per workspace, made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workspace: dict[str, ApiMetrics] = {}

    def of(self, workspace: str) -> ApiMetrics:
        with self._lock:
            found = self._by_workspace.get(workspace)
            if found is None:
                found = self._by_workspace[workspace] = ApiMetrics()
            return found
