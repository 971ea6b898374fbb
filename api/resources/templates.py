"""GET /api/v1/templates: the exercise templates (docs/api.md §3)."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import open_access
from api.schemas import TemplateSchema
from api.smorest import Blueprint
from problems import TEMPLATES

blp = Blueprint("templates", __name__, url_prefix="/api/v1/templates", description="Exercise templates.")


@blp.route("")
class Templates(MethodView):
    @open_access
    @blp.response(200, TemplateSchema(many=True))
    def get(self):
        """List the exercise templates"""
        return list(TEMPLATES.values())
