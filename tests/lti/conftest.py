"""Fixtures of the LTI tests: the page suite's (and so the API suite's) apps,
databases, servers and browser, and the test platforms.

The page suite's conftest is loaded under a name of its own, as it loads
the API suite's, so these tests run on the same databases: SQLite, and
PostgreSQL when ELBO_GRADER_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.db import database, make_engine
from api.lti import platforms
from api.models import Base

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))  # the platforms' modules
sys.path.insert(0, str(_HERE.parent / "pages"))  # its helpers (page_helpers)
_spec = importlib.util.spec_from_file_location("pages_tests_conftest", _HERE.parent / "pages" / "conftest.py")
assert _spec is not None and _spec.loader is not None
pages_tests = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = pages_tests
_spec.loader.exec_module(pages_tests)

from lti_setup import ToolServer, register  # noqa: E402  (its directory is on the path only now)
from platform_launches import CLIENT_ID, DEPLOYMENT_ID, Platform  # noqa: E402
from platform_services import Platform as ServicesPlatform  # noqa: E402

# Their fixtures, by name, for pytest to find here.
database_url = pages_tests.database_url
make_app = pages_tests.make_app
app = pages_tests.app
client = pages_tests.client
instructor = pages_tests.instructor
make_set = pages_tests.make_set
browser_type_launch_args = pages_tests.browser_type_launch_args
# And the helpers the API suite's modules import from whichever conftest a run loads last.
Server = pages_tests.Server
TEST_SECRET_KEY = pages_tests.TEST_SECRET_KEY
create_set = pages_tests.create_set
as_assignment = pages_tests.as_assignment
CHROMIUM = pages_tests.CHROMIUM
CHROMIUM_ARGS = pages_tests.CHROMIUM_ARGS

# The Flask test client's own origin: the tool the in-process platform launches.
TEST_CLIENT_TOOL = "http://localhost"


@pytest.fixture(scope="module")
def lms() -> Iterator[Platform]:
    """A platform for the in-process app (registered by each test: every test starts from empty tables)."""
    platform = Platform(TEST_CLIENT_TOOL)
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def served(database_url, tmp_path_factory) -> Iterator[tuple[Any, Platform]]:
    """One real ``elbo-grader serve`` per module and database, with an instructor key, and a test
    platform registered with it (by ``elbo-grader lti add-platform``) and framing it from another site."""
    server = Server(tmp_path_factory.mktemp("served"), 2, {
        "ELBO_GRADER_DATABASE_URL": database_url,
        "ELBO_GRADER_RATE_LIMIT_STUDENT": "off",
    })
    server.instructor_key = server.run("create-key", "--name", "lti tests").strip().splitlines()[-1]
    platform = Platform(server.url)
    server.run("lti", "add-platform", *platform.add_platform_args())
    yield server, platform
    platform.stop()
    server.stop()
    # Its rows go with it, as an app's go after its test: the next module starts from empty tables.
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def platform_id(app, lms: Platform) -> str:
    """The test platform, registered as `elbo-grader lti add-platform` registers it."""
    with database(app).sessions() as session:
        return platforms.add_platform(
            session, issuer=lms.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT_ID],
            login_url=f"{lms.url}/auth", token_url=f"{lms.url}/token", jwks_url=f"{lms.url}/jwks", name="LMS",
        ).id


@pytest.fixture
def linked_course(make_app, instructor) -> Iterator[tuple[Any, Any, Any, dict[str, Any], Any]]:
    """A set with alice on its roster, linked to the services LMS (tests/lti/platform_services.py) as a
    launch that gave its line item and memberships URLs would link it: (app, tool, platform, set, link)."""
    app = make_app(lti_timeout=2.0)
    tool = ToolServer(app)
    platform = ServicesPlatform(tool.url)
    created = create_set(app.test_client(), instructor, ["alice"])
    registered = register(database(app).engine, platform, created["id"])
    yield app, tool, platform, created, registered
    platform.close()
    tool.close()
