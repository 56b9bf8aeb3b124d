"""schemathesis against the OpenAPI document: no operation answers 5xx or a status it does
not document, whatever it is sent.

Not collected by the normal suite (its name is not ``test_*.py``): ``make schemathesis``
runs it, and CI runs it after ``make test``. It calls the WSGI application in-process
with hypothesis-generated requests (valid and invalid: wrong types, missing fields,
strings where ids go), each operation ``SCHEMATHESIS_EXAMPLES`` times (default 25),
authenticated with an API token of a user who is a buyer, a seller with a shop, an
operator and venue staff at once (a new one whenever a request revoked it), so that protected
operations run past the login.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from designmall.accounts.roles import Role
from designmall.accounts.services import api_token_authenticate, user_grant_role
from tests.api.conftest import token_for
from tests.factories import make_product, make_shop, make_user

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    # As Django's test client does: the end of a request must not close the connection that
    # holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def demo_user(db):
    """One user with every role, who owns a shop with a live product."""
    user = make_user(role=Role.BUYER)
    for role in (Role.SELLER, Role.OPERATOR, Role.VENUE_STAFF):
        user_grant_role(user=user, role=role)
    shop = make_shop(owner=user, country="CN")
    make_product(shop=shop, skus=[(9_900, 5)])
    return user


def test_no_operation_answers_5xx_or_an_undocumented_status(api_schema, demo_user):
    """Each operation in turn, with requests that fit the document and requests that do
    not (one hypothesis run each, so that one failure does not hide the others); the
    failures of all are reported together."""
    failures = []
    seen: Counter[int] = Counter()
    token = [token_for(demo_user)]

    def valid_token() -> str:
        # One request may have revoked it (log out everywhere, a password change), which
        # must not turn the rest of the run into 401s.
        if api_token_authenticate(token[0]) is None:
            token[0] = token_for(demo_user)
        return token[0]

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {valid_token()}"},
                checks=[not_a_server_error, status_code_conformance],
            )
            seen[response.status_code] += 1

        try:
            run()
        except Unsatisfiable:
            continue  # nothing about the operation can be made invalid (no parameters)
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{operation.label} ({mode}): {failure}")
    print("statuses answered:", dict(sorted(seen.items())))
    assert not failures, "\n\n".join(failures)
