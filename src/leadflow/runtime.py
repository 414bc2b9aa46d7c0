"""Wires a running leadflow from settings: store, bus, agents, routes, orchestrator, dispatcher, worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.agents import default_agents
from leadflow.agents.base import Agent, AgentContext
from leadflow.agents.send_ledger import StoreSendLedgers
from leadflow.bus import Bus, open_bus
from leadflow.domain.actions import ActionKind
from leadflow.domain.models import Campaign
from leadflow.integrations.calendar import StoreCalendars
from leadflow.integrations.channels import DeliveryChannel, TranscriptChannel
from leadflow.integrations.web.guard import open_web_fetcher
from leadflow.kb import CampaignKnowledge, knowledge_for
from leadflow.orchestrator.clock import SystemClock
from leadflow.orchestrator.dispatcher import Dispatcher
from leadflow.orchestrator.engine import Orchestrator
from leadflow.orchestrator.intake import Intake
from leadflow.orchestrator.registry import AgentRegistry
from leadflow.orchestrator.routes import RouteTable
from leadflow.orchestrator.runner import AgentRunner
from leadflow.orchestrator.worker import InboundSource, Worker
from leadflow.resilience import BreakerRegistry
from leadflow.settings import Settings
from leadflow.state import Store, open_store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    bus: Bus
    clock: Any
    registry: AgentRegistry
    routes: RouteTable
    orchestrator: Orchestrator
    dispatcher: Dispatcher
    worker: Worker
    intake: Intake
    llm: Any | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        store: Store | None = None,
        clock: Any | None = None,
        channel: DeliveryChannel | None = None,
        inbound: list[InboundSource] | None = None,
        agents: list[Agent] | None = None,
        llm: Any | None = None,
        extras: dict[str, Any] | None = None,
        campaign_kbs: dict[str, Any] | None = None,
    ) -> Runtime:
        settings.ensure_dirs()
        store = store or open_store(settings.db_url)
        clock = clock or SystemClock()
        if llm is None and settings.llm.enabled:
            from leadflow.llm import ModelRouter

            llm = ModelRouter.from_settings(settings.llm)
        bus = open_bus(settings.bus_url)
        routes = RouteTable.load(settings.routes_path)
        registry = AgentRegistry(agents if agents is not None else default_agents(llm=llm))
        breakers = BreakerRegistry(clock=lambda: clock.now().timestamp())
        runner = AgentRunner(breakers=breakers, use_llm=bool(llm is not None and getattr(llm, "available", False)))

        calendars = StoreCalendars(store)  # the built-in calendar: booked appointments in the store
        # sequencing's caps and rotation, counted in the store (shared by workers, kept across restarts);
        # plans may see other workers' sends up to 5 s late: the dispatcher's gate re-checks within 1 s
        ledgers = StoreSendLedgers(store, max_age=5.0)
        extras = {"send_ledger": ledgers, **(extras or {})}
        # each campaign reads its own knowledge (the main database: every worker sees it); only a
        # campaign named in ``campaign_kbs`` (the simulator's demo) gets another, e.g. the seed documents
        knowledge, own_kbs = knowledge_for(store), dict(campaign_kbs or {})
        if "fetcher" not in extras and settings.web_research:  # research reads prospects' sites in real runs
            extras["fetcher"] = open_web_fetcher(allow_private=settings.web_allow_private)

        def context(workspace_id: str, campaign: Campaign) -> AgentContext:
            kb = own_kbs.get(campaign.name) or CampaignKnowledge(knowledge, workspace_id, campaign.name)
            return AgentContext(clock=clock, campaign=campaign, workspace_id=workspace_id, llm=llm, extras=extras,
                                calendar=calendars.for_rep(workspace_id, campaign.rep_calendar), kb=kb)

        # a batch's plans are in the store once it commits: the ledger holds only the open batch's,
        # so a restarted worker plans exactly as one that never stopped
        orchestrator = Orchestrator(store=store, registry=registry, routes=routes, runner=runner,
                                    context_factory=context, clock=clock, after_batch=[ledgers.forget])
        out = channel or TranscriptChannel(settings.transcript_path)
        channels: dict[ActionKind, DeliveryChannel] = {
            ActionKind.SEND_EMAIL: out, ActionKind.SEND_SMS: out, ActionKind.SEND_LINKEDIN: out,
            ActionKind.NOTIFY_HUMAN: out,  # the rep's inbox; Slack/email notifiers come with integrations
        }
        dispatcher = Dispatcher(store=store, channels=channels, clock=clock, routed=routes.listens_to())
        worker = Worker(store=store, bus=bus, orchestrator=orchestrator, dispatcher=dispatcher, clock=clock,
                        inbound=inbound)
        intake = Intake(store=store, clock=clock)
        return cls(settings, store, bus, clock, registry, routes, orchestrator, dispatcher, worker, intake, llm)

    def close(self) -> None:
        self.bus.close()
        self.store.close()
