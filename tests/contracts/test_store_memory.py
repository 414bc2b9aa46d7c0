"""The store contract on ``MemoryStore``, the reference backend."""

from __future__ import annotations

from tests.contracts.store_contract import StoreContract

from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore


class TestMemoryStore(StoreContract):
    def make_store(self) -> Store:
        return MemoryStore()
