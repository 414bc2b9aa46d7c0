"""Contract suites: one abstract test class per interface; every backend subclasses it.

``store_contract.StoreContract`` and ``bus_contract.BusContract`` hold the scenarios; the
``test_*`` modules beside them only say how to build each backend (eventsourcing's
``tests/persistence.py`` style).
"""

import pytest

# The contract modules are imported by the test modules, not collected: ask pytest to
# rewrite their asserts so a failing scenario shows the values it compared.
pytest.register_assert_rewrite("tests.contracts.store_contract", "tests.contracts.bus_contract")
