"""schemathesis over the whole OpenAPI spec, on this suite's database: no 5xx, and the server answers
as the spec says (all checks, positive and negative cases, 25 per operation).

The spec is read from the app itself, so every operation it holds is fuzzed. Each operation runs 13
cases with a fixed seed and 12 with a random one, printed in pytest's header; SURVEYHUB_FUZZ_SEED
replays a random run.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from surveyhub import create_app
from surveyhub.api import RULES_BEYOND_SCHEMA
from tests.helpers import FUZZ_SEED as RANDOM_SEED
from tests.helpers import widget_org_of

FIXED_SEED = 20261201

_spec_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "spec"})
SPEC = _spec_app.test_client().get("/api/v1/openapi.json").get_json()
# The fixed run adds schemathesis' seed-independent phases (the spec's examples, boundary "coverage"
# cases); the random run fuzzes only, so that it stays short.
fixed_schema = schemathesis.openapi.from_dict(SPEC)
random_schema = schemathesis.openapi.from_dict(SPEC, config=schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}}))
CASES: dict[tuple[str, str], int] = {}


def refused_only_by_rules_beyond_schema(ctx, response, case) -> bool | None:
    """Where the spec marks rules it cannot state, a schema-valid body may get a 422 in the envelope."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return None
    if response.status_code == 422:
        error = response.json()["error"]
        assert error["fields"], "a 422 names the field a rule refused"
        return True
    return positive_data_acceptance(ctx, response, case)


@pytest.fixture
def target(app, api):
    """The app under test (its own database), a fixture org's real API key and its widget key."""
    return app, {"Authorization": f"Bearer {api.key}"}, widget_org_of(app, api.org_id).key


def fuzz(case, target, run: str) -> None:
    flask_app, headers, widget_key = target
    case.operation.schema.app = flask_app  # checks that send again reach the same app
    if "key" in (case.path_parameters or {}) and not case.meta.generation.mode.is_negative:
        case.path_parameters["key"] = widget_key  # the widget's endpoints: past the key, to the body
    key = (run, f"{case.operation.method.upper()} {case.operation.path}")
    CASES[key] = CASES.get(key, 0) + 1
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER) \
            and "Authorization" not in (case.headers or {}):
        # The case leaves out the header the spec requires: adding the key would make it a valid request.
        headers = {}
    marked = all(case.operation.definition.raw.get(k) == v for k, v in RULES_BEYOND_SCHEMA.items())
    if marked:
        case.call_and_validate(headers=headers, app=flask_app, excluded_checks=[positive_data_acceptance],
                               additional_checks=[refused_only_by_rules_beyond_schema])
    else:
        case.call_and_validate(headers=headers, app=flask_app)


FUZZ = {"deadline": None, "suppress_health_check": list(HealthCheck), "database": None}


@fixed_schema.parametrize()
@settings(max_examples=13, **FUZZ)
@hypothesis_seed(FIXED_SEED)
def test_api_fixed_seed(case, target):
    fuzz(case, target, "fixed")


@random_schema.parametrize()
@settings(max_examples=12, **FUZZ)
@hypothesis_seed(RANDOM_SEED)
def test_api_random_seed(case, target):
    fuzz(case, target, "random")


def test_the_spec_is_fuzzed_whole():
    """Every operation of the spec ran in both runs (they come first in this module)."""
    operations = {f"{method.upper()} {path}" for path, item in SPEC["paths"].items()
                  for method in item if method in ("get", "put", "post", "patch", "delete")}
    for run in ("fixed", "random"):
        assert {op for r, op in CASES if r == run} == operations, run
        print(f"\nschemathesis {run} run: {len(operations)} operations,"
              f" {sum(n for (r, _), n in CASES.items() if r == run)} cases")
    print(f"schemathesis seeds: fixed {FIXED_SEED}, random {RANDOM_SEED}")
