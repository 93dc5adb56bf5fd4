"""The "theme_notice" job kind: tell one person that the theme their answer is in was addressed.

Email goes over the SMTP channel (channels/email.py) with a link to the notice page (/n/TOKEN), which
counts the open; SMS is the message and that link, sent through Twilio like sms.py, inside quiet hours.
Each notice is re-checked before it goes (unsubscribed, opted out or erased meanwhile: skipped).
Retries, outages, leases and giving up are the engine's (engine.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select

from channels.email import DeliveryError, mailer_for
from channels.sms import LogSender, SmsError, TwilioSender

from .. import links
from ..extensions import db
from ..i18n import LOCALES, choose_locale
from ..models import Org, Respondent, ThemeCampaign, ThemeNotice
from ..models.types import utcnow
from ..rules import hours
from . import engine as delivery
from . import sms as sms_delivery
from .email import new_message_id
from .suppressions import suppressed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """What sending one notice needs, read when its batch is loaded."""

    id: int
    org_id: int
    org_name: str
    channel: str
    address: str
    text: str  # the message in the person's language (else the default locale's)
    locale: str  # the product's words (subject, opening line)
    link: str | None
    zones: tuple[str, ...]
    erased: bool


def text_for(campaign: ThemeCampaign, wanted: str | None) -> tuple[str, str]:
    """Return (locale, text) of the campaign's message for someone whose locale is `wanted`."""
    offered = [campaign.default_locale, *(k for k in campaign.message if k != campaign.default_locale)]
    locale = choose_locale(offered, wanted)
    return locale, campaign.message[locale]


def load_notices(ids: Sequence[int]) -> list[Notice]:
    """Read claimed notices with their campaigns, people and orgs."""
    rows = db.session.execute(
        select(ThemeNotice, ThemeCampaign, Org, Respondent)
        .join(ThemeCampaign, ThemeCampaign.id == ThemeNotice.campaign_id)
        .join(Org, Org.id == ThemeNotice.org_id)
        .outerjoin(Respondent, Respondent.id == ThemeNotice.respondent_id)
        .where(ThemeNotice.id.in_(ids)).order_by(ThemeNotice.id)).all()
    loaded = []
    for notice, campaign, org, person in rows:
        content_locale, text = text_for(campaign, notice.locale)
        zones = hours.quiet_hours_zones(notice.address, person.timezone if person else None, org.timezone)
        loaded.append(Notice(notice.id, notice.org_id, " ".join(org.name.split()), notice.channel or "email",
                             notice.address or "", text, choose_locale(LOCALES, content_locale), campaign.link,
                             zones, person is None))
    return loaded


def still_wanted(notice: Notice, claim: delivery.Claim) -> Notice | None:
    """Skip a notice whose person was erased or opted out meanwhile; hold an SMS until quiet hours end."""
    reason = None
    if notice.erased:
        reason = "respondent_erased"
    elif suppressed(notice.org_id, notice.channel, [notice.address]):
        reason = "unsubscribed" if notice.channel == "email" else "opted_out"
    if reason:
        claim.finish("skipped", reason=reason)
        return None
    if notice.channel == "sms":
        wait = hours.next_window_start(delivery.clock(), notice.zones)  # the engine's clock, which tests move
        if wait is not None:
            claim.postpone(wait)
            return None
    return notice


def render_email(notice: Notice) -> EmailMessage:
    """Build the notice email (plain text and HTML) in the person's language."""
    context = {"locale": notice.locale, "org": notice.org_name, "text": notice.text,
               "notice_url": links.url(f"/n/{links.notice_token(notice.id)}")}
    message = EmailMessage()
    with force_locale(notice.locale):
        message["Subject"] = gettext("{org}: we acted on your feedback").format(org=notice.org_name)
        plain = render_template("email/theme_notice.txt", **context)
        html = render_template("email/theme_notice.html", **context)
    message["From"] = Address(display_name=notice.org_name, addr_spec=current_app.config["MAIL_FROM"])
    message["To"] = notice.address
    message["Message-ID"] = new_message_id()
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message


class Senders:
    """A batch's SMTP connection and SMS sender, each opened by the first notice that needs it."""

    def __init__(self) -> None:
        config = current_app.config
        self.mailer = mailer_for(config["SMTP_URL"], config["SMTP_TIMEOUT_SECONDS"])
        self._sms: TwilioSender | LogSender | None = None

    def sms(self) -> TwilioSender | LogSender:
        """Return the batch's SMS sender."""
        if self._sms is None:
            self._sms = sms_delivery.open_sender()
        return self._sms

    def close(self) -> None:
        """Say QUIT to the SMTP server, if the batch connected."""
        self.mailer.close()


def send_notice(notice: Notice, senders: Senders) -> str | None | DeliveryError | SmsError:
    """Send one notice; return the provider's id, or its refusal (an unreachable server is an Outage)."""
    if notice.channel == "sms":
        body = f"{notice.org_name}: {notice.text} {links.url('/n/' + links.notice_token(notice.id))}"
        return sms_delivery.send_sms(notice.address, body, senders.sms())
    message = render_email(notice)
    try:
        senders.mailer.open()
        senders.mailer.send(message)
    except DeliveryError as err:
        if err.connection:
            raise delivery.Outage(err.reason) from None
        return err
    return str(message["Message-ID"])


def record_notice(notice: Notice, result: str | None | DeliveryError | SmsError, claim: delivery.Claim) -> None:
    """Mark the notice sent, or retry or fail it per the provider's refusal."""
    if isinstance(result, DeliveryError | SmsError):
        status = claim.retry_or_fail(result.reason, transient=result.transient)
        log.warning("theme notice %s: %s (%s)", notice.id, result.reason, status)
        return
    claim.finish("sent", sent_at=utcnow(), provider_message_id=result, last_error=None)


NOTICE_KIND = delivery.JobKind(name="theme_notice", model=ThemeNotice, load=load_notices,
                               channel=lambda notice: notice.channel, prepare=still_wanted, connect=Senders,
                               send=send_notice, record=record_notice, batch_size=100,
                               since=ThemeNotice.created_at)
