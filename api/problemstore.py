"""Problems read back for requests, parsed once per process.

A problem row never changes once written, so each process keeps the most
recently used ones as :class:`StoredProblem` values (domain objects already
rebuilt) instead of reading and rebuilding them on every submission.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from api import db
from api.errors import not_found
from api.models import ProblemRecord
from grader import Policy
from grader.undetectable import Undetectable
from problems import Problem

_EXTENSION = "elbo_grader.problems"


@dataclass(frozen=True)
class StoredProblem:
    id: uuid.UUID
    template: str
    seed: int | None
    difficulty: str | None
    params: dict
    created_at: datetime
    problem_set_id: uuid.UUID | None
    student_id: str | None
    policy: Policy
    problem: Problem
    undetectable: tuple[Undetectable, ...]

    @property
    def is_practice(self) -> bool:
        """Practice problems are the ones in no problem set."""
        return self.problem_set_id is None

    @classmethod
    def of(cls, record: ProblemRecord, problem: Problem | None = None) -> StoredProblem:
        return cls(
            id=record.id,
            template=record.template,
            seed=record.seed,
            difficulty=record.difficulty,
            params=record.params,
            created_at=record.created_at,
            problem_set_id=record.problem_set_id,
            student_id=record.student_id,
            policy=Policy.from_json(record.policy),
            problem=problem or Problem.from_json(record.problem),
            undetectable=tuple(Undetectable.from_json(mistake) for mistake in record.undetectable),
        )


class ProblemStore:
    """A bounded, thread-safe LRU of stored problems by id."""

    def __init__(self, size: int = 1024):
        self._size = size
        self._items: OrderedDict[uuid.UUID, StoredProblem] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, problem_id: uuid.UUID) -> StoredProblem | None:
        with self._lock:
            stored = self._items.get(problem_id)
            if stored is not None:
                self._items.move_to_end(problem_id)
            return stored

    def put(self, stored: StoredProblem) -> StoredProblem:
        with self._lock:
            self._items[stored.id] = stored
            self._items.move_to_end(stored.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return stored

    def find(self, problem_id: uuid.UUID) -> StoredProblem:
        """The problem, from memory or the database; 404 if there is none.

        Misses are not remembered: the id may be written by another server.
        """
        stored = self._get(problem_id)
        if stored is not None:
            return stored
        record = db.session().get(ProblemRecord, problem_id)
        if record is None:
            raise not_found("problem")
        return self.put(StoredProblem.of(record))


def init_app(app) -> None:
    app.extensions[_EXTENSION] = ProblemStore()


def store() -> ProblemStore:
    return current_app.extensions[_EXTENSION]
