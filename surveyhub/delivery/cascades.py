"""Cascades (CONTRACT §9): one person asked one survey on several channels in turn, until they answer.

A cascade's steps are invitations (`cascade_id`, `step`) made one at a time: the first when the
cascade starts, each next one when the previous one is sent (its wait counting from that send), or at
once when it is skipped (no usable address, unsubscribed, opted out) or failed for good. A sent step
is written to `cascade_advances` in its own commit, and the next steps are made in bulk (`take_steps`)
after the worker's batch, or by the `cascade_advance` sweep for a batch whose worker died before. They are the
engine's `cascade_step` kind, which sends each through the email or SMS kind's own functions after
re-checking, under the cascade row's lock, that the cascade still runs. An answer stops it
(`stop_for_answer`, in the answer's unit of work); archiving the survey or erasing the person cancels it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update

from channels.email import DeliveryError
from channels.sms import SmsError

from ..accounts.orgs import REGION_SETTING
from ..accounts.surveys import live_version
from ..bulk import any_of, custom_plans, insert_rows
from ..errors import Invalid
from ..events import NewEvent, record_events, record_invitation_failed
from ..extensions import db
from ..models import Cascade, CascadeAdvance, Invitation, Survey, WebhookEndpoint
from ..models.invitation import QUEUED_SINCE
from ..models.upsert import insert_for
from ..transaction import unit_of_work
from . import email as email_invitations
from . import engine as delivery
from . import fatigue, webhooks
from . import sms as sms_delivery
from .invitations import ADDRESS_FIELD, InvitationBatch, Queued, Refusal, check_recipient, upsert_respondents
from .suppressions import suppressed

log = logging.getLogger(__name__)

# The reason a refused or skipped step names when its address may not be contacted.
BLOCKED_REASON = {"email": "unsubscribed", "sms": "opted_out"}


def plan_for(definition: dict, steps: Sequence[dict] | None) -> dict:
    """Return the cascade plan to start: the request's steps, else the survey's; 422 if there is neither."""
    plan = definition.get("delivery")
    if steps:
        return {"steps": list(steps), "stop_on": (plan or {}).get("stop_on", "responded")}
    if not plan:
        raise Invalid("The survey has no delivery plan: give the cascade's steps.",
                      {"steps": "is required: the survey has no delivery plan"})
    return {"steps": plan["steps"], "stop_on": plan.get("stop_on", "responded")}


def require_plan(definition: dict) -> None:
    """Refuse to start the survey's own plan when it has none (the CLI gives no steps of its own)."""
    if not definition.get("delivery"):
        raise Invalid('The survey has no delivery plan: add one to its definition ("delivery": {"steps": [...]}) '
                      "and publish it.", {"delivery": "is required to start cascades"})


def start_cascades(survey: Survey, recipients: Sequence[dict], steps: Sequence[dict] | None = None,
                   send_at: datetime | None = None) -> InvitationBatch:
    """Start one cascade per acceptable recipient and queue its first step; say why each other one was refused."""
    plan = plan_for(live_version(survey).definition, steps)
    channels = {step["channel"] for step in plan["steps"]}
    region = (survey.org.settings or {}).get(REGION_SETTING)
    start = send_at or delivery.clock()
    checked = [(recipient, *_addresses(channels, recipient, region)) for recipient in recipients]
    with custom_plans():  # the batch's lookups
        blocked = {channel: suppressed(survey.org_id, channel, [a[channel] for _, a, _ in checked if channel in a])
                   for channel in channels}
        accepted, refused = _contactable(checked, blocked)
        tired = fatigue.contacted(survey.org, [fatigue.Person(r.get("external_id"), a.get("email"), a.get("sms"))
                                               for r, a in accepted])
    refused += [Refusal(recipient, fatigue.REASON) for i, (recipient, _) in enumerate(accepted) if i in tired]
    accepted = [row for i, row in enumerate(accepted) if i not in tired]
    position = {id(recipient): i for i, recipient in enumerate(recipients)}
    refused.sort(key=lambda refusal: position[id(refusal.recipient)])  # in the order they were given
    if not accepted:
        return InvitationBatch([], refused)
    people = _respondents(survey.org_id, accepted)
    cascade_ids = _insert_cascades(survey, plan, start, accepted, people)
    take_steps([Moving(cascade_id, survey.org_id, survey.id, respondent_id, plan["steps"], addresses.get("email"),
                       addresses.get("sms"), since=start, number=1, current=1)
                for cascade_id, (_, addresses), respondent_id in zip(cascade_ids, accepted, people, strict=True)],
               blocked={(survey.org_id, channel): addresses for channel, addresses in blocked.items()})
    queued = [Queued(cascade_id, "cascade", {**recipient, **{ADDRESS_FIELD[c]: a for c, a in addresses.items()}},
                     start, steps=plan["steps"])
              for cascade_id, (recipient, addresses) in zip(cascade_ids, accepted, strict=True)]
    return InvitationBatch(queued, refused)


