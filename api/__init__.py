"""The HTTP service: an app factory in the style of the Flask tutorial.

``create_app()`` reads its settings from the environment (api.config);
tests pass overrides, e.g. ``create_app({"database_url": ..., "practice": False})``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from flask import Blueprint, Flask, redirect, url_for
from flask.json.provider import DefaultJSONProvider
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from api import auth, db, errors, pages, problemstore, ratelimit, requestid
from api.bodylimit import BodyLimit
from api.config import load_settings
from api.lti import views as lti
from api.resources import grades, health, printing, problem_sets, problems, rosters, submissions, templates
from api.smorest import Api

API_PREFIX = "/api/v1"
DOCS_ASSETS = f"{API_PREFIX}/docs/assets"


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    settings = load_settings(config)
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        API_TITLE="elbo-grader",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by this app (no CDN): relative, so it also works under a path prefix.
        OPENAPI_SWAGGER_UI_URL="docs/assets/",
        # Swagger UI would send the document to validator.swagger.io.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": "Auto-grading of exercises on the ELBO of a binary latent-variable model."
            },
            # Each operation says who may call it (api.auth.access).
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        },
    )
    # Keep the order of keys: answers and parts follow the template's order.
    cast(DefaultJSONProvider, app.json).sort_keys = False
    app.register_blueprint(
        Blueprint("swagger_ui", __name__, static_folder=str(swagger_ui_path), static_url_path=DOCS_ASSETS)
    )

    db.init_app(app, settings.database_url)
    problemstore.init_app(app)
    requestid.init_app(app)
    app.before_request(auth.authenticate)
    app.before_request(pages.authenticate)  # a page's caller is its session's
    ratelimit.init_app(app)  # after authenticate: limits are per caller
    if settings.trusted_proxies:
        # The client's address from X-Forwarded-For, and the scheme the
        # proxy was reached by (session cookies are Secure over HTTPS).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=1
        )
    # Outermost: bodies are read whole, within the limit, before anything else runs.
    app.wsgi_app = BodyLimit(app.wsgi_app, settings.max_content_length, settings.body_timeout)  # type: ignore[method-assign]
    errors.init_app(app)
    api = Api(app)
    app.url_map.converters["student_path"] = rosters.StudentPath
    api.register_converter(rosters.StudentPath, lambda converter: {"type": "string"})
    # The docs' assets are relative to /api/v1/docs, so the slashed path people type redirects there.
    app.add_url_rule(f"{API_PREFIX}/docs/", "docs_with_slash",
                     lambda: redirect(url_for("api-docs.openapi_swagger_ui"), 308))
    for resource in (health, templates, problems, submissions, problem_sets, rosters, grades, printing):
        api.register_blueprint(resource.blp)
    pages.init_app(app)
    lti.init_app(app)
    return app
