"""The instructor's pages: through Flask's test client on every database (forms,
refusals, CSRF, tokens, due dates, the CSV, access), then in a real browser on a
real server (a set made through the form, tokens, the grade book, the charts'
numbers against analytics counted here, the mistake page, axe on each page).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict

import pytest
from page_helpers import api, axe_violations, form_fields
from playwright.sync_api import expect

from api.pages.instructor import PAGE_SIZE

FORM = {"title": "Week 7", "item-0-template": "elbo-gap", "item-0-difficulty": "easy",
        "item-2-template": "tight-bound", "students": "alice\n\n  bob  \n", "due_at": "2031-05-01T12:30"}


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def fields_of(client, path: str) -> dict[str, str]:
    return form_fields(client.get(path).get_data(as_text=True))


def sign_in(client, token: str) -> None:
    response = client.post("/sign-in", data={**fields_of(client, "/sign-in"), "token": token})
    assert response.status_code == 303


def set_ids(client, instructor) -> list[str]:
    return [made["id"] for made in client.get("/api/v1/problem-sets", headers=instructor).json]


def make_through_form(client, **changes: str):
    return client.post("/instructor", data={**fields_of(client, "/instructor"), **FORM, **changes})


def csrf_of(html: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', html)[-1]


def errors_beside(html: str) -> dict[str, str]:
    """Each field's refusal, by the field it sits beside."""
    return {name: re.sub(r"\s+", " ", text).strip()
            for name, text in re.findall(r'data-error-for="([^"]+)">(.*?)</p>', html, re.S)}


@pytest.fixture
def signed_in(client, instructor):
    sign_in(client, key_of(instructor))
    return client


def test_a_set_made_through_the_form_is_the_api_s_set(signed_in, instructor):
    response = make_through_form(signed_in)
    assert response.status_code == 303
    set_id = response.headers["Location"].rsplit("/", 1)[1]
    made = signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=instructor).json
    assert made["title"] == "Week 7"
    assert [(item["template"], item["difficulty"]) for item in made["items"]] == \
        [("elbo-gap", "easy"), ("tight-bound", "standard")]  # the blank row ignored, the default difficulty
    assert made["due_at"] == "2031-05-01T12:30:00+00:00"
    roster = signed_in.get(f"/api/v1/problem-sets/{set_id}/students", headers=instructor).json["students"]
    assert [entry["student_id"] for entry in roster] == ["alice", "bob"]
    page = signed_in.get(f"/sets/{set_id}").get_data(as_text=True)
    assert "Week 7" in page and 'data-student="alice"' in page


def test_a_resent_form_makes_one_set(signed_in, instructor):
    form = {**fields_of(signed_in, "/instructor"), **FORM}
    first = signed_in.post("/instructor", data=form)
    again = signed_in.post("/instructor", data=form)
    assert first.headers["Location"] == again.headers["Location"]
    assert len(set_ids(signed_in, instructor)) == 1


def test_refused_fields_are_shown_beside_themselves_with_the_api_s_messages_and_nothing_is_stored(
        signed_in, instructor):
    hostile = {"title": "", "item-1-template": "no-such-template", "item-0-difficulty": "brutal",
               "students": "alice\nalice\nbad\x00id", "due_at": "next tuesday"}
    response = make_through_form(signed_in, **hostile)
    assert response.status_code == 422
    beside = errors_beside(response.get_data(as_text=True))
    # The same body to the JSON API: the same messages.
    body = {"title": "", "students": ["alice", "alice", "bad\x00id"], "due_at": "next tuesday+00:00",
            "items": [{"template": "elbo-gap", "difficulty": "brutal"}, {"template": "no-such-template"},
                      {"template": "tight-bound"}]}
    said = signed_in.post("/api/v1/problem-sets", json=body, headers=instructor).json["errors"]
    assert beside["title"] == " ".join(said["title"])
    assert beside["due_at"] == " ".join(said["due_at"])
    assert beside["item-0-difficulty"] == " ".join(said["items"]["0"]["difficulty"])
    assert beside["item-1-template"] == " ".join(said["items"]["1"]["template"])
    assert "Line 3: " + said["students"]["2"][0] in beside["students"]
    assert set_ids(signed_in, instructor) == []
    # What was typed stays in the form.
    assert 'value="no-such-template"' not in response.get_data(as_text=True)  # a select offers only templates
    assert "alice\nalice" in response.get_data(as_text=True)


