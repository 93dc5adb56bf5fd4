"""Fixtures: the app from the factory on a freshly migrated database (SQLite or PostgreSQL).

The database comes from SURVEYHUB_TEST_DATABASE_URL: unset (or sqlite) means a SQLite file per test,
copied from one migrated at the start of the session; a postgresql URL names a server on which the
session creates its own database, migrates it, and empties its tables after every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from surveyhub.accounts import orgs
from surveyhub.extensions import db
from surveyhub.transaction import unit_of_work
from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FUZZ_SEED,
    ON_POSTGRES,
    SURVEYHUB,
    TEST_DATABASE_URL,
    TWILIO_TOKEN,
    ApiClient,
    DeliveryClock,
    LiveServer,
    TestDatabase,
    end_test_transaction,
    make_app,
    own_app_context,
    survey_definition,
)


def pytest_report_header() -> str:
    return f"schemathesis random seed: SURVEYHUB_FUZZ_SEED={FUZZ_SEED}"


def _migrate(app: Flask) -> None:
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """Migrate a database for the session; yield its URL (for SQLite, the template file)."""
    root = tmp_path_factory.mktemp("db")
    if not ON_POSTGRES:
        url = f"sqlite:///{root / 'template.db'}"
        _migrate(make_app(url, root / "instance"))
        yield url
        return
    name = f"surveyhub_test_{uuid.uuid4().hex[:10]}"
    server = sa.make_url(TEST_DATABASE_URL)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(make_app(url, root / "instance"))
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def test_database(database_url: str, tmp_path: Path) -> str:
    """A database for one test: a copy of the SQLite template, or the session's PostgreSQL one."""
    if not ON_POSTGRES:
        path = tmp_path / "surveyhub.db"
        shutil.copyfile(sa.make_url(database_url).database, path)
        return f"sqlite:///{path}"
    return database_url


