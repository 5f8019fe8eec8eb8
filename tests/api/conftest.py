from __future__ import annotations

import pytest

from tests.api.api_data import D, build


@pytest.fixture
def world(tenants, monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())
    return build(tenants)


@pytest.fixture
def usage_world(world):
    """The world with usage (tests.api.api_data.add_usage)."""
    from tests.api.api_data import add_usage

    return add_usage(world)
