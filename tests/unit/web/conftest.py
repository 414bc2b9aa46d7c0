"""Fixtures for the web tests: the local company site (see ``local_site``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_site import Site, serve


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """Serve the company site on 127.0.0.1 for the tests of one module."""
    holder, server = serve()
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()
