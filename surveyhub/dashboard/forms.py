"""The dashboard's forms; each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class DefinitionForm(FlaskForm):
    definition = TextAreaField("Survey definition (JSON)", validators=[DataRequired(), Length(max=1_000_000)])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is posted."""
