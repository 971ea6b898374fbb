"""The docs' screenshots: the problem page before and after submitting, the ELBO plot, and an instructor's set page.

Starts ``elbo-grader serve`` on a free port with a temporary SQLite file,
drives Debian's Chromium through Playwright, and writes PNGs to
docs/screenshots/ (or --out). The variant is seeded, so the pictures change
only when the pages do.

Run: .venv/bin/python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ELBO_GRADER = str(Path(sys.executable).with_name("elbo-grader"))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
# Right (to 4 decimals, or as an expression) but for the posterior as a percentage, an ELBO
# that follows from a wrong KL, and two parts left out.
RIGHT = ("marginal", "reconstruction")


def answers(solution: dict[str, float]) -> dict[str, str]:
    return {**{key: f"{solution[key]:.4f}" for key in RIGHT},
            "log_marginal": f"ln({solution['marginal']:.4f})",
            "posterior": f"{solution['posterior'] * 100:.2f}",
            "kl_prior": "0.1",
            "elbo": f"{solution['reconstruction']:.4f} - 0.1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(directory: str) -> dict[str, str]:
    return {**os.environ, "ELBO_GRADER_DATABASE_URL": f"sqlite:///{directory}/screenshots.db",
            "ELBO_GRADER_SECRET_KEY": "screenshots-" + "x" * 32, "ELBO_GRADER_LOG_LEVEL": "WARNING"}


def serve(directory: str) -> tuple[subprocess.Popen, str]:
    env = environment(directory)
    subprocess.run([ELBO_GRADER, "init-db"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([ELBO_GRADER, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start")


# A class of twelve on two items: how many of them slip on each part of item 1.
CLASS = [f"student-{n:02}" for n in range(1, 13)]
SLIPS = {"gap": 4, "kl_prior": 3, "posterior": 2}


def class_work(url: str, key: str) -> str:
    """A set made and worked by a class through the API; its id."""
    made = requests.post(f"{url}/api/v1/problem-sets", timeout=30, headers={"Authorization": f"Bearer {key}"}, json={
        "title": "Week 6: the ELBO", "seed": 2026, "students": CLASS, "due_at": "2026-12-04T17:00:00+00:00",
        "items": [{"template": "elbo-gap", "difficulty": "standard"}, {"template": "tight-bound"}]}).json()
    for n, student in enumerate(made["students"]):
        problem = student["problems"][0]["problem_id"]
        exact = requests.get(f"{url}/api/v1/problems/{problem}/solution", timeout=10,
                             headers={"Authorization": f"Bearer {key}"}).json()["answers"]
        given = {part: f"{answer['value']:.4f}" for part, answer in exact.items() if n % 6 or part != "elbo"}
        given["kl_posterior"] = given["kl_posterior"] if n % 5 else ""
        for part, slipped in SLIPS.items():
            if n < slipped:  # a flipped sign (gap_sign), a wrong KL, a percentage (percent)
                value = exact[part]["value"]
                given[part] = {"gap": f"{-value:.4f}", "posterior": f"{value * 100:.2f}"}.get(
                    part, f"{value * 1.7:.4f}")
        requests.post(f"{url}/api/v1/problems/{problem}/submissions", timeout=10,
                      headers={"Authorization": f"Bearer {student['access_token']}"},
                      json={"answers": {part: text for part, text in given.items() if text}})
    return made["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        process, url = serve(directory)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 900, "height": 900})
                created = requests.post(f"{url}/api/v1/problems", timeout=10, json={
                    "template": "elbo-gap", "seed": 6, "difficulty": "easy"}).json()
                solution = requests.get(f"{url}/api/v1/problems/{created['id']}/solution", timeout=10).json()
                page.goto(f"{url}/problems/{created['id']}")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=out / "problem-before.png", full_page=True)
                values = {key: answer["value"] for key, answer in solution["answers"].items()}
                for key, answer in answers(values).items():
                    page.fill(f'input[name="{key}"]', answer)
                page.click("form.answers button[type=submit]")
                page.wait_for_selector("[data-score]")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=out / "problem-after.png", full_page=True)
                page.locator("#q-slider").evaluate("el => { el.value = 40; el.dispatchEvent(new Event('input')); }")
                page.locator("section.plot").screenshot(path=out / "plot.png")
                key = subprocess.run([ELBO_GRADER, "create-key", "--name", "screenshots"], env=environment(directory),
                                     check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
                set_id = class_work(url, key)
                page.goto(f"{url}/sign-in")
                page.fill("#token", key)
                page.click("form.stacked button[type=submit]")
                page.wait_for_url(f"{url}/instructor")
                page.goto(f"{url}/sets/{set_id}")
                page.locator("#grades").screenshot(path=out / "instructor-grades.png")
                page.locator("#item-0").screenshot(path=out / "instructor-analytics.png")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    for name in ("problem-before.png", "problem-after.png", "plot.png", "instructor-grades.png",
                 "instructor-analytics.png"):
        print(out / name)


if __name__ == "__main__":
    main()
