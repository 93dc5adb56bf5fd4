"""The baseline for bench/submit and bench/sms_inbound: the least a Flask + SQLAlchemy app can do per request.

It takes the same requests as the app's endpoints under test (same paths, headers and bodies), inserts
one row into one table of the same PostgreSQL database, commits and answers as the app does:
- POST /api/v1/surveys/<id>/responses (JSON): 201 with the new row's id;
- POST /channels/sms/inbound (Twilio's form): 200 with empty TwiML. It does not check the signature:
  the baseline is the one-row insert, the signature check is part of the app's work;
- POST /widget/v1/<key>/surveys/<slug>/<write> (a JSON text in a text/plain body, as widget.js sends
  it): 200 with {"response_id", "status"}. It checks neither the key nor the userHash.

Served by gunicorn with the same settings as the app:

    BENCH_BASELINE_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/surveyhub_bench \
        gunicorn --chdir bench baseline_app:app

The benchmarks create the table before starting it, with `python bench/baseline_app.py create-table`.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

from flask import Flask, Response, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    __tablename__ = "bench_baseline_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    payload: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def insert_row(kind: str, payload: dict) -> int:
    row = Row(kind=kind, payload=payload, created_at=datetime.now(UTC))
    db.session.add(row)
    db.session.flush()  # INSERT … RETURNING id
    row_id = row.id  # read before commit expires it, so the commit adds no SELECT
    db.session.commit()
    return row_id


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_BASELINE_DATABASE_URL"]
    db.init_app(app)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.post("/api/v1/surveys/<int:survey_id>/responses")
    def submit(survey_id: int):
        body = request.get_json()
        if not isinstance(body, dict) or not isinstance(body.get("answers"), list):
            abort(422)
        row_id = insert_row("response", {"survey_id": survey_id, "answers": body["answers"]})
        return jsonify({"id": row_id, "survey_id": survey_id}), 201

    @app.post("/channels/sms/inbound")
    def sms_inbound():
        if "MessageSid" not in request.form:
            abort(400)
        insert_row("sms", request.form.to_dict())
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml")

    @app.post("/widget/v1/<key>/surveys/<slug>/<write>")
    def widget_write(key: str, slug: str, write: str):
        body = json.loads(request.get_data())
        if not isinstance(body, dict) or "visit" not in body:
            abort(422)
        row_id = insert_row("widget", {"slug": slug, "write": write, **body})
        return jsonify({"response_id": row_id, "status": "partial"})

    return app


app = create_app()

if __name__ == "__main__":
    if sys.argv[1:] != ["create-table"]:
        sys.exit("usage: baseline_app.py create-table")
    with app.app_context():
        db.create_all()
