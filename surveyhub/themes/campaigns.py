"""Closing the loop by theme: mark a theme addressed and tell everyone whose answer is in it.

`address` writes the campaign and one notice per person in the caller's unit of work: queued for the
delivery engine ("theme_notice", delivery/notices.py) on the channel they answered on, or skipped with
its reason (no address, unsubscribed/opted out, the fatigue cap). The `theme.addressed` webhook is
queued in the same transaction, so a rolled-back campaign tells nobody.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..accounts.orgs import get_org
from ..delivery import engine as delivery
from ..delivery import fatigue
from ..delivery.suppressions import suppressed
from ..delivery.webhooks import enqueue
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db, rowcount
from ..links import NOTICE, LinkInvalid, read_token
from ..models import Org, Response, Theme, ThemeCampaign, ThemeNotice
from ..models.types import utcnow
from .members import members


@dataclass(frozen=True)
class Recipient:
    """One person to tell: their respondent id, channel, address and locale (channel None: nobody to reach)."""

    respondent_id: int | None
    channel: str | None
    address: str | None
    locale: str | None
    external_id: str | None = None


def check_message(message: dict, default_locale: str, link: str | None) -> None:
    """Refuse a message without text in its default locale, or a link that is not http(s)."""
    if not str(message.get(default_locale) or "").strip():
        raise Invalid("The message needs a text in its default locale.",
                      {"message": f"missing the {default_locale} text"})
    if link is not None:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid("The link must be an http(s) URL.", {"link": "not an http(s) URL"})


def recipients(theme: Theme) -> list[Recipient]:
    """Return one recipient per person whose answer is in the theme, on the channel of their latest answer."""
    response_ids = [m.response_id for m in members(theme)]
    if not response_ids:
        return []
    responses = db.session.execute(
        select(Response).where(Response.id.in_(response_ids), Response.org_id == theme.org_id)
        .options(joinedload(Response.respondent)).order_by(Response.id)
    ).scalars().all()
    latest: dict[object, Response] = {}
    for response in responses:  # oldest first: a person's latest response wins
        latest[response.respondent_id if response.respondent_id is not None else ("anonymous", response.id)] = response
    found = []
    for response in latest.values():
        person = response.respondent
        if person is None:
            found.append(Recipient(None, None, None, None))
        elif response.channel == "sms":
            found.append(Recipient(person.id, "sms" if person.phone else None, person.phone, person.locale,
                                   person.external_id))
        else:  # email, web, widget, interview: told by email, if we have one
            found.append(Recipient(person.id, "email" if person.email else None, person.email, person.locale,
                                   person.external_id))
    return found


def _skip_reasons(org_id: int, people: list[Recipient]) -> list[str | None]:
    """Why each recipient is skipped (None: told): no address, suppressed on the channel, the fatigue cap."""
    blocked = {channel: suppressed(org_id, channel, [p.address for p in people if p.channel == channel and p.address])
               for channel in ("email", "sms")}
    reasons: list[str | None] = []
    for person in people:
        if person.channel is None or not person.address:
            reasons.append("no_address")
        elif person.address in blocked[person.channel]:
            reasons.append("unsubscribed" if person.channel == "email" else "opted_out")
        else:
            reasons.append(None)
    reachable = [i for i, reason in enumerate(reasons) if reason is None]
    capped = fatigue.contacted(get_org(org_id), [
        fatigue.Person(people[i].external_id, people[i].address if people[i].channel == "email" else None,
                       people[i].address if people[i].channel == "sms" else None) for i in reachable])
    for position in capped:
        reasons[reachable[position]] = fatigue.REASON
    return reasons


def address(theme: Theme, message: dict, default_locale: str, link: str | None, actor: str | None) -> dict:
    """Mark the theme addressed and queue its message to everyone in it; return the campaign (caller commits).

    A theme already addressed is a Conflict (one campaign per theme).
    """
    check_message(message, default_locale, link)
    # The engine's time, as cascades take theirs: giving up (DELIVERY_GIVE_UP_HOURS) counts from it.
    now = delivery.clock()
    marked = rowcount(update(Theme).where(Theme.id == theme.id, Theme.addressed_at.is_(None))
                      .values(addressed_at=now).execution_options(synchronize_session=False))
    if not marked:
        raise Conflict("This theme was already addressed.", {"theme": "already addressed"})
    texts = {locale: text.strip() for locale, text in message.items() if str(text or "").strip()}
    campaign = ThemeCampaign(org_id=theme.org_id, theme_id=theme.id, message=texts, default_locale=default_locale,
                             link=link, created_by=actor, created_at=now)
    db.session.add(campaign)
    db.session.flush()
    people = recipients(theme)
    skipped: Counter[str] = Counter()
    for person, reason in zip(people, _skip_reasons(theme.org_id, people), strict=True):
        db.session.add(ThemeNotice(
            org_id=theme.org_id, campaign_id=campaign.id, respondent_id=person.respondent_id, channel=person.channel,
            address=person.address, locale=person.locale, reason=reason, status="skipped" if reason else "queued",
            due_at=now, created_at=now))
        if reason:
            skipped[reason] += 1
    body = {"id": campaign.id, "theme_id": theme.id, "queued": len(people) - sum(skipped.values()),
            "skipped": dict(skipped)}
    enqueue(theme.org_id, "theme.addressed", {
        "campaign_id": campaign.id, "theme_id": theme.id, "survey_id": theme.survey_id,
        "question_id": theme.question_id, "label": theme.custom_label or theme.label, "message": texts,
        "default_locale": default_locale, "link": link, "queued": body["queued"], "skipped": body["skipped"]})
    return body


def campaign_of(theme: Theme) -> dict:
    """Return the theme's campaign with its counts (queued, sent, failed, skipped by reason, opened, clicked)."""
    campaign = db.session.execute(
        select(ThemeCampaign).where(ThemeCampaign.theme_id == theme.id)).scalar_one_or_none()
    if campaign is None:
        raise NotFound(f"Theme {theme.id} has not been addressed.")
    rows = db.session.execute(
        select(ThemeNotice.status, ThemeNotice.reason, func.count(), func.count(ThemeNotice.opened_at),
               func.count(ThemeNotice.clicked_at))
        .where(ThemeNotice.campaign_id == campaign.id).group_by(ThemeNotice.status, ThemeNotice.reason)).all()
    counts = {"queued": 0, "sent": 0, "failed": 0}
    skipped: Counter[str] = Counter()
    opened = clicked = 0
    for status, reason, n, opens, clicks in rows:
        if status == "skipped":
            skipped[reason or "unknown"] += n
        else:
            counts["sent" if status == "sent" else "failed" if status == "failed" else "queued"] += n
        opened += opens
        clicked += clicks
    return {"id": campaign.id, "theme_id": theme.id, "message": campaign.message,
            "default_locale": campaign.default_locale, "link": campaign.link, "created_at": campaign.created_at,
            **counts, "skipped": dict(skipped), "opened": opened, "clicked": clicked}


