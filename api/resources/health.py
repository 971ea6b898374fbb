"""GET /healthz: 200 while the database answers, else 503."""

from __future__ import annotations

import logging

from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api import db
from api.auth import open_access
from api.errors import ApiError
from api.schemas import HealthSchema
from api.smorest import Blueprint

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Liveness and database readiness, for load balancers.")


@blp.route("/healthz")
class Health(MethodView):
    @open_access
    @blp.response(200, HealthSchema)
    @blp.errors(503)
    def get(self):
        """Check the service and its database"""
        try:
            db.session().execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            log.warning("health check: database does not answer: %s", error)
            raise ApiError(503, "The database does not answer.") from None
        return {"status": "ok"}
