"""Warm-up: a worker has its agents load their offline models before its first round."""

from __future__ import annotations

from typing import Any, ClassVar

from leadflow.agents.base import AgentCard
from leadflow.orchestrator.registry import AgentRegistry


class _Agent:
    card: ClassVar[AgentCard] = AgentCard(name="warm", description="d", capabilities=["x"])

    def __init__(self) -> None:
        self.warmed = 0

    def handle(self, ctx: Any, state: Any, event: Any) -> Any:
        raise AssertionError("not called")

    def warm_up(self) -> None:
        self.warmed += 1


class _Cold:
    card: ClassVar[AgentCard] = AgentCard(name="cold", description="d", capabilities=["y"])

    def handle(self, ctx: Any, state: Any, event: Any) -> Any:
        raise AssertionError("not called")


def test_registry_warms_the_agents_that_can() -> None:
    warm = _Agent()
    AgentRegistry([warm, _Cold()]).warm_up()  # an agent without warm_up is left alone
    assert warm.warmed == 1


def test_worker_warm_up_trains_the_reply_model(tmp_path: Any) -> None:
    from leadflow.reply.intent import default_model
    from leadflow.runtime import Runtime
    from leadflow.settings import Settings

    runtime = Runtime.build(Settings(db_url=f"sqlite:///{tmp_path / 'w.db'}", transcript_path=str(tmp_path / "t")))
    try:
        default_model.cache_clear()
        runtime.worker.warm_up()
        assert default_model.cache_info().currsize == 1  # the first reply finds it trained
    finally:
        runtime.close()
