"""The dashboard's forms; each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class DefinitionForm(FlaskForm):
    definition = TextAreaField("Survey definition (JSON)", validators=[DataRequired(), Length(max=1_000_000)])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is posted."""


class InterviewForm(FlaskForm):
    """A phone interview entered by staff; the answers' fields are the survey's questions (answer-ID).

    Labels are written, translated, in the template (dashboard/interview.html).
    """

    external_id = StringField(validators=[Optional(), Length(max=200)])
    complete = BooleanField()


class EraseForm(FlaskForm):
    """Erasing a person: the manager must tick the confirmation."""

    confirm = BooleanField(validators=[DataRequired()])
