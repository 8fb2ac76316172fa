"""Property-based API tests from the OpenAPI schema (schemathesis): whatever a client sends,
the server never answers 500 and every error has our body. Bounded: a few examples per
operation."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, settings

from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.conftest import make_team

pytestmark = pytest.mark.slow
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    home = tmp_path_factory.mktemp("schemathesis") / ".modelward"
    made = Settings(home=home, user="alice", protected_aliases="champion")
    TOKEN["alice"] = make_team(made).tokens["alice"]
    app = create_app(made)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema) -> None:
    from hypothesis import given

    headers = {"Authorization": f"Bearer {TOKEN['alice']}"}
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400:
                error = response.json()["error"]
                assert error["code"] and error["message"]

        try:
            check()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n".join(failures)