def test_more_item_rows_stores_nothing(signed_in, instructor):
    response = make_through_form(signed_in, more_rows="1")
    assert response.status_code == 200
    assert len(re.findall(r'class="item-row"', response.get_data(as_text=True))) == 8
    assert 'value="Week 7"' in response.get_data(as_text=True)
    assert set_ids(signed_in, instructor) == []


@pytest.mark.parametrize("csrf", [{}, {"csrf_token": "forged"}])
def test_every_instructor_form_refuses_a_missing_or_wrong_csrf_token(signed_in, instructor, make_set, csrf):
    assignment = make_set(students=("alice",))
    set_id = assignment.problem_set_id
    posts = [("/instructor", FORM), (f"/sets/{set_id}/students", {"students": "carol"}),
             (f"/sets/{set_id}/token", {"student": "alice", "action": "revoke"}),
             (f"/sets/{set_id}/due", {"due_at": "2030-01-01T00:00"}),
             (f"/sets/{set_id}/student-due", {"student": "alice", "due_at": "2030-01-01T00:00"}),
             (f"/sets/{set_id}/tokens", {})]
    for path, form in posts:
        response = signed_in.post(path, data={**form, **csrf})
        assert response.status_code == 400, path
        assert assignment.created["students"][0]["access_token"] not in response.get_data(as_text=True)
    assert set_ids(signed_in, instructor) == [set_id]
    made = signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=instructor).json
    assert made["due_at"] is None and made["student_count"] == 1
    assert signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=assignment.tokens["alice"]).status_code == 200


def test_tokens_are_hidden_until_asked_for_with_a_post(signed_in, make_set):
    assignment = make_set(students=("alice", "bob"))
    set_id = assignment.problem_set_id
    tokens = {entry["student_id"]: entry["access_token"] for entry in assignment.created["students"]}
    page = signed_in.get(f"/sets/{set_id}")
    assert page.status_code == 200
    assert not any(token in page.get_data(as_text=True) for token in tokens.values())
    csrf = csrf_of(page.get_data(as_text=True))
    one = signed_in.post(f"/sets/{set_id}/tokens", data={"csrf_token": csrf, "student": "bob"})
    assert one.status_code == 200 and one.headers["Cache-Control"] == "no-store"
    assert tokens["bob"] in one.get_data(as_text=True) and tokens["alice"] not in one.get_data(as_text=True)
    every = signed_in.post(f"/sets/{set_id}/tokens", data={"csrf_token": csrf})
    assert all(token in every.get_data(as_text=True) for token in tokens.values())
    assert signed_in.post(f"/sets/{set_id}/tokens", data={"csrf_token": csrf, "student": "eve"}).status_code == 404


def test_revoke_and_reissue_through_the_roster_services(signed_in, client, make_set):
    assignment = make_set(students=("alice",))
    set_id = assignment.problem_set_id
    csrf = csrf_of(signed_in.get(f"/sets/{set_id}").get_data(as_text=True))
    revoked = signed_in.post(f"/sets/{set_id}/token", data={"csrf_token": csrf, "student": "alice", "action": "revoke"})
    assert revoked.status_code == 303
    assert client.get(f"/api/v1/problem-sets/{set_id}", headers=assignment.tokens["alice"]).status_code == 401
    assert "data-revoked" in signed_in.get(f"/sets/{set_id}").get_data(as_text=True)
    reissued = signed_in.post(f"/sets/{set_id}/token",
                              data={"csrf_token": csrf, "student": "alice", "action": "reissue"})
    (token,) = re.findall(r"<code class=\"token\" data-token>([^<]+)</code>", reissued.get_data(as_text=True))
    assert client.get(f"/api/v1/problem-sets/{set_id}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert signed_in.post(f"/sets/{set_id}/token",
                          data={"csrf_token": csrf, "student": "alice", "action": "delete"}).status_code == 422