def _contactable(checked: list[tuple[dict, dict[str, str], str | None]], blocked: dict[str, set[str]]
                 ) -> tuple[list[tuple[dict, dict[str, str]]], list[Refusal]]:
    """Split checked recipients into (recipient, {channel: address}) to start — the first of each person in
    the batch with an address that may be contacted — and the refused, each with its reason."""
    accepted: list[tuple[dict, dict[str, str]]] = []
    refused: list[Refusal] = []
    seen: set[tuple[str, str]] = set()
    for recipient, addresses, reason in checked:
        if reason is None and all(address in blocked[channel] for channel, address in addresses.items()):
            reason = BLOCKED_REASON[min(addresses)]  # every address it has may not be contacted
        keys = {("id", recipient["external_id"])} if recipient.get("external_id") else set()
        keys |= {(channel, address) for channel, address in addresses.items()}
        if reason is None and keys & seen:
            reason = "duplicate"
        if reason:
            refused.append(Refusal(recipient, reason))
            continue
        seen |= keys
        accepted.append((recipient, addresses))
    return accepted, refused


def _insert_cascades(survey: Survey, plan: dict, start: datetime, accepted: list[tuple[dict, dict[str, str]]],
                     people: list[int]) -> list[int]:
    """Insert the batch's cascades in one statement; return their ids in the order of `accepted`."""
    rows = [{"org_id": survey.org_id, "survey_id": survey.id, "respondent_id": respondent_id,
             "email": addresses.get("email"), "phone": addresses.get("sms"), "steps": plan["steps"],
             "stop_on": plan["stop_on"], "status": "running", "current_step": 1, "started_at": start}
            for (_, addresses), respondent_id in zip(accepted, people, strict=True)]
    # Matched back by (email, phone), unique in the batch (no two accepted share an address, each has
    # one): RETURNING promises no order.
    id_of = {(email, phone): cascade_id for cascade_id, email, phone in insert_rows(
        Cascade, rows, returning=("id", "email", "phone"))}
    return [id_of[row["email"], row["phone"]] for row in rows]


def _addresses(channels: set[str], recipient: dict, region: str | None) -> tuple[dict[str, str], str | None]:
    """Return the recipient's valid address per channel of the plan, or ({}, why there is none)."""
    addresses: dict[str, str] = {}
    reasons = []
    for channel in sorted(channels):
        address, reason = check_recipient(channel, recipient, region)
        if reason in ("invalid_timezone", "invalid_locale"):
            return {}, reason
        if address is not None:
            addresses[channel] = address
        else:
            reasons.append(reason)
    if addresses:
        return addresses, None
    missing = all(reason and reason.startswith("missing_") for reason in reasons)
    return {}, "missing_address" if missing else reasons[0]


def _respondents(org_id: int, accepted: list[tuple[dict, dict[str, str]]]) -> list[int]:
    """Find or create each recipient's person: by external id, else by email, else by phone."""
    by_email = [(i, (r, a["email"])) for i, (r, a) in enumerate(accepted) if "email" in a]
    by_phone = [(i, (r, a["sms"])) for i, (r, a) in enumerate(accepted) if "email" not in a]
    ids: dict[int, int] = {}
    for channel, rows in (("email", by_email), ("sms", by_phone)):
        if rows:
            ids.update(zip([i for i, _ in rows], upsert_respondents(org_id, channel, [row for _, row in rows]),
                           strict=True))
    return [ids[i] for i in range(len(accepted))]


