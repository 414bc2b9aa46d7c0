"""The agent registry: agents by name and by capability; the orchestrator picks from it."""

from __future__ import annotations

from leadflow.agents.base import Agent, AgentCard
from leadflow.exceptions import ConfigError


class AgentRegistry:
    def __init__(self, agents: list[Agent] | None = None) -> None:
        self._agents: dict[str, Agent] = {}
        for agent in agents or []:
            self.register(agent)

    def register(self, agent: Agent) -> None:
        name = agent.card.name
        if name in self._agents:
            raise ConfigError(f"two agents named {name!r}")
        self._agents[name] = agent

    def get(self, ref: str) -> Agent:
        """``ref`` is an agent name or ``capability:NAME`` (the first agent that has it)."""
        if ref.startswith("capability:"):
            wanted = ref.split(":", 1)[1]
            for agent in self._agents.values():
                if wanted in agent.card.capabilities:
                    return agent
            raise ConfigError(f"no registered agent has capability {wanted!r}")
        try:
            return self._agents[ref]
        except KeyError:
            raise ConfigError(
                f"no agent named {ref!r}; registered: {', '.join(sorted(self._agents))}"
            ) from None

    def by_capability(self, capability: str) -> list[Agent]:
        return [a for a in self._agents.values() if capability in a.card.capabilities]

    def cards(self) -> list[AgentCard]:
        return [a.card for a in self._agents.values()]

    def names(self) -> list[str]:
        return sorted(self._agents)

    def warm_up(self) -> None:
        """Let each agent that has a ``warm_up()`` load its models and data now (a worker does
        this once at start, so its first leads are not the slow ones)."""
        for agent in self._agents.values():
            warm = getattr(agent, "warm_up", None)
            if callable(warm):
                warm()

    def check(self, refs: set[str]) -> None:
        for ref in sorted(refs):
            self.get(ref)
