"""The project's own commands (CONTRACT §2), added to the app's CLI by the factory."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import config, demo
from .accounts import audit, grace, orgs
from .delivery import engine as delivery
from .delivery.invite_import import import_csv, refused_path_for
from .errors import DomainError
from .extensions import db
from .insights import stats
from .models import Survey
from .models.invitation import INVITATION_CHANNELS
from .responses import widget
from .transaction import unit_of_work


def register(app: Flask) -> None:
    """Add the project's commands to the app's CLI (the `surveyhub` group runs them)."""
    for command in (org, user, demo_command, worker_command, invite_command, stats_group):
        app.cli.add_command(command)


def _fail(err: DomainError) -> None:
    raise click.ClickException(err.message)


@click.group(cls=AppGroup)
def org() -> None:
    """Manage orgs (tenants)."""


@org.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def org_create(name: str, as_json: bool) -> None:
    """Create an org and print its keys (the secrets are shown only this once)."""
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    with unit_of_work():
        new = orgs.create_org(name.strip())
    payload = {"org_id": new.org.id, "api_key": new.api_key, "widget_key": new.org.widget_key,
               "signing_secret": new.signing_secret}
    if as_json:
        click.echo(json.dumps(payload))
    else:
        for key, value in payload.items():
            click.echo(f"{key}: {value}")
        click.echo("Keep api_key and signing_secret now: they are not shown again.")


@org.command("rotate")
@click.argument("org_id", type=int)
@click.option("--api-key", is_flag=True, help="A new API key; the old one is refused at once.")
@click.option("--widget-key", is_flag=True, help="A new widget key; the old one stops working at once.")
@click.option("--signing-secret", is_flag=True, help="A new signing secret; the old one verifies userHash for "
              "--grace-hours more.")
@click.option("--grace-hours", type=click.IntRange(0, grace.MAX_GRACE_HOURS),
              help=f"With --signing-secret: hours the old secret still works (default {grace.DEFAULT_GRACE_HOURS}).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def org_rotate(org_id: int, api_key: bool, widget_key: bool, signing_secret: bool, grace_hours: int | None,
               as_json: bool) -> None:
    """Replace one of the org's secrets and print the new one (shown only this once)."""
    if api_key + widget_key + signing_secret != 1:
        raise click.UsageError("Give one of --api-key, --widget-key, --signing-secret.")
    if grace_hours is not None and not signing_secret:
        raise click.UsageError("--grace-hours goes with --signing-secret only: keys stop working at once.")
    payload: dict = {"org_id": org_id}
    try:
        with unit_of_work():
            if api_key:
                payload["api_key"] = orgs.rotate_api_key(org_id, actor=audit.COMMAND_LINE)
            elif widget_key:
                payload["widget_key"] = orgs.rotate_widget_key(org_id, actor=audit.COMMAND_LINE)
            else:
                hours = grace.DEFAULT_GRACE_HOURS if grace_hours is None else grace_hours
                rotated = orgs.rotate_signing_secret(org_id, grace_hours=hours, actor=audit.COMMAND_LINE)
                payload["signing_secret"] = rotated.secret
                payload["old_secret_valid_until"] = grace.as_text(rotated.previous_expires_at)
    except DomainError as err:
        _fail(err)
    if as_json:
        click.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        click.echo(f"{key}: {'-' if value is None else value}")
    if not widget_key:
        click.echo("Keep it now: it is not shown again.")


@org.command("origins")
@click.argument("org_id", type=int)
@click.argument("origins", nargs=-1)
@click.option("--any", "allow_any", is_flag=True, help="Allow any origin again (the default).")
def org_origins(org_id: int, origins: tuple[str, ...], allow_any: bool) -> None:
    """Limit the org's widget to the given origins (https://app.example.com), or allow --any."""
    if bool(origins) == allow_any:
        raise click.UsageError("Give one or more origins, or --any.")
    try:
        with unit_of_work():
            saved = widget.set_allowed_origins(org_id, list(origins))
    except DomainError as err:
        _fail(err)
    click.echo("The widget may be used from: " + (", ".join(saved) or "any origin"))


@org.command("settings")
@click.argument("org_id", type=int)
@click.option("--timezone", help="IANA timezone for the quiet hours of people without one (Asia/Kuala_Lumpur).")
@click.option("--region", help="Region national phone numbers are read in (MY, ID, SG, ...).")
@click.option("--no-region", is_flag=True, help="Remove the default region: only +country numbers are taken.")
@click.option("--widget-responses-per-day", type=int,
              help="Widget responses one user may start per survey in 24 hours (0: no cap; default 5).")
@click.option("--contact-cap-days", type=int,
              help="Days in which a person gets at most one new invitation or cascade (0: no cap; default 30).")
def org_settings(org_id: int, timezone: str | None, region: str | None, no_region: bool,
                 widget_responses_per_day: int | None, contact_cap_days: int | None) -> None:
    """Show the org's settings, or change its timezone, default phone region, widget cap and contact cap."""
    if region and no_region:
        raise click.UsageError("Give --region or --no-region, not both.")
    changes: dict[str, Any] = {k: v for k, v in (("timezone", timezone), ("default_region", region),
                                 ("widget_responses_per_day", widget_responses_per_day),
                                 ("contact_cap_days", contact_cap_days)) if v is not None}
    if no_region:
        changes["default_region"] = None
    try:
        with unit_of_work():
            found = orgs.get_org(org_id)
            if changes:
                orgs.update_settings(found, **changes)
    except DomainError as err:
        _fail(err)
    for key, value in orgs.describe(found).items():
        click.echo(f"{key}: {'-' if value is None else value}")