def test_students_added_and_due_dates_changed_through_forms(signed_in, instructor, make_set):
    assignment = make_set(students=("alice",))
    set_id = assignment.problem_set_id
    csrf = csrf_of(signed_in.get(f"/sets/{set_id}").get_data(as_text=True))
    added = signed_in.post(f"/sets/{set_id}/students", data={"csrf_token": csrf, "students": "carol\nalice\n"})
    assert added.status_code == 303
    roster = signed_in.get(f"/api/v1/problem-sets/{set_id}/students", headers=instructor).json["students"]
    assert [entry["student_id"] for entry in roster] == ["alice", "carol"]
    refused = signed_in.post(f"/sets/{set_id}/students", data={"csrf_token": csrf, "students": "dan\ndan"})
    assert refused.status_code == 422 and "students" in errors_beside(refused.get_data(as_text=True))
    due = signed_in.post(f"/sets/{set_id}/due", data={"csrf_token": csrf, "due_at": "2030-02-03T04:05"})
    own = signed_in.post(f"/sets/{set_id}/student-due",
                         data={"csrf_token": csrf, "student": "carol", "due_at": "2030-03-01T00:00"})
    assert due.status_code == own.status_code == 303
    made = signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=instructor).json
    assert made["due_at"] == "2030-02-03T04:05:00+00:00"
    carol = signed_in.get(f"/api/v1/problem-sets/{set_id}/students/carol", headers=instructor).json
    assert carol["due_at"] == "2030-03-01T00:00:00+00:00"
    bad = signed_in.post(f"/sets/{set_id}/due", data={"csrf_token": csrf, "due_at": "soon"})
    assert bad.status_code == 422 and "due_at" in errors_beside(bad.get_data(as_text=True))
    assert signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=instructor).json["due_at"] == made["due_at"]
    cleared = signed_in.post(f"/sets/{set_id}/due", data={"csrf_token": csrf, "due_at": ""})
    assert cleared.status_code == 303
    assert signed_in.get(f"/api/v1/problem-sets/{set_id}", headers=instructor).json["due_at"] is None


