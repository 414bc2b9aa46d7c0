"""The auth-store contract beside ``MemoryStore``."""

from __future__ import annotations

from tests.contracts.auth_contract import AuthStoreContract

from leadflow.state.base import Store
from leadflow.state.memory import MemoryStore


class TestMemoryAuthStore(AuthStoreContract):
    def make_store(self) -> Store:
        return MemoryStore()