@click.group(cls=AppGroup)
def user() -> None:
    """Manage manager logins."""


@user.command("create")
@click.argument("email")
@click.option("--org", "org_id", type=int, required=True, help="The org the manager belongs to.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(email: str, org_id: int, password_stdin: bool) -> None:
    """Create a manager login for an org."""
    password = _read_password(password_stdin)
    if "@" not in email:
        raise click.BadParameter("is not an email address", param_hint="EMAIL")
    try:
        with unit_of_work():
            created = orgs.create_user(email, org_id, password)
    except DomainError as err:
        _fail(err)
    click.echo(f"Created manager {created.email} (id {created.id}) in org {org_id}.")


@user.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def user_password(email: str, password_stdin: bool) -> None:
    """Give a manager a new password; the old one stops working."""
    password = _read_password(password_stdin)
    try:
        with unit_of_work():
            changed = orgs.set_password(email, password, actor=audit.COMMAND_LINE)
    except DomainError as err:
        _fail(err)
    click.echo(f"Changed the password of {changed.email}.")


def _read_password(from_stdin: bool) -> str:
    """Read a password from standard input or a prompt (typed twice); at least 8 characters."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="password")
    return password


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="The host `surveyhub run` binds.")
@click.option("--port", type=int, help="The port `surveyhub run` binds: the printed links name it "
              "(unless SURVEYHUB_BASE_URL is set).")
@with_appcontext
def demo_command(host: str, port: int | None) -> None:
    """Seed a demo org, manager and published multilingual survey; print where to look."""
    if port is not None:
        config.follow_bind(current_app.config, host, port, tls=False)
    try:
        with unit_of_work():
            credentials = demo.seed_demo()
    except DomainError as err:
        _fail(err)
    for line in demo.describe(credentials):
        click.echo(line)


@click.command("worker")
@click.option("--poll", default=1.0, show_default=True, help="Seconds to wait when there is nothing to send.")
@with_appcontext
def worker_command(poll: float) -> None:
    """Run the delivery worker: queued invitations, webhooks, scheduled follow-ups. Stops on SIGTERM."""
    # The app itself, not the proxy that stands for it in this context: the worker outlives the context.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as Flask
    worker = delivery.Worker(app, poll_interval=poll)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    worker.run()


@click.command("invite")
@click.argument("survey_id", type=int)
@click.option("--channel", type=click.Choice((*INVITATION_CHANNELS, "cascade")), required=True,
              help="cascade: one cascade per row, on the steps of the survey's delivery plan.")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Columns external_id, email, phone, locale, timezone; any other column is an attribute.")
@click.option("--send-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"]),
              help="When to send, with a UTC offset (default: now).")
@with_appcontext
def invite_command(survey_id: int, channel: str, csv_path: Path, send_at) -> None:
    """Queue invitations (or cascades) for every row of a CSV; refused rows go to NAME.refused.csv beside it."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise click.BadParameter(f"no survey {survey_id}", param_hint="SURVEY_ID")
    with click.progressbar(length=csv_path.stat().st_size, label="Inviting", file=sys.stderr) as bar:
        try:
            result = import_csv(survey, channel, csv_path, send_at=send_at, on_progress=bar.update)
        except DomainError as err:
            _fail(err)
    click.echo(f"Queued {result.queued} {'cascades' if channel == 'cascade' else 'invitations'}; "
               f"refused {result.refused}.")
    if channel == "sms" and result.queued:
        click.echo(f"Estimated SMS segments, every question asked once: {result.sms_segments}.")
        if result.ucs2:
            click.echo(f"{result.ucs2} of them go as UCS-2 (70 characters a segment, not 160) because of: "
                       f"{result.non_gsm_characters}")
    if result.refused:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(result.reasons.items()))
        click.echo(f"Refused rows ({reasons}) are in {refused_path_for(csv_path)}.")


@click.group("stats", cls=AppGroup)
def stats_group() -> None:
    """Maintain the stats counters."""


@stats_group.command("rebuild")
@click.option("--survey", "survey_id", type=int, help="Only this survey (default: every survey).")
def stats_rebuild(survey_id: int | None) -> None:
    """Recount the stats counters from the raw rows (after changing SURVEYHUB_STATS_ATTRIBUTES)."""
    query = db.select(Survey).order_by(Survey.id)
    if survey_id is not None:
        query = query.where(Survey.id == survey_id)
    survey_ids = list(db.session.execute(query.with_only_columns(Survey.id)).scalars())
    if survey_id is not None and not survey_ids:
        raise click.BadParameter(f"no survey {survey_id}", param_hint="--survey")
    for sid in survey_ids:
        with unit_of_work():
            stats.rebuild_counters(db.session.get_one(Survey, sid))
        click.echo(f"Recounted survey {sid}.")
