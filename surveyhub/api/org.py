"""The caller's own org: its settings (timezone, default phone region)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts import orgs
from ..schemas.api import OrgSchema, OrgSettingsInSchema
from ..transaction import unit_of_work
from . import PREFIX, authenticate, require_json_body

blp = Blueprint("org", __name__, url_prefix=PREFIX, description="The caller's org")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/org")
class Org(MethodView):
    @blp.response(200, OrgSchema)
    def get(self):
        """Show the org's settings."""
        return orgs.describe(g.org)

    @blp.arguments(OrgSettingsInSchema)
    @blp.response(200, OrgSchema)
    @unit_of_work()
    def patch(self, body):
        """Change the org's timezone, default region (null removes it), widget responses a day or contact cap."""
        return orgs.describe(orgs.update_settings(g.org, **body))
