"""The baseline for bench/submit: the least a Flask + SQLAlchemy app can do per submission.

It takes the same request as the app's submission endpoint (same path, headers and JSON body),
inserts one row into one table of the same PostgreSQL database, commits and answers 201 with the
new row's id. Served by gunicorn with the same settings as the app:

    BENCH_BASELINE_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/surveyhub_bench \
        gunicorn --chdir bench baseline_app:app

bench/submit creates the table before starting it, with `python bench/baseline_app.py create-table`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Submission(db.Model):
    __tablename__ = "bench_baseline_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int]
    answers: Mapped[list] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
        row = Submission(survey_id=survey_id, answers=body["answers"], created_at=datetime.now(UTC))
        db.session.add(row)
        db.session.flush()  # INSERT … RETURNING id
        row_id = row.id  # read before commit expires it, so the commit adds no SELECT
        db.session.commit()
        return jsonify({"id": row_id, "survey_id": survey_id}), 201

    return app


app = create_app()

if __name__ == "__main__":
    if sys.argv[1:] != ["create-table"]:
        sys.exit("usage: baseline_app.py create-table")
    with app.app_context():
        db.create_all()