@dataclass(frozen=True)
class Moving:
    """A running cascade about to take its step `number` (or the first one after it that it can use)."""

    cascade_id: int
    org_id: int
    survey_id: int
    respondent_id: int | None
    steps: list
    email: str | None
    phone: str | None
    since: datetime  # its last step's send, or its start: the step's wait counts from it
    number: int
    current: int  # the step it stands at now (cascades.current_step)
    sent_at: datetime | None = None  # when its current step was sent, to write as last_sent_at (the advance's)

    @classmethod
    def of(cls, cascade: Cascade, number: int) -> Moving:
        return cls(cascade.id, cascade.org_id, cascade.survey_id, cascade.respondent_id, cascade.steps,
                   cascade.email, cascade.phone, cascade.last_sent_at or cascade.started_at, number,
                   cascade.current_step)


def take_steps(moving: Sequence[Moving], blocked: dict[tuple[int, str], set[str]] | None = None) -> None:
    """Queue each cascade's step `number`, skipping at once each step it can't send (no address, unsubscribed,
    opted out); finish as exhausted the cascades with no step left. A few statements for any number of
    cascades: the first steps of a started batch, the next steps of a worker's batch, one skip.

    `blocked` — the suppressed addresses by (org id, channel) — when the caller has read them already.
    """
    if not moving:
        return
    now = delivery.clock()
    if blocked is None:
        blocked = _suppressions(moving)
    skipped: list[dict[str, Any]] = []
    queued: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []  # where each cascade stands now, by primary key
    exhausted: list[Moving] = []
    for cascade in moving:
        reached = cascade.current
        for number in range(cascade.number, len(cascade.steps) + 1):
            reached = number
            step = cascade.steps[number - 1]
            channel = step["channel"]
            address = cascade.email if channel == "email" else cascade.phone
            row = {"org_id": cascade.org_id, "survey_id": cascade.survey_id, "respondent_id": cascade.respondent_id,
                   "channel": channel, "address": address, "cascade_id": cascade.cascade_id, "step": number,
                   "meta": {}, "attempts": 0, "created_at": now}
            if address is None or address in blocked.get((cascade.org_id, channel), ()):
                skipped.append({**row, "status": "skipped", "send_at": now, "due_at": now,
                                "last_error": "no address" if address is None else BLOCKED_REASON[channel]})
                continue
            due = max(cascade.since + timedelta(hours=step["wait_hours"]), now)
            queued.append({**row, "status": "queued", "send_at": due, "due_at": due})
            break
        else:
            exhausted.append(cascade)
        if reached != cascade.current or cascade.sent_at is not None:
            current.append({"id": cascade.cascade_id, "current_step": reached,
                            **({"last_sent_at": cascade.sent_at} if cascade.sent_at is not None else {})})
    insert_rows(Invitation, skipped)
    if current:
        db.session.execute(update(Cascade), current)  # by primary key, one executemany
    # Matched back by cascade id (one queued step each), not by parameter order (RETURNING promises none).
    invitation_of = dict(insert_rows(Invitation, queued, returning=("cascade_id", "id")))
    for org_id in sorted({row["org_id"] for row in queued}):
        record_events(org_id, [NewEvent("invited", survey_id=row["survey_id"], channel=row["channel"],
                                        invitation_id=invitation_of[row["cascade_id"]])
                               for row in queued if row["org_id"] == org_id])
    if exhausted:
        db.session.execute(update(Cascade).where(any_of(Cascade.id, [c.cascade_id for c in exhausted]))
                           .values(status="exhausted", finished_at=now).execution_options(synchronize_session=False))
        _announce([(c.cascade_id, c.org_id, c.survey_id) for c in exhausted], "exhausted")


def _suppressions(moving: Sequence[Moving]) -> dict[tuple[int, str], set[str]]:
    """The suppressed addresses among the cascades' remaining steps, by (org id, channel): a query per pair."""
    wanted: dict[tuple[int, str], set[str]] = {}
    for cascade in moving:
        for step in cascade.steps[cascade.number - 1:]:
            address = cascade.email if step["channel"] == "email" else cascade.phone
            if address is not None:
                wanted.setdefault((cascade.org_id, step["channel"]), set()).add(address)
    return {(org_id, channel): suppressed(org_id, channel, addresses)
            for (org_id, channel), addresses in wanted.items()}


