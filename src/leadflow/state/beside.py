"""Stores kept beside a lead store: one per lead store, on its engine when it has one.

API keys, webhook secrets and campaign knowledge live in the same database as the leads but
behind interfaces of their own. ``Beside`` gives each lead store exactly one companion of a
kind, created on first use and kept while the lead store lives, so the API, the command line
and the agents of one process share it (and any cache it holds): the SQL backend on a
``SqlStore``'s engine, the in-memory one otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from leadflow.state.base import Store

T = TypeVar("T")


class Beside(Generic[T]):
    """``beside(store)``: the one companion of ``store``, ``sql(engine)`` or ``memory()``."""

    def __init__(self, *, sql: Callable[[Engine], T], memory: Callable[[], T]) -> None:
        self._sql = sql
        self._memory = memory
        self._lock = threading.Lock()
        self._by_store: WeakKeyDictionary[Store, T] = WeakKeyDictionary()

    def __call__(self, store: Store) -> T:
        with self._lock:
            found = self._by_store.get(store)
            if found is None:
                engine = getattr(store, "engine", None)
                found = self._sql(engine) if isinstance(engine, Engine) else self._memory()
                self._by_store[store] = found
            return found
