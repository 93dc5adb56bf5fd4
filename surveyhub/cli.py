"""The `surveyhub` console script: Flask's CLI group around the app factory.

`run` is Flask's, plus the embedded delivery worker when SURVEYHUB_EMBEDDED_WORKER is on (the SQLite
default), started in the process that serves (not in the reloader's watcher); without
SURVEYHUB_BASE_URL its links name the host and port it binds.
"""

import click
from flask.cli import FlaskGroup, ScriptInfo, get_debug_flag, routes_command, run_command, shell_command
from werkzeug.serving import is_running_from_reloader

from . import config, create_app
from .delivery.engine import start_embedded_worker


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def cli() -> None:
    """SurveyHub: exit surveys on every channel a leaving customer answers."""


@cli.command("run", params=run_command.params, help=run_command.help, context_settings=run_command.context_settings)
@click.pass_context
def run(ctx: click.Context, **options) -> None:
    app = ctx.ensure_object(ScriptInfo).load_app()
    config.follow_bind(app.config, options["host"], options["port"], tls=bool(options.get("cert")))
    reloading = options.get("reload")
    if reloading is None:
        reloading = get_debug_flag()
    if app.config["EMBEDDED_WORKER"] and (not reloading or is_running_from_reloader()):
        start_embedded_worker(app)
    ctx.invoke(run_command, **options)


cli.add_command(shell_command)
cli.add_command(routes_command)