def take_step(cascade: Cascade, number: int) -> None:
    """Queue step `number` of one running cascade (see take_steps)."""
    take_steps([Moving.of(cascade, number)])


def _announce(finished: Sequence[Any], how: str) -> None:
    """Queue the webhook event cascade.finished for each (cascade id, org id, survey id) that just ended."""
    for cascade_id, org_id, survey_id in finished:
        webhooks.enqueue(org_id, "cascade.finished", {"cascade_id": cascade_id, "survey_id": survey_id, "how": how})


# --- stopping -------------------------------------------------------------------------------------

def stop_for_answer(survey_id: int, respondent_id: int | None, happened: str) -> None:
    """Stop the person's running cascades of the survey on their first answer (or completion, for
    `stop_on: completed`): every step not yet sent is cancelled, in the answer's unit of work."""
    if respondent_id is None:
        return
    stops = ("responded",) if happened == "responded" else ("responded", "completed")
    which = (Cascade.survey_id == survey_id, Cascade.respondent_id == respondent_id, Cascade.stop_on.in_(stops))
    _announce(_stop(which, "responded", "answered"), "responded")


def cancel_for_survey(survey_id: int) -> None:
    """Cancel the running cascades of an archived survey."""
    _cancel(Cascade.survey_id == survey_id, "survey closed")


def cancel_for_respondent(respondent_id: int) -> None:
    """Cancel the cascades of a person being erased, and forget the addresses they hold."""
    _cancel(Cascade.respondent_id == respondent_id, "respondent erased")
    db.session.execute(update(Cascade).where(Cascade.respondent_id == respondent_id).values(email=None, phone=None)
                       .execution_options(synchronize_session=False))


def cancel_sms_steps(org_id: int, phone: str) -> None:
    """Cancel a phone's queued SMS steps in the org (it opted out); each cascade goes on with its next step."""
    cancelled = db.session.execute(
        update(Invitation).where(Invitation.org_id == org_id, Invitation.channel == "sms",
                                 Invitation.address == phone, Invitation.cascade_id.is_not(None),
                                 Invitation.status == "queued")
        .values(status="cancelled", last_error="opted_out").returning(Invitation.cascade_id, Invitation.step)
        .execution_options(synchronize_session=False)
    ).all()
    for cascade_id, step in cancelled:
        cascade = db.session.get(Cascade, cascade_id)
        if cascade is not None and cascade.status == "running" and cascade.current_step == step:
            take_step(cascade, step + 1)


def _cancel(which: Any, reason: str) -> None:
    _announce(_stop((which,), "cancelled", reason), "cancelled")


def _stop(which: Sequence[Any], how: str, reason: str) -> Sequence[Any]:
    """End the running cascades `which` selects as `how` and cancel their queued steps (`reason`); return
    (id, org id, survey id) of each whose org may want cascade.finished (has an active webhook endpoint).
    A claimed step is cancelled by its own re-check (check_step).

    On PostgreSQL one statement (the steps' UPDATE a data-modifying CTE of the cascades', which also
    tells whether the org has an endpoint): every answer runs this, and one that stops a cascade
    should cost about what one that stops none does — no second query to find nobody to tell.
    """
    stopped = (update(Cascade).where(*which, Cascade.status == "running")
               .values(status=how, finished_at=delivery.clock())
               .returning(Cascade.id, Cascade.org_id, Cascade.survey_id))
    if db.session.get_bind().dialect.name == "postgresql":
        ended = stopped.cte("ended")
        steps = (update(Invitation).where(Invitation.cascade_id.in_(select(ended.c.id)), Invitation.status == "queued")
                 .values(status="cancelled", last_error=reason).returning(Invitation.id).cte("cancelled_steps"))
        hooked = exists().where(WebhookEndpoint.org_id == ended.c.org_id, WebhookEndpoint.disabled_at.is_(None))
        return db.session.execute(select(ended.c.id, ended.c.org_id, ended.c.survey_id).where(hooked)
                                  .add_cte(steps)).all()
    rows = db.session.execute(stopped.execution_options(synchronize_session=False)).all()
    if rows:
        db.session.execute(
            update(Invitation).where(Invitation.cascade_id.in_([row.id for row in rows]), Invitation.status == "queued")
            .values(status="cancelled", last_error=reason).execution_options(synchronize_session=False)
        )
    return rows


