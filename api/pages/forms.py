"""What the pages' forms send: the problem page's one field per answer key, the
instructor's new set and roster, and a key per render.

A blank field is an answer left out (graded ``unanswered``, as a key omitted
from a JSON submission). The render key (a random value put in the form when
the page is drawn) is the submission's idempotency key: a double click, a
resent form or a reload after submitting store one submission and show its
result again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from api.idempotency import Keyed
from api.schemas import MAX_ITEMS

RENDER_KEY = "render_key"
_VALID_KEY = re.compile(r"[0-9a-f]{32}")


def new_render_key() -> str:
    return secrets.token_hex(16)


def answers_from(form: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    """The answers typed, by key, in the template's order; blank ones left out."""
    return {key: form[key] for key in keys if form.get(key, "").strip()}


def keyed(form: Mapping[str, str], path: str, answers: Mapping[str, str]) -> Keyed | None:
    """The form's render key and a fingerprint of what it sent; None without a well-formed key."""
    key = form.get(RENDER_KEY, "")
    if not _VALID_KEY.fullmatch(key):
        return None
    sent = json.dumps(answers, sort_keys=True, ensure_ascii=False)
    return Keyed(f"page:{key}", hashlib.sha256(f"POST\n{path}\n{sent}".encode()).hexdigest())


# The new-set form of /instructor: plain HTML, so a fixed number of item rows
# (empty ones ignored) and a submit button for more, without JavaScript.
ITEM_ROWS = 4
MORE_ROWS = "more_rows"


def lines(text: str) -> list[str]:
    """The non-blank lines of a textarea, stripped: one student id each."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def roster_messages(text: str, messages: Any) -> list[str]:
    """A roster's messages from its schema, each id's said with its line in ``text``."""
    if not isinstance(messages, dict):
        return list(messages)
    numbers = [number for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    return [f"Line {numbers[index]}: {message}" for index, said in messages.items() for message in said]


def utc_moment(text: str) -> str | None:
    """A datetime-local field's value, which has no offset, as an ISO 8601 moment in UTC; None when blank."""
    text = text.strip()
    return f"{text}+00:00" if text else None


@dataclass(frozen=True)
class NewSetForm:
    """What the new-set form holds, as typed."""

    title: str
    rows: tuple[tuple[str, str], ...]  # (template, difficulty), either blank
    students: str
    due_at: str

    @classmethod
    def empty(cls) -> NewSetForm:
        return cls("", (("", ""),) * ITEM_ROWS, "", "")

    @classmethod
    def of(cls, form: Mapping[str, str]) -> NewSetForm:
        count = form.get("rows", "")
        rows = min(int(count), MAX_ITEMS) if count.isdigit() and int(count) > 0 else ITEM_ROWS
        return cls(form.get("title", ""),
                   tuple((form.get(f"item-{row}-template", ""), form.get(f"item-{row}-difficulty", ""))
                         for row in range(rows)),
                   form.get("students", ""), form.get("due_at", ""))

    def with_more_rows(self) -> NewSetForm:
        more = min(ITEM_ROWS, MAX_ITEMS - len(self.rows))
        return replace(self, rows=self.rows + (("", ""),) * more)

    @property
    def filled(self) -> list[int]:
        """The rows with a template chosen: the set's items, in order."""
        return [row for row, (template, _) in enumerate(self.rows) if template.strip()]

    def body(self) -> dict[str, Any]:
        """The form as a ``POST /api/v1/problem-sets`` body."""
        items = []
        for row in self.filled:
            template, difficulty = self.rows[row]
            items.append({"template": template.strip(), **({"difficulty": difficulty} if difficulty else {})})
        return {"title": self.title.strip(), "items": items, "students": lines(self.students),
                "due_at": utc_moment(self.due_at)}

    def fields(self) -> dict[str, str]:
        """Every field as typed: what a render key's request is told apart by."""
        return {"title": self.title, "students": self.students, "due_at": self.due_at,
                **{f"item-{row}-{name}": value for row, pair in enumerate(self.rows)
                   for name, value in zip(("template", "difficulty"), pair, strict=True)}}

    def errors(self, messages: Mapping[str, Any]) -> dict[str, list[str]]:
        """The schema's messages by form field: an item's by its row."""
        found: dict[str, list[str]] = {}
        for name, said in messages.items():
            if name == "items" and isinstance(said, dict):
                rows = self.filled
                for index, fields in said.items():
                    for field, message in fields.items():
                        found.setdefault(f"item-{rows[index]}-{field}", []).extend(_flat(message))
            elif name == "students":
                found["students"] = roster_messages(self.students, said)
            else:
                found[name] = _flat(said)
        return found


def _flat(messages: Any) -> list[str]:
    """A schema's messages at one place, however nested, as a list of strings."""
    if isinstance(messages, dict):
        return [text for nested in messages.values() for text in _flat(nested)]
    if isinstance(messages, list):
        return [text for nested in messages for text in _flat(nested)]
    return [str(messages)]
