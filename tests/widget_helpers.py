"""Helpers shared by the widget's tests: an org's widget key and secret, and a client for its endpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyhub.accounts import orgs
from surveyhub.extensions import db
from surveyhub.models import Event, Org, Response
from surveyhub.security import user_hash

VISIT = "visit-0123456789abcdef"


@dataclass
class WidgetOrg:
    """An org's public widget key and its signing secret (what a host's server knows)."""

    org_id: int
    key: str
    secret: str

    def hash(self, user_id: str) -> str:
        return user_hash(self.secret, user_id)


def widget_org_of(app: Flask, org_id: int) -> WidgetOrg:
    with app.app_context():
        org = db.session.get(Org, org_id)
        return WidgetOrg(org.id, org.widget_key, orgs.signing_secret(org))


@dataclass
class WidgetClient:
    """Calls the widget endpoints as widget.js does: JSON in a text/plain body, the user and userHash."""

    client: FlaskClient
    org: WidgetOrg
    slug: str = "cancel-flow"
    user: dict = field(default_factory=lambda: {"id": "u_123", "email": "a@b.test", "attributes": {"plan": "pro"}})

    @property
    def root(self) -> str:
        return f"/widget/v1/{self.org.key}/surveys/{self.slug}"

    def survey(self, **query):
        return self.client.get(self.root, query_string=query)

    def body(self, visit: str = VISIT, **extra) -> dict:
        return {"visit": visit, "user": self.user, "userHash": self.org.hash(self.user["id"]), **extra}

    def post(self, what: str, body: dict | None = None, *, raw: bytes | str | None = None,
             content_type: str = "text/plain;charset=UTF-8", headers: dict | None = None, **extra):
        data = raw if raw is not None else json.dumps(body if body is not None else self.body(**extra))
        return self.client.post(f"{self.root}/{what}", data=data, content_type=content_type, headers=headers or {})


def events(app: Flask, type_: str | None = None) -> list[Event]:
    """Return the widget channel's events (of one type)."""
    with app.app_context():
        query = sa.select(Event).where(Event.channel == "widget").order_by(Event.id)
        if type_:
            query = query.where(Event.type == type_)
        rows = list(db.session.execute(query).scalars())
        db.session.expunge_all()
        return rows


def widget_responses(app: Flask) -> list[dict]:
    """Return the widget's responses as plain dicts: status, answers, metadata, respondent."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Response).where(Response.channel == "widget").order_by(Response.id)
        ).unique().scalars()
        return [{"id": r.id, "status": r.status, "answers": r.answer_values(), "meta": r.meta,
                 "answer_rows": len(r.answers),
                 "respondent": {"external_id": r.respondent.external_id, "email": r.respondent.email,
                                "locale": r.respondent.locale, "attributes": r.respondent.attributes}}
                for r in rows]
