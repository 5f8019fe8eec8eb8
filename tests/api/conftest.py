from __future__ import annotations

import pytest

from tests.api.api_data import D, build


@pytest.fixture
def world(tenants, monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())
    return build(tenants)
