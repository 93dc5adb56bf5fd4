"""Outgoing webhooks (CONTRACT §8): endpoints, events queued with the change, delivery by the engine.

An event is queued for each subscribed endpoint in the transaction of the change it reports, so a
rolled-back change sends nothing. The delivery engine (delivery/engine.py) claims queued deliveries
like invitations; each is POSTed signed per Standard Webhooks (channels/webhook.py: never to the
server's own networks, unless WEBHOOK_ALLOW_PRIVATE). A 2xx is delivered; 408, 429 and 5xx are
retried with the engine's backoff (the first retry within a minute) until the give-up time; any
other answer fails the delivery; a receiver that can't be reached pauses its host (one probe at a
time) instead of spending attempts. An endpoint whose deliveries fail for good
WEBHOOK_DISABLE_AFTER times in a row is disabled.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, func, select, update
from standardwebhooks.webhooks import Webhook

from channels import webhook as http

from ..accounts import audit, grace
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db, rowcount
from ..models import Invitation, Response, WebhookDelivery, WebhookEndpoint
from ..models.types import utcnow
from ..pagination import newest_first_page
from ..schemas.api import ResponseSchema
from ..security import decrypt_secret, encrypt_secret
from . import engine as delivery

log = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_ORG = 20
USER_AGENT = "SurveyHub-Webhooks/1"


@dataclass(frozen=True)
class NewEndpoint:
    """An endpoint just created, with its secret, shown only this once."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    """Return a fresh Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_destination(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address of the server's own networks."""
    if current_app.config["WEBHOOK_ALLOW_PRIVATE"]:
        return
    try:
        http.checked_addresses(url, allow_private=False)
    except (http.Refused, http.Unreachable) as err:
        raise Invalid("This webhook URL can't be used.", {"url": str(err)}) from None


def create_endpoint(org_id: int, url: str, events: list[str]) -> NewEndpoint:
    """Register an endpoint for some event types (its URL well formed; checked here for where it leads)."""
    check_destination(url)
    count = db.session.execute(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
    ).scalar_one()
    if count >= MAX_ENDPOINTS_PER_ORG:
        raise Conflict(f"An org has at most {MAX_ENDPOINTS_PER_ORG} webhook endpoints.",
                       {"url": "too many endpoints"})
    secret = new_secret()
    endpoint = WebhookEndpoint(org_id=org_id, url=url, events=list(events),
                               secret_encrypted=encrypt_secret(secret, current_app.config["SECRET_KEY"]))
    db.session.add(endpoint)
    db.session.flush()  # the endpoint's id
    return NewEndpoint(endpoint, secret)


def list_endpoints(org_id: int) -> list[WebhookEndpoint]:
    """Return the org's endpoints, oldest first."""
    return list(db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id).order_by(WebhookEndpoint.id)
    ).scalars())


def get_endpoint(org_id: int, endpoint_id: int) -> WebhookEndpoint:
    """Return one of the org's endpoints; another org's is NotFound."""
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.org_id == org_id)
    ).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint, its queued deliveries and its delivery log."""
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)


@dataclass(frozen=True)
class RotatedSecret:
    """An endpoint's new secret, shown only this once, and when the old one stops signing (None: already)."""

    endpoint: WebhookEndpoint
    secret: str
    previous_expires_at: datetime | None


def rotate_secret(endpoint: WebhookEndpoint, *, grace_hours: int, actor: str) -> RotatedSecret:
    """Give an endpoint a new secret. Until `grace_hours` pass, deliveries are signed with both.

    Standard Webhooks lets `webhook-signature` carry several signatures, so a receiver still checking
    with the old secret keeps accepting deliveries while it is switched to the new one.
    """
    ends = grace.grace_ends(grace_hours)
    db.session.refresh(endpoint, with_for_update=True)  # two rotations of one endpoint queue
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted if ends else None
    endpoint.previous_secret_expires_at = ends
    secret = new_secret()
    endpoint.secret_encrypted = encrypt_secret(secret, current_app.config["SECRET_KEY"])
    audit.record(endpoint.org_id, "webhook_secret.rotated", actor=actor,
                 subject=f"endpoint {endpoint.id}: {endpoint.url}",
                 detail={"grace_hours": grace_hours, "old_secret_valid_until": grace.as_text(ends)})
    return RotatedSecret(endpoint, secret, ends)


def enable_endpoint(endpoint: WebhookEndpoint) -> None:
    """Turn a disabled endpoint back on; deliveries cancelled while it was off stay cancelled."""
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.failures_in_a_row = 0


