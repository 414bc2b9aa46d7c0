"""The dispatch-time sending policy: send windows, out-of-office, mailbox daily caps, domain hourly caps.

Agents plan each message's time and mailbox (:func:`leadflow.agents.sequencing.plan_send`), but
plans are made before other leads' sends commit, by several processes, and a lead may go
out of office after its follow-up was planned. So the dispatcher asks the gate again when a send
is due, the same way it checks suppression: :meth:`SendGate.hold` says "not now, at this moment
instead", and the dispatcher re-schedules the action without counting an attempt.

Counts come from the store (what already went out) plus the sends of the current dispatcher
pass that are delivered but not yet committed; :meth:`SendGate.settle` drops the latter once the
pass's batch is committed. A lead whose campaign is unknown has no policy to enforce.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.agents.send_ledger import StoreSendLedgers
from leadflow.agents.sequencing import SendPlan, dispatch_plan
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Campaign, LeadState
from leadflow.domain.timezones import lead_zones
from leadflow.exceptions import NotFound
from leadflow.state.base import Store
from leadflow.state.records import ActionRow
from leadflow.state.sends import send_keys

#: Messages to the prospect that sending policy governs (LinkedIn has its own limits).
GATED = frozenset({ActionKind.SEND_EMAIL, ActionKind.SEND_SMS})


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class SendGate:
    """Windows and caps checked when a send is due. Not thread-safe: one per dispatcher."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ledgers = StoreSendLedgers(store, include_scheduled=False)
        self._campaigns: dict[tuple[str, str], Campaign | None] = {}
        self._claimed: set[tuple[str, str, str]] = set()  # send keys claimed in this pass

    def _campaign(self, workspace_id: str, name: str) -> Campaign | None:
        key = (workspace_id, name)
        if key not in self._campaigns:
            try:
                self._campaigns[key] = self.store.get_campaign(workspace_id, name)
            except NotFound:
                self._campaigns[key] = None
        return self._campaigns[key]

    def claim(self, row: ActionRow) -> bool:
        """Claim the send's mailbox and recipient domain for this pass (several worker processes:
        one at a time counts and sends for a mailbox or domain, so together they keep its caps).
        False: another worker holds one, leave the send for a later pass. Once claimed, the counts
        are read from the store again, with what the other workers committed."""
        if row.action.kind not in GATED:
            return True
        mailbox, domain = send_keys(row.action)
        keys = {
            (row.workspace_id, kind, key) for kind, key in (("mailbox", mailbox), ("domain", domain)) if key
        }
        fresh = keys - self._claimed
        if not fresh:
            return True
        claimed = self.store.claim_send_keys(fresh)
        if claimed is None:  # one writer: nothing to keep out, and the counts are this process's own
            return True
        if not claimed:
            return False
        self._claimed |= fresh
        for workspace_id, kind, key in fresh:
            self.ledgers.forget_counts(workspace_id, kind, key)
        return True

    def hold(self, row: ActionRow, state: LeadState, now: datetime) -> SendPlan | None:
        """``None`` when the send may go now (it is then counted), else the plan to wait for."""
        if row.action.kind not in GATED:
            return None
        campaign = self._campaign(row.workspace_id, state.campaign)
        if campaign is None:
            return None
        mailbox, domain = send_keys(row.action)
        plan = dispatch_plan(
            now=now,
            campaign=campaign,
            mailbox=mailbox,
            recipient_tz=state.lead.timezone,
            recipient_zones=lead_zones(state.lead),
            recipient_domain=domain,
            paused_until=state.paused_until,
            ledger=self.ledgers.scoped(row.workspace_id),
        )
        return plan if plan.at > now.astimezone(UTC) else None

    def restamp(self, row: ActionRow, now: datetime) -> bool:
        """True when a send going out now is counted in another hour than now (it was due earlier).

        Caps count a send at its ``not_before`` (or ``created_at``): the dispatcher moves such a
        send's time to now before delivering it, so a backlog sent after an outage counts today.
        """
        if row.action.kind not in GATED or send_keys(row.action) == (None, None):
            return False
        when = row.action.not_before or row.created_at
        return _hour(when) != _hour(now)

    def settle(self) -> None:
        """The pass's deliveries are committed (or refused): count from the store alone again."""
        self.ledgers.forget()
        self._campaigns.clear()
        self._claimed.clear()
