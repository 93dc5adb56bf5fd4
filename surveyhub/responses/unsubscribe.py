"""Email unsubscribes from the signed link in every invitation (and RFC 8058 one-click POSTs)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import links
from ..delivery.suppressions import suppress
from ..models import Invitation
from .hosted import LinkProblem, signed_row


@dataclass(frozen=True)
class Target:
    """Who is unsubscribing, from which org."""

    org_id: int
    org_name: str
    address: str
    survey_id: int
    locale: str | None


def resolve(token: str) -> Target:
    """Read an unsubscribe link; LinkProblem("invalid") if tampered or its invitation is gone.

    Unsubscribe links don't expire: people find old mails.
    """
    invitation, _ = signed_row(links.UNSUBSCRIBE, token, "i", Invitation)
    if not invitation.address:
        raise LinkProblem("invalid")
    respondent = invitation.respondent
    return Target(invitation.org_id, invitation.survey.org.name, invitation.address, invitation.survey_id,
                  respondent.locale if respondent else None)


def unsubscribe(target: Target) -> None:
    """Stop all survey email from the org to this address (repeating it changes nothing)."""
    suppress(target.org_id, "email", target.address, "unsubscribed", survey_id=target.survey_id)