def test_the_csv_download_is_the_api_s_csv(signed_in, instructor, make_set):
    assignment = make_set(students=("alice", "=bob"))
    signed_in.post(f"/api/v1/problems/{assignment.problems['alice']}/submissions",
                   json={"answers": {"marginal": "0.5"}}, headers=assignment.tokens["alice"])
    set_id = assignment.problem_set_id
    page = signed_in.get(f"/sets/{set_id}/grades.csv")
    assert page.status_code == 200 and page.mimetype == "text/csv"
    assert page.get_data() == signed_in.get(f"/api/v1/problem-sets/{set_id}/grades?format=csv",
                                            headers=instructor).get_data()
    rows = list(csv.reader(io.StringIO(page.get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["alice", "'=bob"]
    key = signed_in.get(f"/sets/{set_id}/answer-key.json").json
    assert key == signed_in.get(f"/api/v1/problem-sets/{set_id}/answer-key", headers=instructor).json


def test_students_and_strangers_are_refused_the_instructor_pages(client, make_set):
    assignment = make_set(students=("alice",))
    set_id = assignment.problem_set_id
    paths = ["/instructor", f"/sets/{set_id}/grades.csv", f"/sets/{set_id}/answer-key.json",
             f"/sets/{set_id}/items/0/mistakes/gap_sign"]
    for path in paths:
        assert client.get(path).status_code == 401, path
    sign_in(client, assignment.created["students"][0]["access_token"])
    for path in paths:
        assert client.get(path).status_code == 403, path
    csrf = csrf_of(client.get(f"/sets/{set_id}").get_data(as_text=True))
    for path in ("/instructor", f"/sets/{set_id}/tokens", f"/sets/{set_id}/students"):
        assert client.post(path, data={"csrf_token": csrf, **FORM}).status_code == 403, path


def test_a_big_roster_is_made_in_the_background_and_the_page_says_so(make_app, instructor):
    app = make_app(problems_at_once=2)
    client = app.test_client()
    sign_in(client, key_of(instructor))
    response = make_through_form(client, students="a\nb\nc")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-making" in page or 'data-student="c"' in page  # made already if the maker was quick
    assert page.count('<tr data-student="') == 6  # in the grade book and the roster


def test_a_big_roster_is_shown_a_page_at_a_time(signed_in, make_set):
    students = [f"s{n:03}" for n in range(PAGE_SIZE * 2 + 7)]
    set_id = make_set(students=students).problem_set_id
    for page, expected in ((1, students[:PAGE_SIZE]), (3, students[PAGE_SIZE * 2:])):
        html = signed_in.get(f"/sets/{set_id}?page={page}").get_data(as_text=True)
        roster = re.findall(r'<tr data-student="([^"]+)"(?: data-revoked)?>', html)
        assert roster == expected
        assert re.findall(r'<tr data-student="([^"]+)" data-total', html) == expected


def submit_flipped_gap(client, instructor, problem: str, student: dict[str, str]) -> dict:
    """A submission giving the gap with its sign flipped (the mistake gap_sign)."""
    gap = client.get(f"/api/v1/problems/{problem}/solution", headers=instructor).json["answers"]["gap"]["value"]
    response = client.post(f"/api/v1/problems/{problem}/submissions", json={"answers": {"gap": repr(-gap)}},
                           headers=student)
    assert response.json["parts"][6]["misconceptions"] == ["gap_sign"]
    return response.json


def test_the_mistake_page_lists_each_submission_that_showed_it(signed_in, instructor, make_set):
    assignment = make_set(students=("alice", "bob", "carol"))
    set_id = assignment.problem_set_id
    # bob flips the gap's sign twice, carol once, alice never; each also submits without it.
    shown = []
    for student, times in (("alice", 0), ("bob", 2), ("carol", 1)):
        problem = assignment.problems[student]
        for _ in range(times):
            made = submit_flipped_gap(signed_in, instructor, problem, assignment.tokens[student])
            shown.append((student, made["attempt"]))
        signed_in.post(f"/api/v1/problems/{problem}/submissions", json={"answers": {"marginal": "0.5"}},
                       headers=assignment.tokens[student])
    html = signed_in.get(f"/sets/{set_id}/items/0/mistakes/gap_sign").get_data(as_text=True)
    listed = re.findall(r'<tr data-student="([^"]+)" data-attempt="(\d+)"', html)
    assert [(student, int(attempt)) for student, attempt in listed] == shown
    assert html.count('data-marked="gap"') == 3
    assert f'href="/problems/{assignment.problems["bob"]}"' in html
    assert signed_in.get(f"/sets/{set_id}/items/5/mistakes/gap_sign").status_code == 404
    assert "0 submissions" in signed_in.get(f"/sets/{set_id}/items/0/mistakes/kl_added").get_data(as_text=True)
    for code in ("<script>", "gap_sign%00", "x" * 5000):
        refused = signed_in.get(f"/sets/{set_id}/items/0/mistakes/{code}")
        assert refused.status_code == 404 and "<script>" not in refused.get_data(as_text=True)


# In a real browser, on a real server (one per module and database).

def browser_sign_in(page, server, token: str) -> None:
    page.goto(server.url + "/sign-in")
    page.fill("#token", token)
    page.click("form.stacked button[type=submit]")


def class_figures(server, set_id: str, item: int) -> tuple[list[int], Counter, Counter]:
    """The item's histogram, statuses in the latest submissions and students per mistake, counted here
    from the grade book and every stored submission."""
    key = server.instructor_key
    book = api(server, "GET", f"/api/v1/problem-sets/{set_id}/grades", key).json()["students"]
    histogram = [0] * 10
    for student in book:
        score = student["items"][item]["best_score"]
        if score is not None:
            histogram[min(int(score * 10), 9)] += 1
    statuses: Counter = Counter()
    mistakes: dict[str, set[str]] = defaultdict(set)
    for entry in api(server, "GET", f"/api/v1/problem-sets/{set_id}/students", key).json()["students"]:
        problem = entry["problems"][item]["problem_id"]
        made = api(server, "GET", f"/api/v1/problems/{problem}/submissions", key).json()
        if made:
            latest = max(made, key=lambda submission: submission["attempt"])
            statuses.update((part["key"], part["status"]) for part in latest["parts"])
        for submission in made:
            for part in submission["parts"]:
                for code in part["misconceptions"]:
                    mistakes[code].add(entry["student_id"])
    return histogram, statuses, Counter({code: len(students) for code, students in mistakes.items()})


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods")
def test_an_instructor_makes_a_set_and_reads_how_the_class_did(visit, server, browser):
    browser_sign_in(visit, server, server.instructor_key)
    visit.wait_for_url(server.url + "/instructor")
    assert axe_violations(visit) == []
    visit.fill("#title", "Week 8")
    visit.select_option("#item-0-template", "elbo-gap")
    visit.select_option("#item-0-difficulty", "easy")
    visit.select_option("#item-1-template", "tight-bound")
    visit.fill("#students", "alice\nbob\ncarol")
    visit.fill("#due_at", "2031-01-02T03:04")
    visit.click("form.new-set button:text('Make the set')")
    visit.wait_for_url(re.compile(r"/sets/[0-9a-f-]{36}$"))
    set_id = visit.url.rsplit("/", 1)[1]
    key = server.instructor_key
    roster = api(server, "GET", f"/api/v1/problem-sets/{set_id}/students", key).json()["students"]
    tokens = {entry["student_id"]: entry["access_token"] for entry in roster}
    assert [entry["student_id"] for entry in roster] == ["alice", "bob", "carol"]
    assert not any(token in visit.content() for token in tokens.values())

    # The class works: alice right, bob flips the gap's sign twice, carol half-done; dan never starts.
    problems = {entry["student_id"]: entry["problems"][0]["problem_id"] for entry in roster}
    exact = {key_: answer["value"] for key_, answer in api(
        server, "GET", f"/api/v1/problems/{problems['alice']}/solution", key).json()["answers"].items()}
    for student, answers in (("alice", {k: repr(v) for k, v in exact.items()}),
                             ("bob", {"gap": "-1"}), ("bob", {"marginal": "0.5"}), ("carol", {"marginal": "0.5"})):
        if student == "bob" and "gap" in answers:
            gap = api(server, "GET", f"/api/v1/problems/{problems['bob']}/solution", key).json()["answers"]["gap"]
            answers = {"gap": repr(-gap["value"])}
        response = api(server, "POST", f"/api/v1/problems/{problems[student]}/submissions", tokens[student],
                       json={"answers": answers})
        assert response.status_code == 201
    visit.reload()
    book = api(server, "GET", f"/api/v1/problem-sets/{set_id}/grades", key).json()["students"]
    for student in book:
        row = visit.locator(f'table.grade-book tr[data-student="{student["student_id"]}"]')
        assert float(row.get_attribute("data-total")) == pytest.approx(student["total"])
        cell = row.locator('td[data-item="0"]')
        expect(cell).to_have_attribute("data-attempts", str(student["items"][0]["attempts"]))
        best = student["items"][0]["best_score"]
        assert cell.get_attribute("data-best-score") == ("" if best is None else str(best))

    histogram, statuses, mistakes = class_figures(server, set_id, 0)
    bars = visit.locator("svg#histogram-0 g.bar")
    assert [int(v) for v in bars.evaluate_all("bars => bars.map(b => b.dataset.value)")] == histogram
    for (part, status), count in statuses.items():
        bar = visit.locator(f'svg#parts-0 g.row[data-name="{part}"] g.bar[data-series="{status}"]')
        expect(bar).to_have_attribute("data-value", str(count))
    shown = visit.locator("svg#mistakes-0 g.row").evaluate_all(
        "rows => rows.map(r => [r.dataset.name, Number(r.dataset.total)])")
    assert Counter(dict(shown)) == mistakes and mistakes["gap_sign"] == 1
    expect(visit.locator("svg#histogram-0")).to_have_attribute("role", "img")
    assert axe_violations(visit) == []
    visit.set_viewport_size({"width": 375, "height": 800})
    assert visit.evaluate("() => document.documentElement.scrollWidth") <= 375

    # The students behind a mistake.
    visit.click('tr[data-mistake="gap_sign"] a')
    visit.wait_for_url(re.compile(r"/items/0/mistakes/gap_sign$"))
    expect(visit.locator("tr[data-student]")).to_have_count(1)
    expect(visit.locator('tr[data-student="bob"] [data-marked="gap"]')).to_have_count(1)
    assert axe_violations(visit) == []
    visit.click('tr[data-student="bob"] th a')
    visit.wait_for_url(f"{server.url}/problems/{problems['bob']}")

    # Tokens shown when asked for; the one shown signs its student in.
    visit.goto(f"{server.url}/sets/{set_id}")
    visit.click('tr[data-student="carol"] form button:text("Show")')
    shown_token = visit.locator('tr[data-student="carol"] [data-token]').inner_text()
    assert shown_token == tokens["carol"]
    assert tokens["alice"] not in visit.content()
    assert axe_violations(visit) == []
    student = browser.new_context().new_page()
    browser_sign_in(student, server, shown_token)
    student.wait_for_url(f"{server.url}/sets/{set_id}")
    expect(student.locator("[data-item]")).to_have_count(2)
    student.goto(f"{server.url}/sets/{set_id}/items/0/mistakes/gap_sign")
    expect(student.locator('[data-status="403"]')).to_have_count(1)
    student.context.close()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods")
def test_a_refused_set_shows_each_message_beside_its_field(visit, server):
    browser_sign_in(visit, server, server.instructor_key)
    visit.wait_for_url(server.url + "/instructor")
    before = api(server, "GET", "/api/v1/problem-sets", server.instructor_key).json()
    visit.set_viewport_size({"width": 375, "height": 800})
    visit.fill("#students", "alice\nalice")
    visit.click("form.new-set button:text('Make the set')")
    expect(visit.locator('[data-error-for="title"]')).to_be_visible()
    expect(visit.locator('[data-error-for="items"]')).to_be_visible()
    expect(visit.locator('[data-error-for="students"]')).to_contain_text("repeated")
    expect(visit.locator("#title")).to_have_attribute("aria-invalid", "true")
    assert visit.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert axe_violations(visit) == []
    assert api(server, "GET", "/api/v1/problem-sets", server.instructor_key).json() == before
