"""schemathesis against the OpenAPI document: no 500 and no response outside its schema.

Every operation of /api/v1 gets a bounded number of generated requests (schema-conforming
and deliberately malformed), as an administrator so the admin operations are reached too,
on SQLite and on PostgreSQL. (schemathesis' pytest fixture loader does not run under pytest 9,
so the operations are driven through `as_strategy` here.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from quantrac.store.db import Store
from tests.integration.api_world import build_world, cheap_password_hashing

#: Requests per operation and mode; ~30 operations × 2 modes × 2 databases.
MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _contract(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> Any:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


def test_openapi_contract(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_password_hashing(monkeypatch)
    world = build_world(store, tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    admin = world.h("admin")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        # Anonymous for the destructive ones: refused cleanly, and the admin keeps its key.
        destructive = operation.method.upper() == "DELETE" or operation.path.endswith("/disable")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _contract(operation, mode, {} if destructive else admin)()


def _no_leak(operation: Any, who: str | None, headers: dict[str, str]) -> Any:
    from tests.integration.test_sta_fuzz import HIDDEN

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, response.content[:300]
        # Bytes: CSV and JSON are searched as they are; XLSX and Parquet are compressed, so
        # their exports are checked in tests/integration/test_auth_roles.py instead.
        leaked = [code for code in HIDDEN[who] if code.encode() in response.content]
        assert not leaked, f"{who or 'the public'} was shown {leaked} by {case.formatted_path}"

    return run


def test_no_answer_names_a_station_the_caller_cannot_see(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read operation, with generated parameters, as the public, an enterprise and
    province staff: restricted stations of others never appear in a body (lists, latest
    values, indices, events, exports, connectivity, …)."""
    cheap_password_hashing(monkeypatch)
    world = build_world(store, tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    reads = [r.ok() for r in schema.get_all_operations() if r.ok().method.upper() == "GET"]
    assert len(reads) >= 15
    for who in (None, "ent_a", "hn"):
        for operation in reads:
            _no_leak(operation, who, world.h(who))()
