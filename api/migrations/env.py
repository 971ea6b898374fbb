"""Alembic environment: runs on the connection api.db.upgrade hands over."""

from alembic import context

import api.lti.models  # noqa: F401  (its tables are on the same base)
from api.models import Base

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode does that for us.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
