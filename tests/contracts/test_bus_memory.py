"""The bus contract on ``InProcessBus``, the embedded default."""

from __future__ import annotations

from tests.contracts.bus_contract import BusContract, Recorder, event

from leadflow.bus import open_bus
from leadflow.bus.base import Bus
from leadflow.bus.memory import InProcessBus


class TestInProcessBus(BusContract):
    def make_bus(self) -> Bus:
        return open_bus("memory://")

    def test_failures_are_counted(self) -> None:
        bus = InProcessBus()
        bus.subscribe("*", Recorder(fail_on=frozenset({"e1"})))
        bus.publish([event("e1"), event("e2")])
        assert bus.drain() == 1
        assert bus.errors == 1

    def test_it_listens_only_while_something_subscribes(self) -> None:
        bus = InProcessBus()
        assert not bus.listening()  # the relay then marks events published without reading them
        bus.subscribe("lead.*", Recorder())
        assert bus.listening()
