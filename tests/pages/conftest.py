"""Fixtures of the page tests: the API suite's apps and databases, a real
server per module, and Debian's Chromium driven by Playwright.

The API suite's conftest (tests/api/conftest.py) is loaded under a name of
its own and its fixtures re-exported, so these tests run on the same
databases: SQLite, and PostgreSQL when ELBO_GRADER_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_API_TESTS = Path(__file__).resolve().parent.parent / "api"
sys.path.insert(0, str(_API_TESTS))  # its own imports (api_helpers)
_spec = importlib.util.spec_from_file_location("api_tests_conftest", _API_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
api_tests = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = api_tests  # its dataclasses look their module up
_spec.loader.exec_module(api_tests)

# The API suite's fixtures, by name, for pytest to find here.
database_url = api_tests.database_url
make_app = api_tests.make_app
app = api_tests.app
client = api_tests.client
instructor = api_tests.instructor
make_set = api_tests.make_set
# And its helpers: whichever conftest.py a run loads last is the module named
# "conftest", which the API suite's modules import these from.
Server = api_tests.Server
TEST_SECRET_KEY = api_tests.TEST_SECRET_KEY
create_set = api_tests.create_set
as_assignment = api_tests.as_assignment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory) -> Iterator[Any]:
    """One real ``elbo-grader serve`` per module and database, with an instructor key."""
    served = Server(tmp_path_factory.mktemp("served"), 1, {
        "ELBO_GRADER_DATABASE_URL": database_url,
        "ELBO_GRADER_RATE_LIMIT_STUDENT": "off",
    })
    served.instructor_key = served.run("create-key", "--name", "pages").strip().splitlines()[-1]
    yield served
    served.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch, with Debian's Chromium (Playwright's own download is not reachable)."""
    if not CHROMIUM.exists():
        pytest.skip("no browser: install Debian's Chromium (apt-get install chromium, which `make test` "
                    "does when run as root) to run the page tests")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture
def visit(page, server):
    """The test's page, on the server; afterwards, every request it made went to the server itself."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_default_timeout(10_000)
    yield page
    foreign = [url for url in requested if not (url.startswith(server.url + "/") or url.startswith("data:"))]
    assert not foreign, f"requests to other hosts: {foreign}"
