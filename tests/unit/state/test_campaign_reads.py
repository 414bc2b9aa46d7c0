"""SqlStore.get_campaign parses a campaign again only when its stored document changed."""

from __future__ import annotations

from pathlib import Path

from leadflow.domain.models import Campaign
from leadflow.state.sql import SqlStore


def test_a_campaign_changed_by_another_store_is_read_afresh(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    worker, api = SqlStore(url), SqlStore(url)  # two processes on one file, as serve and a worker
    try:
        api.save_campaign("w1", Campaign(name="spring", offer="a demo"))
        first = worker.get_campaign("w1", "spring")
        assert worker.get_campaign("w1", "spring") is first  # unchanged: not parsed again
        api.save_campaign("w1", Campaign(name="spring", offer="a free audit"))
        changed = worker.get_campaign("w1", "spring")
        assert changed.offer == "a free audit" and changed is not first
    finally:
        worker.close()
        api.close()


def test_workspaces_do_not_share_a_campaign_of_the_same_name(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        store.save_campaign("w1", Campaign(name="spring", offer="one"))
        store.save_campaign("w2", Campaign(name="spring", offer="two"))
        assert store.get_campaign("w1", "spring").offer == "one"
        assert store.get_campaign("w2", "spring").offer == "two"
        assert store.get_campaign("w1", "spring").offer == "one"
    finally:
        store.close()