def replay_delivery(org_id: int, delivery_id: int) -> None:
    """Send a finished delivery (delivered, failed or cancelled) again, as the same message (webhook-id).

    The row is queued again with fresh attempts: the log shows the replay's outcome. Its endpoint must
    be active (a disabled one is enabled first, on purpose).
    """
    found = db.session.execute(
        select(WebhookDelivery.status, WebhookEndpoint.disabled_at)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.org_id == org_id)).first()
    if found is None:
        raise NotFound(f"No webhook delivery {delivery_id}.")
    if found.disabled_at is not None:
        raise Conflict("Enable the endpoint before replaying its deliveries.", {"endpoint": "is disabled"})
    replayed = rowcount(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(("delivered", "failed", "cancelled")))
        .values(status="queued", due_at=utcnow(), attempts=0, errors=0, lease_until=None, claimed_by=None,
                delivered_at=None, last_error=None, response_status=None)
        .execution_options(synchronize_session=False))
    if not replayed:
        raise Conflict("This delivery is still being sent.", {"delivery": f"is {found.status}"})


def enqueue(org_id: int, event_type: str, data: dict, *, response_id: int | None = None) -> int:
    """Queue an event for every active endpoint of the org that wants it (the caller commits)."""
    return _enqueue_to(_endpoints_wanting(org_id, event_type), org_id, event_type, data, response_id=response_id)


def _endpoints_wanting(org_id: int, event_type: str) -> list[WebhookEndpoint]:
    return [e for e in db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id, WebhookEndpoint.disabled_at.is_(None))
    ).scalars() if event_type in e.events]


def _enqueue_to(endpoints: list[WebhookEndpoint], org_id: int, event_type: str, data: dict, *,
                response_id: int | None) -> int:
    now = utcnow()
    payload = {"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    for endpoint in endpoints:
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, org_id=org_id, event_type=event_type,
                                       message_id=f"msg_{uuid.uuid4().hex}", payload=payload,
                                       response_id=response_id, due_at=now, created_at=now))
    return len(endpoints)


def enqueue_for_event(org_id: int, type: str, *, survey_id: int | None, channel: str | None,
                      response_id: int | None, data: dict, invitation_id: int | None = None) -> None:
    """Queue the webhook event a recorded event stands for, if any (record_event calls this)."""
    if type == "completed" and response_id is not None:
        endpoints = _endpoints_wanting(org_id, "response.completed")
        response = db.session.get(Response, response_id) if endpoints else None  # nobody wants it: not read
        if response is not None:
            # The webhook carries the API's response shape.
            db.session.refresh(response)
            _enqueue_to(endpoints, org_id, "response.completed", {"response": ResponseSchema().dump(response)},
                        response_id=response_id)
    elif type == "failed" and invitation_id is not None:
        endpoints = _endpoints_wanting(org_id, "invitation.failed")
        invitation = db.session.get(Invitation, invitation_id) if endpoints else None
        if invitation is not None:
            _enqueue_to(endpoints, org_id, "invitation.failed", {
                "invitation_id": invitation.id, "survey_id": survey_id, "channel": channel,
                "reason": data.get("reason") or data.get("error_code"), "cascade_id": invitation.cascade_id,
                "step": invitation.step}, response_id=None)
    elif type == "offer_accepted":
        response = db.session.get(Response, response_id) if response_id is not None else None
        external_id = response.respondent.external_id if response is not None and response.respondent else None
        enqueue(org_id, "offer.accepted", {"offer": data.get("offer"), "survey_id": survey_id, "channel": channel,
                                           "response_id": response_id, "external_id": external_id},
                response_id=response_id)


def enqueue_opt_out(org_id: int, channel: str, address: str, survey_id: int | None) -> None:
    """Queue respondent.opted_out for an address that asked for no more surveys (the caller commits)."""
    enqueue(org_id, "respondent.opted_out", {"channel": channel, "address": address, "survey_id": survey_id})


def forget_person(org_id: int, response_ids: Sequence[int], addresses: Sequence[str]) -> None:
    """Delete the deliveries (queued or logged) about an erased person: their responses, their opt-outs."""
    if response_ids:
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.response_id.in_(response_ids)))
    if addresses:
        opt_outs = db.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.payload)
            .where(WebhookDelivery.org_id == org_id, WebhookDelivery.event_type == "respondent.opted_out")
        ).all()
        ids = [i for i, payload in opt_outs if payload.get("data", {}).get("address") in addresses]
        if ids:
            db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))


def recent_deliveries(org_id: int, *, before: int | None, limit: int = 50) -> tuple[list[WebhookDelivery], int | None]:
    """Return a page of the org's delivery log, newest first, and the id the next page starts before."""
    query = select(WebhookDelivery).where(WebhookDelivery.org_id == org_id)
    return newest_first_page(query, WebhookDelivery.id, before=before, limit=limit)


# ---------------------------------------------------------------- delivery (a job kind of the engine)

