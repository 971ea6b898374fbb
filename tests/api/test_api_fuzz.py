"""Property-based fuzzing of every operation from the service's own OpenAPI
document (schemathesis, in-process): no 500, every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from api_helpers import PART_1
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def existing(client, instructor, assignment):
    """A real problem with a submission and a problem set with a student,
    so path ids sometimes hit something."""
    problem = client.post(
        "/api/v1/problems", json={"template": "elbo-gap", "params": PART_1}, headers=instructor
    ).json
    submission = client.post(f"/api/v1/problems/{problem['id']}/submissions", json={"answers": {}}).json
    return {
        "problem_id": problem["id"],
        "submission_id": submission["id"],
        "problem_set_id": assignment.problem_set_id,
        "student_id": "alice",
    }


# The document is the same for every app; each case is sent to the test's
# own `app` (on each database). An app touches no database until a request
# needs one, and fetching the document needs none.
# (schemathesis.pytest.from_fixture would be the natural loader, but it
# fails under pytest 9: it sets Function._nodeid, which pytest 9 removed.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app({"database_url": "sqlite://"}))
# A body over the size limit (a roster of 5,001) is refused with 413 before it is read.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]


# The cases of one operation share the test's app and tables (emptied after it).
@schema.parametrize()
@schema.given(real_ids=st.booleans(), as_instructor=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_conforms_to_the_document(case, real_ids, as_instructor, app, existing, instructor):
    if real_ids:  # random UUIDs only ever find 404s
        for name in case.path_parameters or {}:
            case.path_parameters[name] = existing[name]
    # A case generated with invalid headers may be one without the token its
    # operation requires: adding it would make the case valid.
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    case.call_and_validate(
        app=app,
        headers=instructor if as_instructor and not negative_headers else None,
        # Some rules are beyond a JSON schema (a probability "1/3" strictly
        # between 0 and 1, no seed beside params...): such bodies are a
        # documented 422, not a rejection of valid data.
        excluded_checks=[positive_data_acceptance],
    )
