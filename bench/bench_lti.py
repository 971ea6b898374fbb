"""Launch latency of the LTI tool: the OIDC login redirect plus the launch POST, median over ~50 launches.

In process through Flask's test client on a temporary SQLite file (the
application's own time: no network, no gunicorn), against the test LMS of
tests/lti (lti1p3platform), served over HTTP on a thread for its JWKS. The
platform's own work (signing the id_token) is not counted. A first launch
adds the learner to the set's roster (their problems made then); a repeat
launch of the same learner only updates the link and signs them in. The
first launch of all also fetches the platform's JWKS, and is shown apart.

    .venv/bin/python bench/bench_lti.py [--runs 50]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "lti"))

from bench_pages import temporary_app  # noqa: E402
from platform_launches import (  # type: ignore[import-not-found]  # noqa: E402
    CLIENT_ID,
    DEPLOYMENT_ID,
    LaunchSpec,
    Platform,
    preflight_of,
)

from api.auth import create_key  # noqa: E402
from api.db import database  # noqa: E402
from api.lti import platforms  # noqa: E402


def launch_time(client, platform: Platform, spec: LaunchSpec) -> float:
    """Seconds the tool spends on one launch: its login redirect and the launch POST."""
    hint = platform.add_launch(spec)
    start = time.perf_counter()
    login = client.get(platform.login_url(hint))
    spent = time.perf_counter() - start
    id_token, state = platform.id_token(hint, preflight_of(login.headers["Location"]))
    start = time.perf_counter()
    launched = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    spent += time.perf_counter() - start
    assert launched.status_code == 303, launched.get_data(as_text=True)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the platform's request log
    with temporary_app(rate_limit_anonymous=None, rate_limit_student=None) as app:
        platform = Platform("http://localhost")
        with database(app).sessions() as session:
            platforms.add_platform(session, issuer=platform.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT_ID],
                                   login_url=f"{platform.url}/auth", token_url=f"{platform.url}/token",
                                   jwks_url=f"{platform.url}/jwks")
            key = {"Authorization": f"Bearer {create_key(session, 'bench')}"}
        client = app.test_client()
        created = client.post("/api/v1/problem-sets", headers=key, json={
            "title": "bench", "items": [{"template": "elbo-gap"}, {"template": "tight-bound"}], "students": []})
        set_id = created.get_json()["id"]
        cold = launch_time(client, platform, LaunchSpec(sub="learner-cold", problem_set_id=set_id))
        first = [launch_time(client, platform, LaunchSpec(sub=f"learner-{run}", problem_set_id=set_id))
                 for run in range(runs)]
        again = [launch_time(client, platform, LaunchSpec(sub=f"learner-{run}", problem_set_id=set_id))
                 for run in range(runs)]
        platform.stop()
    print(f"LTI launch: login redirect + launch POST, in-process, SQLite, a set of 2 items ({runs} launches each)")
    print(f"  the very first launch (fetches the platform's JWKS): {cold * 1000:.1f} ms")
    for what, times in (("a learner's first launch (joins the roster)", first),
                        ("a learner's next launch", again)):
        print(f"  {what:45} median {statistics.median(times) * 1000:.1f} ms   "
              f"p90 {statistics.quantiles(times, n=10)[8] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
