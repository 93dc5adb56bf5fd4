"""The dashboard's forms; each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from typing import cast

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _(message: str) -> str:
    """A message in the page's language at validation time (WTForms takes it as a str: it is one, lazily)."""
    return cast(str, lazy_gettext(message))


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(_("Enter your email.")),
                                            Length(max=320, message=_("At most %(max)d characters."))])
    password = PasswordField("Password", validators=[DataRequired(_("Enter your password.")),
                                                     Length(max=500, message=_("At most %(max)d characters."))])


class DefinitionForm(FlaskForm):
    definition = TextAreaField("Survey definition (JSON)", validators=[
        DataRequired(_("Paste or write the survey's definition.")),
        Length(max=1_000_000, message=_("At most %(max)d characters."))])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is posted."""


class InterviewForm(FlaskForm):
    """A phone interview entered by staff; the answers' fields are the survey's questions (answer-ID).

    Labels are written, translated, in the template (dashboard/interview.html).
    """

    external_id = StringField(validators=[Optional(), Length(max=200, message=_("At most %(max)d characters."))])
    complete = BooleanField()


class EraseForm(FlaskForm):
    """Erasing a person: the manager must tick the confirmation."""

    confirm = BooleanField(validators=[DataRequired(_("Tick the box to confirm."))])


class OriginsForm(FlaskForm):
    """The sites the widget may run on, one origin a line; empty allows any."""

    origins = TextAreaField(validators=[Length(max=20_000, message=_("At most %(max)d characters."))])


class OrgSettingsForm(FlaskForm):
    """The org's settings as typed; the service (accounts.orgs.update_settings) checks the values."""

    timezone = StringField(validators=[Length(max=64, message=_("At most %(max)d characters."))])
    default_region = StringField(validators=[Length(max=3, message=_("At most %(max)d characters."))])
    widget_responses_per_day = StringField(validators=[Length(max=9, message=_("At most %(max)d characters."))])
    contact_cap_days = StringField(validators=[Length(max=9, message=_("At most %(max)d characters."))])


class RotateKeyForm(FlaskForm):
    """Replacing a key that stops working at once: the manager must tick the confirmation."""

    confirm = BooleanField(validators=[DataRequired(_("Tick the box to confirm."))])


class RotateSigningSecretForm(FlaskForm):
    """A new signing secret; the old one still verifies userHash for `grace_hours` (checked by the service)."""

    grace_hours = StringField(validators=[Length(max=9, message=_("At most %(max)d characters."))])