# --- the job kind ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """A claimed step: its cascade, and what its channel's kind loaded for it."""

    id: int
    channel: str
    cascade_id: int
    step: int
    outgoing: Any  # email_invitations.Outgoing or sms_delivery.Start


@dataclass(frozen=True)
class ReadyStep:
    step: Step
    ready: Any  # what the channel's prepare returned


class StepBatch:
    """What a batch of steps shares: an SMTP session (opened by its first mail) and the SMS sender; when it
    closes, the next steps of the cascades it sent are made, in bulk (advance_waiting)."""

    def __init__(self) -> None:
        self.mail = email_invitations.MailSession()
        self.sms = sms_delivery.open_sender()

    def close(self) -> None:
        """Say QUIT to the SMTP server, if the batch connected; move the sent cascades on."""
        self.mail.close()
        try:
            with unit_of_work():
                advance_waiting()
        except Exception:  # noqa: BLE001 - the sweep moves them on instead; the batch's sends are recorded
            log.exception("cascade steps: making the next steps after a batch failed; the sweep will")


def load_steps(ids: Sequence[int]) -> list[Step]:
    """Read claimed steps with what their channel's kind needs to send them."""
    rows = db.session.execute(
        select(Invitation.id, Invitation.channel, Invitation.cascade_id, Invitation.step)
        .where(Invitation.id.in_(ids))
    ).all()
    channel_of = {row.id: row.channel for row in rows}
    loaded: dict[int, Any] = {o.id: o for o in email_invitations.load_invitations(
        [i for i, c in channel_of.items() if c == "email"])}
    loaded.update({s.id: s for s in sms_delivery.load_starts([i for i, c in channel_of.items() if c == "sms"])})
    steps = []
    for row in sorted(rows, key=lambda r: r.id):
        outgoing = loaded[row.id]
        if row.channel == "email":
            outgoing = dataclasses.replace(outgoing, reminder=row.step > 1)
        steps.append(Step(row.id, row.channel, row.cascade_id, row.step, outgoing))
    return steps


