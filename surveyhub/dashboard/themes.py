"""Dashboard page of one theme: mark it addressed with a message in the survey's languages, then its campaign."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from ..errors import Conflict, Invalid
from ..models import Survey, Theme
from ..rules import survey as logic
from ..schemas.theme_campaigns import AddressSchema
from ..themes import campaigns, edits, store
from ..transaction import unit_of_work
from .forms import ActionForm
from .views import LOCALE_NAMES, bp

MESSAGE_MAX = 1000  # AddressSchema's limit on each text


def _skip_reasons() -> dict[str, str]:
    """The page's words for why a notice was not sent (campaigns' reasons)."""
    return {"no_address": _("no email or phone"), "unsubscribed": _("unsubscribed"), "opted_out": _("opted out"),
            "fatigue_cap": _("contacted recently (fatigue cap)"), "respondent_erased": _("erased"),
            "unknown": _("other reason")}


def _page(theme: Theme, survey: Survey, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, refusal: str | None = None, status: int = 200):
    locale = store.label_locale(survey, str(get_locale()))
    with unit_of_work():  # the theme's count may group the question's texts first, as the panel does
        summary = store.summary_of(survey, theme, locale)
    question = store.themed_question(survey, theme.question_id)
    default = survey.definition["default_locale"]
    return render_template(
        "dashboard/theme.html", survey=survey, theme=summary,
        question_text=logic.localize(question["text"], locale, default), default_locale=default,
        locales=[default, *sorted(logic.survey_locales(survey.definition)[1:])],  # one order on every database
        campaign=campaigns.campaign_of(theme) if theme.addressed_at else None, reasons=_skip_reasons(),
        language_names=LOCALE_NAMES, values=values or {}, errors=errors or {}, refusal=refusal,
        message_max=MESSAGE_MAX), status


@bp.get("/themes/<int:theme_id>")
@login_required
def theme_page(theme_id: int):
    """Show a theme: the form that marks it addressed, or, once it is, its campaign's figures."""
    theme = edits.get_theme(current_user.org_id, theme_id)
    return _page(theme, edits.survey_of(theme))


@bp.post("/themes/<int:theme_id>/address")
@login_required
def address_theme(theme_id: int):
    """Mark a theme addressed and tell everyone in it, through the service the API's address uses."""
    theme = edits.get_theme(current_user.org_id, theme_id)
    survey = edits.survey_of(theme)
    values = {key: value for key, value in request.form.items() if key.startswith("message-") or key == "link"}
    if not ActionForm().validate_on_submit():
        return _page(theme, survey, values=values, refusal=_("The form had expired. Send it again."), status=400)
    default = survey.definition["default_locale"]
    texts = {code: request.form.get(f"message-{code}", "").strip() for code in logic.survey_locales(survey.definition)}
    link = request.form.get("link", "").strip()
    body = {"message": {code: text for code, text in texts.items() if text}, **({"link": link} if link else {})}
    try:
        with unit_of_work():
            loaded = AddressSchema().load(body)
            campaigns.address(theme, loaded["message"], default, loaded.get("link"), current_user.email)
    except ValidationError as err:
        return _page(theme, survey, values=values, errors=_schema_errors(err.messages, default), status=422)
    except Invalid as err:
        return _page(theme, survey, values=values, errors=_service_errors(err, default), status=422)
    except Conflict:
        return _page(theme, survey, refusal=_("This theme was already addressed: its message went out once, and "
                                              "its campaign is below."), status=409)
    flash(_("Theme marked addressed: the message is on its way."))
    return redirect(url_for(".theme_page", theme_id=theme.id))


def _schema_errors(messages: dict | list, default_locale: str) -> dict[str, str]:
    """AddressSchema's refusals at the form's fields: no text at all, a text too long, a link not http(s)."""
    errors: dict[str, str] = {}
    if not isinstance(messages, dict):  # about the whole body: nothing AddressSchema says of a form's fields
        messages = {}
    per_locale = messages.get("message")
    if isinstance(per_locale, dict):  # the form sends only the survey's locales: a text is too long
        errors.update({f"message-{code}": _("At most %(max)d characters.", max=MESSAGE_MAX) for code in per_locale})
    elif per_locale is not None:  # no text in any language
        errors[f"message-{default_locale}"] = _default_text_missing(default_locale)
    if "link" in messages:
        errors["link"] = _link_refused()
    return errors or {"form": _("The message could not be saved. Check the fields and send it again.")}


def _service_errors(err: Invalid, default_locale: str) -> dict[str, str]:
    """The service's refusals (no text in the default locale, a link that is not http(s)) at their fields."""
    fields = err.fields or {}
    errors: dict[str, str] = {}
    if "message" in fields:
        errors[f"message-{default_locale}"] = _default_text_missing(default_locale)
    if "link" in fields:
        errors["link"] = _link_refused()
    return errors or {"form": _("The message could not be saved. Check the fields and send it again.")}


def _default_text_missing(default_locale: str) -> str:
    return _("Write the message in %(language)s, the survey's default language: everyone whose language has no "
             "text gets it.", language=LOCALE_NAMES.get(default_locale, default_locale))


def _link_refused() -> str:
    return _("Give a web address starting with http:// or https:// (at most 2000 characters).")
