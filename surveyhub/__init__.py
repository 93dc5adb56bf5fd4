"""SurveyHub: exit surveys on every channel a leaving customer answers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from . import commands, config, counters, errors, inputs
from .accounts.surveys import keep_frozen_versions
from .extensions import babel, csrf, db, limiter, login_manager, migrate, page_locale


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create the app: settings, extensions, error envelope and blueprints — nothing else."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.load(app.instance_path, overrides))
    assert isinstance(app.json, DefaultJSONProvider)
    app.json.sort_keys = False  # keep schema order: {"error": {"code", "message", "fields"}}
    if proxies := app.config["PROXY_FIX"]:
        # Trust that many proxies' X-Forwarded-For/-Proto/-Host/-Prefix (client address for rate limits).
        # Flask's documented way to add WSGI middleware, which its types call assigning to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies, x_prefix=proxies)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    counters.init_app(app)
    keep_frozen_versions()
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=page_locale)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    errors.register(app)
    inputs.register(app)
    commands.register(app)

    from .api import SurveyHubApi, WildcardParameters, docs, invitations, org, responses, stats, surveys, themes
    from .api import followups as followups_api
    from .api import webhooks as webhooks_api
    from .schemas.fields import describe_limits

    api = SurveyHubApi(app, spec_kwargs={"info": {"description": "Exit surveys on every channel."},
                                         "extra_plugins": [WildcardParameters()]})
    assert api.ma_plugin.converter is not None  # made when the spec was
    api.ma_plugin.converter.add_attribute_function(describe_limits)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in (surveys.blp, responses.blp, invitations.blp, stats.blp, webhooks_api.blp, org.blp,
                      themes.blp, followups_api.blp):
        csrf.exempt(blueprint)  # API keys, not cookies, authenticate the API
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)

    from . import home
    from .respondent import hosted

    app.register_blueprint(home.bp)
    app.register_blueprint(hosted.bp)
    from .respondent import notices

    app.register_blueprint(notices.bp)

    from .dashboard import bp as dashboard_bp

    app.register_blueprint(dashboard_bp)

    from .respondent import sms as twilio_callbacks

    csrf.exempt(twilio_callbacks.bp)  # Twilio's signature, not a CSRF token, authenticates these
    app.register_blueprint(twilio_callbacks.bp)

    from .delivery import cascades, webhooks
    from .delivery import email as email_invitations
    from .delivery import engine as delivery
    from .delivery import notices as theme_notices
    from .delivery import sms as sms_delivery

    delivery.register_kind(app, email_invitations.EMAIL_KIND)
    delivery.register_kind(app, sms_delivery.SMS_KIND)
    delivery.register_kind(app, sms_delivery.SMS_MESSAGE_KIND)
    delivery.register_kind(app, webhooks.WEBHOOK_KIND)
    delivery.register_kind(app, cascades.CASCADE_KIND)
    delivery.register_kind(app, theme_notices.NOTICE_KIND)

    from .responses import widget as widget_visits

    # Abandoned widget visits start their survey's cascade (after_widget): the worker looks every minute.
    delivery.register_sweep(app, delivery.Sweep("widget_abandoned", widget_visits.sweep_abandoned_visits,
                                                batch_size=widget_visits.SWEEP_BATCH))
    # Cascades whose step was sent get their next step after the worker's batch; the sweep moves on
    # those of a batch whose worker died first.
    delivery.register_sweep(app, delivery.Sweep("cascade_advance", cascades.advance_waiting,
                                                batch_size=cascades.ADVANCE_BATCH))

    from .respondent import demo, widget

    csrf.exempt(widget.bp)  # the widget is authenticated by its key and user HMAC, not cookies
    app.register_blueprint(widget.bp)
    widget.document(api.spec, app)
    app.register_blueprint(widget.script_bp)
    app.register_blueprint(demo.bp)
    return app
