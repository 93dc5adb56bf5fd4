"""Outgoing webhooks (CONTRACT §8): the endpoints an org registered, and the queue of deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .queue import QueueMixin
from .types import BigIntPK, JSONType, UTCDateTime, utcnow

WEBHOOK_EVENTS = ("response.completed", "offer.accepted", "respondent.opted_out", "invitation.failed",
                  "cascade.finished", "theme.addressed", "follow_up.opened")


class WebhookEndpoint(Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSONType)
    # The signing secret ("whsec_…") must be read back to sign, so it is encrypted, not hashed.
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    # The secret rotated out: deliveries carry its signature too until its overlap ends (both None: none).
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(500))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deliveries that failed for good one after another; a success resets it. Too many disables.
    failures_in_a_row: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def status(self) -> str:
        """Return "active" or "disabled"."""
        return "disabled" if self.disabled_at is not None else "active"


class WebhookDelivery(QueueMixin, Model):
    """One event for one endpoint: a queue row for the delivery engine, then the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_queue", "status", "due_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # Standard Webhooks' webhook-id: the same for every attempt, so receivers can drop repeats.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    payload: Mapped[dict] = mapped_column(JSONType)
    # The response the event is about, if any: erasure deletes its deliveries with it.
    response_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