def check_step(step: Step, claim: delivery.Claim) -> ReadyStep | None:
    """Re-check the cascade under its row's lock, skip an unusable address, then prepare as the channel does."""
    cascade = db.session.execute(
        update(Cascade).where(Cascade.id == step.cascade_id, Cascade.status == "running",
                              Cascade.current_step == step.step)
        .values(current_step=step.step).returning(Cascade).execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if cascade is None:  # answered (or cancelled) since it was queued or claimed
        claim.finish("cancelled", last_error="cascade stopped")
        return None
    if step.outgoing.definition is None or step.outgoing.erased:
        reason = "survey closed" if step.outgoing.definition is None else "respondent erased"
        claim.finish("cancelled", last_error=reason)
        _cancel(Cascade.id == cascade.id, reason)
        return None
    # Email: the batch's load read the unsubscribes already (one query for the batch); SMS: ask now.
    if (step.outgoing.unsubscribed if step.channel == "email"
            else suppressed(cascade.org_id, "sms", [step.outgoing.phone])):
        claim.finish("skipped", last_error=BLOCKED_REASON[step.channel])
        take_step(cascade, step.step + 1)
        return None
    # What the channel's own prepare checks (survey live, person known, address allowed) is checked above.
    prepare = email_invitations.still_wanted if step.channel == "email" else sms_delivery.open_conversation
    ready = prepare(step.outgoing, claim)
    return ReadyStep(step, ready) if ready is not None else None


def send_step(ready: ReadyStep, batch: StepBatch) -> str | None | DeliveryError | SmsError:
    """Send the step on its channel (no transaction open)."""
    if ready.step.channel == "email":
        return email_invitations.send_invitation(ready.ready, batch.mail)
    return sms_delivery.send_opening(ready.ready, batch.sms)


def record_step(ready: ReadyStep, result: str | None | DeliveryError | SmsError, claim: delivery.Claim) -> None:
    """Record the outcome as the channel does; a step sent is written down (cascade_advances) for its cascade
    to move on, its next wait counted from now: the next step is made after the batch, with the others."""
    if ready.step.channel == "email":
        email_invitations.record_sent(ready.ready, result, claim)  # type: ignore[arg-type]
    else:
        sms_delivery.record_opening(ready.ready, result, claim)  # type: ignore[arg-type]
    if not isinstance(result, DeliveryError | SmsError):  # sent (the SMS log sender gives no id)
        # Nothing else: a second worker that also sent it (its claim lost) finds the row there already.
        db.session.execute(insert_for(db.session.get_bind().dialect.name)(CascadeAdvance.__table__)
                           .values(cascade_id=ready.step.cascade_id, step=ready.step.step, sent_at=delivery.clock())
                           .on_conflict_do_nothing())


# How many waiting cascades one advance moves on (a batch's worth, and more).
ADVANCE_BATCH = 500


def advance_waiting(limit: int = ADVANCE_BATCH) -> int:
    """Make the next step of up to `limit` cascades whose step was sent (cascade_advances), in a few
    statements; return how many sent steps were taken.

    Run after each batch of steps (StepBatch.close) and as the worker's sweep, which finds the steps
    of a batch its worker died in. The sent steps are claimed by deleting them (SKIP LOCKED on
    PostgreSQL), so workers running it at once each move a cascade on once; the cascades are locked
    until the commit (an answer arriving meanwhile waits, then cancels the step made here). A cascade
    stopped since, or moved past that step, is left as it is.
    """
    waiting = (select(CascadeAdvance.cascade_id).order_by(CascadeAdvance.cascade_id).limit(limit)
               .with_for_update(skip_locked=True))
    sent = {cascade_id: (step, sent_at) for cascade_id, step, sent_at in db.session.execute(
        delete(CascadeAdvance).where(CascadeAdvance.cascade_id.in_(waiting.scalar_subquery()))
        .returning(CascadeAdvance.cascade_id, CascadeAdvance.step, CascadeAdvance.sent_at)
        .execution_options(synchronize_session=False))}
    if not sent:
        return 0
    cascades = db.session.execute(
        select(Cascade.id, Cascade.org_id, Cascade.survey_id, Cascade.respondent_id, Cascade.steps, Cascade.email,
               Cascade.phone, Cascade.current_step)
        .where(any_of(Cascade.id, list(sent)), Cascade.status == "running").order_by(Cascade.id).with_for_update()
    ).all()
    take_steps([Moving(row.id, row.org_id, row.survey_id, row.respondent_id, row.steps, row.email, row.phone,
                       since=sent[row.id][1], number=row.current_step + 1, current=row.current_step,
                       sent_at=sent[row.id][1])
                for row in cascades if row.current_step == sent[row.id][0]])
    return len(sent)


def release_step(ready: ReadyStep) -> None:
    """Take back what the channel's prepare reserved when an outage stopped the send (an SMS session)."""
    if ready.step.channel == "sms":
        sms_delivery.release_session(ready.ready)


def step_failed(invitation_id: int, reason: str) -> None:
    """A step that failed for good counts as failed in its channel, and the cascade goes on at once."""
    record_invitation_failed(invitation_id, reason)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.cascade_id is None:
        return
    cascade = db.session.get(Cascade, invitation.cascade_id)
    if cascade is not None and cascade.status == "running" and cascade.current_step == invitation.step:
        take_step(cascade, cascade.current_step + 1)


# A batch the size of the email kind's: its email steps share one SMTP session, as plain invitations do.
CASCADE_KIND = delivery.JobKind(name="cascade_step", model=Invitation, load=load_steps, channel=lambda s: s.channel,
                                prepare=check_step, connect=StepBatch, send=send_step, record=record_step,
                                unsent=release_step, batch_size=100, condition=Invitation.cascade_id.is_not(None),
                                since=QUEUED_SINCE, on_failed=step_failed)
