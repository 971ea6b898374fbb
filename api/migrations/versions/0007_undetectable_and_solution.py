"""Problems keep the named mistakes their policy cannot detect; every stored
policy says when students may see the solution (docs/api.md §12).

Policies written before had no ``solution``: problems of a set (and sets)
get the set default, "never"; practice problems "always", as they are
readable by anyone. Authored practice problems get their undetectable
mistakes computed; seeded variants have none.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from grader import Policy
from grader.undetectable import undetectable
from problems import Problem

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PROBLEMS = sa.table(
    "problems",
    sa.column("id"),
    sa.column("seed"),
    sa.column("problem_set_id"),
    sa.column("policy", sa.JSON()),
    sa.column("problem", sa.JSON()),
    sa.column("undetectable", sa.JSON()),
)


def _set_solution(table: str, mode: str, where: str) -> None:
    """Add ``"solution": mode`` to every stored policy of ``table`` matching ``where``, in SQL."""
    if op.get_bind().dialect.name == "postgresql":
        merged = f"""(policy::jsonb || '{{"solution": "{mode}"}}'::jsonb)::json"""
    else:
        merged = f"json_set(policy, '$.solution', '{mode}')"
    op.execute(f"UPDATE {table} SET policy = {merged} WHERE {where}")


def upgrade() -> None:
    op.add_column(
        "problems", sa.Column("undetectable", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    _set_solution("problem_sets", "never", "true")
    _set_solution("problems", "never", "problem_set_id IS NOT NULL")
    _set_solution("problems", "always", "problem_set_id IS NULL")
    bind = op.get_bind()
    authored = sa.select(_PROBLEMS.c.id, _PROBLEMS.c.policy, _PROBLEMS.c.problem).where(
        _PROBLEMS.c.seed.is_(None), _PROBLEMS.c.problem_set_id.is_(None)
    )
    for row in bind.execute(authored).all():
        if not row.problem:  # nothing made to check
            continue
        found = undetectable(Problem.from_json(row.problem), Policy.from_json(row.policy))
        if found:
            bind.execute(
                _PROBLEMS.update().where(_PROBLEMS.c.id == row.id),
                {"undetectable": [mistake.to_json() for mistake in found]},
            )


def downgrade() -> None:
    # Not in batch mode: SQLite would copy `problems`, which submissions reference.
    op.execute("ALTER TABLE problems DROP COLUMN undetectable")
    # Policies keep their "solution": older code reads it as an unknown field, so take it out.
    if op.get_bind().dialect.name == "postgresql":
        removed = "(policy::jsonb - 'solution')::json"
    else:
        removed = "json_remove(policy, '$.solution')"
    for table in ("problem_sets", "problems"):
        op.execute(f"UPDATE {table} SET policy = {removed}")
