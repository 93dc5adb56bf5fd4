"""The `surveyhub` console script: Flask's CLI group around the app factory."""

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """SurveyHub: exit surveys on every channel a leaving customer answers."""