@pytest.fixture
def app(test_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(test_database, tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        if ON_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture(name="db")
def test_db(app: Flask) -> Iterator[TestDatabase]:
    """The test's own app context on the app, to read (and where a test must, write) the database.

    For what nothing public shows: a test reads what the API, the CLI or the stats show through them.
    """
    with app.app_context():
        yield TestDatabase(app)
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def _new_api(app: Flask, client: FlaskClient, name: str) -> ApiClient:
    with own_app_context(app), unit_of_work():
        new = orgs.create_org(name)
        return ApiClient(client, new.api_key, new.org.id)


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> ApiClient:
    """An API client for a fresh org."""
    return _new_api(app, client, "Acme")


@pytest.fixture
def other_api(app: Flask, client: FlaskClient) -> ApiClient:
    """An API client for a second, unrelated org."""
    return _new_api(app, client, "Globex")


@pytest.fixture
def no_contact_cap(api: ApiClient) -> None:
    """Turn the org's fatigue cap off (CONTRACT §9, default 30 days), for tests that invite one person to
    several surveys on purpose."""
    r = api.patch("/api/v1/org", json={"contact_cap_days": 0})
    assert r.status_code == 200, r.get_json()


@pytest.fixture
def make_survey(api: ApiClient):
    """Create (and by default publish) a survey through the API; return its JSON."""

    def make(publish: bool = True, api_client: ApiClient | None = None, **overrides) -> dict:
        client = api_client or api
        created = client.post("/api/v1/surveys", json=survey_definition(**overrides))
        assert created.status_code == 201, created.get_json()
        if publish:
            assert client.post(f"/api/v1/surveys/{created.get_json()['id']}/publish").status_code == 200
        return created.get_json()

    return make


@pytest.fixture
def row_counts(app: Flask):
    """Return a function that counts the rows of every table, to prove a refusal wrote nothing.

    Rate-limit counters are left out: every request counts there, refused or not (on PostgreSQL they
    share the app's database).
    """

    def counts() -> dict[str, int]:
        with own_app_context(app):
            return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in db.metadata.sorted_tables if t.name != "rate_limit_counters"}

    return counts


@pytest.fixture
def smtp(app: Flask):
    """A real SMTP server (aiosmtpd) the app sends to; fast retries so tests need not wait."""
    from tests.smtp import SmtpSink

    sink = SmtpSink()
    sink.start()
    app.config.update(SMTP_URL=sink.url, DELIVERY_RETRY_BASE_SECONDS=0.001, DELIVERY_RETRY_MAX_SECONDS=0.01,
                      SMTP_TIMEOUT_SECONDS=5)
    yield sink
    sink.stop()


@pytest.fixture
def delivery_clock(monkeypatch) -> DeliveryClock:
    """Drive the delivery engine's time (claims, leases, backoffs, pauses, giving up) without waiting."""
    from surveyhub.delivery import engine as delivery

    clock = DeliveryClock()
    monkeypatch.setattr(delivery, "clock", clock)
    return clock


@pytest.fixture
def run_worker(app: Flask):
    """Run the delivery worker in this process until nothing is due (bounded); return rows claimed."""
    import time

    from surveyhub.delivery.engine import Worker

    def run(max_rounds: int = 50) -> int:
        worker = Worker(app)
        total = 0
        end_test_transaction(app)
        with app.app_context():
            for _ in range(max_rounds):
                claimed = worker.run_once()
                db.session.remove()
                total += claimed
                if not claimed:
                    break
                time.sleep(0.02)  # let backoffs of a few milliseconds come due
        return total

    return run


@pytest.fixture
def start_worker(test_database: str, smtp, tmp_path: Path):
    """Start `surveyhub worker` processes on the test database and the SMTP sink (`env` adds settings);
    each logs to tmp_path/workerN.log and is killed at the end of the test if it still runs."""
    procs: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        settings = {**os.environ, "SURVEYHUB_DATABASE_URL": test_database, "SURVEYHUB_SECRET_KEY": "test-secret",
                    "SURVEYHUB_SMTP_URL": smtp.url, "SURVEYHUB_BASE_URL": "http://surveys.test",
                    "SURVEYHUB_DELIVERY_RETRY_BASE_SECONDS": "0.05", "SURVEYHUB_DELIVERY_RETRY_MAX_SECONDS": "0.2",
                    **{f"SURVEYHUB_{name}": value for name, value in env.items()}}
        with (tmp_path / f"worker{len(procs)}.log").open("w") as log:
            proc = subprocess.Popen([SURVEYHUB, "worker", "--poll", "0.1"], env=settings, cwd=tmp_path,
                                    stdout=subprocess.DEVNULL, stderr=log)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def invite(api: ApiClient):
    """Invite recipients by email through the API; return the 202 body."""

    def send(survey_id: int, *recipients: dict, **extra) -> dict:
        r = api.post(f"/api/v1/surveys/{survey_id}/invitations",
                     json={"channel": "email", "recipients": list(recipients), **extra})
        assert r.status_code == 202, r.get_json()
        return r.get_json()

    return send


@pytest.fixture
def listing(api: ApiClient):
    """A survey's invitations as GET /surveys/{id}/invitations lists them, every page (`limit` a page)."""

    def read(survey_id: int, limit: int = 2, **query) -> list[dict]:
        rows: list[dict] = []
        cursor = None
        while True:
            params = {**query, **({"cursor": cursor} if cursor else {}), "limit": limit}
            r = api.get(f"/api/v1/surveys/{survey_id}/invitations", query_string=params)
            assert r.status_code == 200, r.get_json()
            rows += r.get_json()["data"]
            cursor = r.get_json()["next_cursor"]
            if cursor is None:
                return rows

    return read


@pytest.fixture
def live_server(app: Flask):
    """The app on a real port; BASE_URL points at it so links in mail lead there."""
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (browser tests never skip)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page; fails the test on any console error."""
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], errors


@pytest.fixture
def twilio(app: Flask):
    """A local stand-in of Twilio's Messages API that the app's twilio client talks to; fast retries."""
    from tests.twilio_standin import TwilioStandIn

    standin = TwilioStandIn().start()
    app.config.update(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TWILIO_FROM="+15005550006",
                      TWILIO_API_URL=standin.url, SMS_TIMEOUT_SECONDS=5, DELIVERY_RETRY_BASE_SECONDS=0.001,
                      DELIVERY_RETRY_MAX_SECONDS=0.01)
    yield standin
    standin.stop()


@pytest.fixture
def twilio_post(app: Flask, client: FlaskClient):
    """POST a form to a Twilio webhook path, signed as Twilio signs it (or with `signature` given)."""
    from twilio.request_validator import RequestValidator

    def post(path: str, form: dict, signature: str | None = "sign", flask_client: FlaskClient | None = None):
        if signature == "sign":
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(app.config["BASE_URL"] + path, form)
        headers = {"X-Twilio-Signature": signature} if signature is not None else {}
        return (flask_client or client).post(path, data=form, headers=headers)

    return post