@dataclass(frozen=True)
class OutgoingWebhook:
    """What one delivery attempt needs, read when its batch is loaded."""

    id: int
    endpoint_id: int
    url: str
    signing_secrets: tuple[str, ...]
    active: bool
    message_id: str
    body: str


def sign(signing_secrets: Sequence[str], message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """Return the Standard Webhooks headers for one attempt: one signature per secret, space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in signing_secrets),
    }


def _secrets_in_force(endpoint: WebhookEndpoint, secret_key: str) -> tuple[str, ...]:
    """The endpoint's secret, and the one rotated out while its overlap lasts."""
    current = decrypt_secret(endpoint.secret_encrypted, secret_key)
    if endpoint.previous_secret_encrypted and grace.in_grace(endpoint.previous_secret_expires_at):
        return current, decrypt_secret(endpoint.previous_secret_encrypted, secret_key)
    return (current,)


def channel_of(url: str) -> str:
    """Name the delivery channel of a URL: its scheme, host and port (paused together when unreachable)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"webhook:{parts.scheme}://{parts.hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def load_deliveries(ids: Sequence[int]) -> list[OutgoingWebhook]:
    """Read claimed deliveries with their endpoints' URLs and the secrets in force."""
    secret_key = current_app.config["SECRET_KEY"]
    rows = db.session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)
    ).all()
    return [OutgoingWebhook(d.id, e.id, e.url, _secrets_in_force(e, secret_key), e.disabled_at is None,
                            d.message_id, json.dumps(d.payload, separators=(",", ":"))) for d, e in rows]


def endpoint_active(item: OutgoingWebhook, claim: delivery.Claim) -> OutgoingWebhook | None:
    """Cancel a delivery whose endpoint was disabled meanwhile."""
    if item.active:
        return item
    claim.finish("cancelled", last_error="endpoint disabled")
    return None


def post_delivery(item: OutgoingWebhook, connection: None) -> int | http.Refused:
    """POST one delivery with a fresh signature; return the HTTP status, or why its address was refused."""
    headers = sign(item.signing_secrets, item.message_id, utcnow(), item.body)
    config = current_app.config
    try:
        return http.post(item.url, {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                         item.body.encode(), config["WEBHOOK_TIMEOUT_SECONDS"], config["WEBHOOK_ALLOW_PRIVATE"])
    except http.Unreachable as err:
        raise delivery.Outage(str(err)) from None
    except http.Refused as err:
        return err
    except Exception as err:  # noqa: BLE001 - a garbled answer: the engine counts it; the URL's credentials stay out
        where = http.redact(item.url)
        raise RuntimeError(f"{type(err).__name__} from {where}: {err}".replace(item.url, where)) from None


def record_delivery(item: OutgoingWebhook, result: int | http.Refused, claim: delivery.Claim) -> None:
    """Mark a 2xx delivered; retry 408, 429 and 5xx; fail any other answer or a refused address."""
    where = http.redact(item.url)
    if isinstance(result, http.Refused):
        claim.retry_or_fail(f"refused: {result}", transient=False)
        log.warning("webhook delivery %s to %s refused: %s", item.id, where, result)
        return
    if 200 <= result < 300:
        if claim.finish("delivered", delivered_at=utcnow(), response_status=result, last_error=None):
            db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == item.endpoint_id)
                               .values(failures_in_a_row=0))
        return
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == item.id).values(response_status=result))
    problem = f"HTTP {result}"
    outcome = claim.retry_or_fail(problem, transient=result in (408, 429) or result >= 500)
    log.warning("webhook delivery %s to %s: %s (%s)", item.id, where, problem, outcome)


def _delivery_failed(delivery_id: int, reason: str) -> None:
    """Count a delivery that failed for good against its endpoint (the engine calls this)."""
    endpoint_id = db.session.execute(
        select(WebhookDelivery.endpoint_id).where(WebhookDelivery.id == delivery_id)).scalar_one_or_none()
    if endpoint_id is not None:
        _count_failure(endpoint_id)


def _count_failure(endpoint_id: int) -> None:
    """Count a delivery that failed for good; disable the endpoint after too many in a row."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None or endpoint.disabled_at is not None:
        return
    endpoint.failures_in_a_row += 1
    limit = current_app.config["WEBHOOK_DISABLE_AFTER"]
    if endpoint.failures_in_a_row >= limit:
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = f"{limit} deliveries in a row failed after every retry"
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)


# Each delivery takes at most WEBHOOK_TIMEOUT_SECONDS (10 s): well inside the lease, renewed between them.
WEBHOOK_KIND = delivery.JobKind(name="webhooks", model=WebhookDelivery, load=load_deliveries,
                                channel=lambda item: channel_of(item.url), prepare=endpoint_active,
                                send=post_delivery, record=record_delivery, batch_size=20,
                                since=WebhookDelivery.created_at, on_failed=_delivery_failed)
