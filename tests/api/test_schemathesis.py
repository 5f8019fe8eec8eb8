"""Schemathesis 4 against the live server and its live schema, with a valid read-write
key, on every operation: no 5xx, and every response conforms to the documented schema
(status code, content type, body). Bounded: 20 generated cases per operation (valid
and invalid input), no shrinking, no deadline.

Data come from tests.api.api_data (written through the maintenance alias and
committed), usage included (`usage_world`: T-001 has usage in every range), so lists,
details, usage reports and writes meet real rows; generated writes change them
as they go, which is fine: every answer must still be a documented one.

schemathesis.pytest.from_fixture() would parametrize the test by operation, but its
runner needs pytest's private `Node._nodeid`, gone in pytest 9: the operations are
walked here instead, each with a Hypothesis test built from `operation.as_strategy()`.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import committed_db

pytestmark = committed_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 20
CONFIG = {"generation": {"with-security-parameters": False}}


def test_every_operation_conforms_to_the_schema(live_server, usage_world, settings):
    world = usage_world
    # Hundreds of calls in a minute: the per-key limit is for integrators, not for this.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": None, "api_user": None, "imports": None},
    }
    schema = schemathesis.openapi.from_url(
        live_server.url + "/api/schema/", config=schemathesis.Config.from_dict(CONFIG)
    )
    headers = {"Authorization": f"Api-Key {world.keys['a_write']}"}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert len(operations) >= 30

    # Random path values only ever meet 404s: a third of the cases use existing objects.
    quote = world.api("a_write").post("/api/v1/quotes/", {"team": "T-002"}).json()["number"]
    known = {
        "team": "T-001",
        "csn": "C-ACME",
        "id": str(world.contacts["a"].pk),
        "order_number": "A-LOW-1",
    }

    failures: list[str] = []
    for operation in operations:
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        names = {p.name for p in operation.path_parameters}
        if names:
            values = {**known, "number": quote if "/quotes/" in operation.path else "1"}
            if names <= set(values):
                strategies.append(
                    operation.as_strategy(
                        GenerationMode.POSITIVE,
                        path_parameters={name: values[name] for name in names},
                    )
                )
        cases = st.one_of(*strategies)

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.generate],  # no shrinking: the first failure is reported as is
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=cases)
        def check(case) -> None:
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — report them all
            failures.append(f"{operation.label}: {exc!r}")
    assert failures == [], "\n\n".join(failures)
