"""Applying a batch of commits so that one commit's bad data fails only that commit.

The engine and the dispatcher both write a round's outcomes in one transaction. When the batch
raises because of one commit's data (a value the store cannot serialise, a document nested too
deep, a value the database refuses such as an over-long key), every commit is applied again on
its own: the one that raises is reported as its result, and every other commit lands. Any other
error (the store is down) still leaves the round, which is retried as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import DataError

from leadflow.state.base import Store
from leadflow.state.records import Commit

log = logging.getLogger(__name__)


def bad_data(exc: BaseException) -> bool:
    """Whether ``exc`` is about the data written, not the store itself; SQLAlchemy wraps such
    errors with the original."""
    data = (ValueError, TypeError, RecursionError, OverflowError)
    # the database refusing a value (PostgreSQL: too long for its column, a NUL byte) is about the data too
    return isinstance(exc, (*data, DataError)) or isinstance(getattr(exc, "orig", None), data)


def apply_isolating(store: Store, commits: Sequence[Commit]) -> list[Exception | None]:
    """``store.apply(commits)``, or, when that raises for one commit's data, each commit alone."""
    try:
        return store.apply(commits)
    except Exception as exc:
        if not bad_data(exc):
            raise
        log.warning("a batch of %d commits failed (%r): applying them one by one", len(commits), exc)
    results: list[Exception | None] = []
    for commit in commits:
        try:
            results += store.apply([commit])
        except Exception as exc:
            if not bad_data(exc):
                raise
            results.append(exc)
    return results