@dataclass(frozen=True)
class Shown:
    """A notice as its page shows it: the org, the message in the person's language, the campaign's link."""

    notice_id: int
    org_name: str
    locale: str
    text: str
    link: str | None


def read_notice(token: str) -> Shown:
    """Return the notice a /n/ token names (sent ones only); NotFound for a bad token or an unknown notice."""
    from ..delivery.notices import text_for  # the job kind's choice of language, one rule for both

    try:
        notice_id = int(read_token(NOTICE, token).value["n"])
    except (LinkInvalid, KeyError, TypeError, ValueError):
        raise NotFound("This link is not valid.") from None
    row = db.session.execute(
        select(ThemeNotice, ThemeCampaign, Org).join(ThemeCampaign, ThemeCampaign.id == ThemeNotice.campaign_id)
        .join(Org, Org.id == ThemeNotice.org_id).where(ThemeNotice.id == notice_id)).one_or_none()
    if row is None:
        raise NotFound("This link is not valid.")
    notice, campaign, org = row
    locale, text = text_for(campaign, notice.locale)
    return Shown(notice.id, org.name, locale, text, campaign.link)


def record_open(shown: Shown) -> None:
    """Count the notice opened, the first time its page is shown (the caller commits)."""
    db.session.execute(update(ThemeNotice).where(ThemeNotice.id == shown.notice_id, ThemeNotice.opened_at.is_(None))
                       .values(opened_at=utcnow()).execution_options(synchronize_session=False))


def record_click(shown: Shown) -> None:
    """Count the campaign's link clicked (and so the notice opened), the first time (the caller commits)."""
    now = utcnow()
    db.session.execute(update(ThemeNotice).where(ThemeNotice.id == shown.notice_id, ThemeNotice.clicked_at.is_(None))
                       .values(clicked_at=now, opened_at=func.coalesce(ThemeNotice.opened_at, now))
                       .execution_options(synchronize_session=False))
