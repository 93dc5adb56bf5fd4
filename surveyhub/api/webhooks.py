"""Outgoing webhooks: register, list and remove endpoints (CONTRACT §8)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from ..delivery import webhooks
from ..schemas.api import (
    RotateSecretQuerySchema,
    WebhookCreatedSchema,
    WebhookInSchema,
    WebhookPageSchema,
    WebhookRotatedSchema,
)
from ..transaction import unit_of_work
from . import PREFIX, RULES_BEYOND_SCHEMA, authenticate, require_json_body

blp = Blueprint("webhooks", __name__, url_prefix=PREFIX, description="Outgoing webhooks")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.doc(**RULES_BEYOND_SCHEMA)
    @blp.arguments(WebhookInSchema)
    @blp.response(201, WebhookCreatedSchema)
    @unit_of_work()
    def post(self, body):
        """Register an endpoint; the answer carries its signing secret, shown only this once."""
        new = webhooks.create_endpoint(g.org.id, body["url"], body["events"])
        return _with_secret(new.endpoint, new.secret)

    @blp.response(200, WebhookPageSchema)
    def get(self):
        """List the org's endpoints (without their secrets)."""
        return {"data": webhooks.list_endpoints(g.org.id), "next_cursor": None}


@blp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@blp.response(204)
@unit_of_work()
def delete_webhook(endpoint_id):
    """Remove an endpoint and its deliveries."""
    webhooks.delete_endpoint(webhooks.get_endpoint(g.org.id, endpoint_id))


@blp.route("/webhooks/<int:endpoint_id>/rotate-secret", methods=["POST"])
@blp.arguments(RotateSecretQuerySchema, location="query")
@blp.response(200, WebhookRotatedSchema)
@unit_of_work()
def rotate_webhook_secret(query, endpoint_id):
    """Give an endpoint a new secret, shown only in this answer; deliveries carry both signatures for a while."""
    endpoint = webhooks.get_endpoint(g.org.id, endpoint_id)
    rotated = webhooks.rotate_secret(endpoint, grace_hours=query["grace_hours"], actor=g.actor)
    return {**_with_secret(rotated.endpoint, rotated.secret), "previous_secret_expires_at": rotated.previous_expires_at}


def _with_secret(endpoint, secret: str) -> dict:
    return {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events, "status": endpoint.status,
            "disabled_reason": endpoint.disabled_reason, "created_at": endpoint.created_at, "secret": secret}
