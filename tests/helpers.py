"""What the tests share: the app on the test database, test data, clients for the API and the widget,
reads of what the app stored, a real HTTP server for browser tests, and the delivery engine's clock.

Fixtures built from these are in conftest.py; the stand-ins for SMTP and Twilio are smtp.py and
twilio_standin.py.
"""

from __future__ import annotations

import contextvars
import json
import os
import random
import re
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Result
from werkzeug.serving import make_server

from surveyhub import create_app
from surveyhub.accounts import orgs
from surveyhub.extensions import db
from surveyhub.models import Event, Invitation, Org, Response
from surveyhub.models.types import utcnow
from surveyhub.security import user_hash

TEST_DATABASE_URL = os.environ.get("SURVEYHUB_TEST_DATABASE_URL", "sqlite")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# The random seed of tests/test_openapi_fuzz.py, printed in pytest's header so that a failing run can be replayed.
FUZZ_SEED = int(os.environ.get("SURVEYHUB_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
TWILIO_TOKEN = "test-auth-token"
PASSWORD = "correct horse battery"  # the test managers' password
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def make_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    """Build the app from the factory on `database_url`, with test settings and `overrides`."""
    instance.mkdir(parents=True, exist_ok=True)
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                "BASE_URL": "http://surveys.test"}
    settings.update(overrides)
    app = create_app(settings)
    app.instance_path = str(instance)
    app.test_client_class = OwnContextClient
    app.test_cli_runner_class = OwnContextCliRunner
    return app


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the test's own app context ------------------------------------------------------------------
#
# Flask's test client and CLI runner reuse an app context the test has pushed (the same `g`, and the same
# Flask-SQLAlchemy session, which is scoped by app context), and on SQLite the app takes the write lock at
# BEGIN. So a request always runs in a fresh `contextvars.Context` (pushing its own app context and session,
# as in production), and whatever reaches the database from the test's side first ends the transaction the
# test's own app context holds (the `db` fixture's), so that no lock of the test's is held across it.


def end_test_transaction(app: Flask) -> None:
    """End the transaction of the test's own app context on `app`, if it has a session."""
    if has_app_context() and current_app == app and db.session.registry.has():
        _end_transaction()


def _end_transaction() -> None:
    """Commit the app context's session and let go of its objects, so that the next read sees the rows as
    they are then (as a new app context would; loaded attributes stay readable)."""
    db.session.commit()
    db.session.expunge_all()


class OwnContextClient(FlaskClient):
    """Flask's test client, each request in its own app context and session (never the test's)."""

    def open(self, *args: Any, **kwargs: Any):
        end_test_transaction(self.application)
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        if response.is_streamed:  # a streamed body (stream_with_context) re-enters the request's contexts
            response.response = _ReadIn(context, response.response)
        return response


class _ReadIn:
    """A streamed response body, read and closed in the `contextvars.Context` its request ran in."""

    def __init__(self, context: contextvars.Context, body: Any) -> None:
        self.context = context
        self.body = body
        self.chunks = context.run(iter, body)

    def __iter__(self) -> _ReadIn:
        return self

    def __next__(self) -> Any:
        return self.context.run(next, self.chunks)

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.context.run(self.body.close)


class OwnContextCliRunner(FlaskCliRunner):
    """Flask's CLI runner, each command in its own app context and session (never the test's)."""

    def invoke(self, *args: Any, **kwargs: Any):
        end_test_transaction(self.app)
        return contextvars.Context().run(super().invoke, *args, **kwargs)


@contextmanager
def own_app_context(app: Flask) -> Iterator[None]:
    """Push a new app context on `app` for a helper's read, after ending the test's transaction."""
    end_test_transaction(app)
    with app.app_context():
        yield


class TestDatabase:
    """The `db` fixture: the test's own app context on the app, to read and write the database.

    Each read (`get`, `execute`, `count`) ends its transaction before it returns, and so does every
    request, command or worker run the test makes; so the test never holds a lock across them, and each
    read sees the rows as they are then. Writes go through `session` (or a service inside
    `unit_of_work()`) and are committed by the test.
    """

    __test__ = False  # not a test class

    def __init__(self, app: Flask) -> None:
        self.app = app

    @property
    def session(self):
        return db.session

    @property
    def engine(self) -> sa.Engine:
        return db.engine

    @property
    def metadata(self) -> sa.MetaData:
        return db.metadata

    def get(self, model: Any, ident: Any) -> Any:
        """Return the row of `model` with primary key `ident` (or None)."""
        row = db.session.get(model, ident)
        _end_transaction()
        return row

    def execute(self, statement: Any) -> Result:
        """Run `statement`; return its result, read in full, with the transaction already ended."""
        result = db.session.execute(statement).freeze()()
        _end_transaction()
        return result

    def count(self, model: Any, *where: Any) -> int:
        """Count the rows of `model` that match `where`."""
        return self.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# --- test data -------------------------------------------------------------------------------------

def survey_definition(**overrides) -> dict:
    """The contract's example cancel-flow survey (CONTRACT §3), with `overrides` applied."""
    definition = {
        "slug": "cancel-flow",
        "name": "Cancellation exit survey",
        "default_locale": "en",
        "intro": {"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi."},
        "thanks": "Thank you for telling us.",
        "questions": [
            {"id": "reason", "type": "multiple_choice", "text": "Main reason for cancelling?", "required": True,
             "choices": [{"id": "price", "label": "Too expensive"}, {"id": "features", "label": "Missing features"}],
             "multiple": False, "allow_other": True},
            {"id": "satisfaction", "type": "likert", "text": "How satisfied were you?", "scale": 7,
             "labels": {"min": "Very dissatisfied", "max": "Very satisfied"}},
            {"id": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
            {"id": "come_back", "type": "yes_no", "text": "Would you use us again?"},
            {"id": "why_not", "type": "open", "text": "If not, why not?", "required": False, "max_length": 2000,
             "show_if": {"question": "come_back", "equals": False}},
        ],
        "offers": [{"id": "discount", "when": {"question": "reason", "in": ["price"]},
                    "title": "50% off for 3 months?", "body": "Stay for half the price.",
                    "accept_label": "Take the offer", "decline_label": "No thanks, cancel"}],
    }
    definition.update(overrides)
    return definition


# --- clients ---------------------------------------------------------------------------------------


@dataclass
class ApiClient:
    """A test client that sends one org's API key and JSON bodies."""

    client: FlaskClient
    key: str
    org_id: int

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.client.patch(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


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
    with own_app_context(app):
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
    with own_app_context(app):
        query = sa.select(Event).where(Event.channel == "widget").order_by(Event.id)
        if type_:
            query = query.where(Event.type == type_)
        rows = list(db.session.execute(query).scalars())
        db.session.expunge_all()
        return rows


def widget_responses(app: Flask) -> list[dict]:
    """Return the widget's responses as plain dicts: status, answers, metadata, respondent."""
    with own_app_context(app):
        rows = db.session.execute(
            sa.select(Response).where(Response.channel == "widget").order_by(Response.id)
        ).unique().scalars()
        return [{"id": r.id, "status": r.status, "answers": r.answer_values(), "meta": r.meta,
                 "answer_rows": len(r.answers),
                 "respondent": {"external_id": r.respondent.external_id, "email": r.respondent.email,
                                "locale": r.respondent.locale, "attributes": r.respondent.attributes}}
                for r in rows]


def statuses(app: Flask, model: Any = Invitation) -> dict[str, int]:
    """Count the rows of a queue table (invitations unless told) by status."""
    with own_app_context(app):
        return dict(db.session.execute(sa.select(model.status, sa.func.count()).group_by(model.status)).all())


def count(app: Flask, model: Any, *where: Any) -> int:
    """Count the rows of `model` that match `where`."""
    with own_app_context(app):
        return TestDatabase(app).count(model, *where)


# --- servers, worker processes and clocks ------------------------------------------------------------

# The `surveyhub` command of this virtualenv, which the worker-process tests run.
SURVEYHUB = str(Path(sys.executable).parent / "surveyhub")


def wait_until(condition: Callable[[], Any], timeout: float = 90.0) -> None:
    """Poll `condition` every 50 ms until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")



class LiveServer:
    """Serve `app` on 127.0.0.1 and a free port from a thread."""

    def __init__(self, app: Flask):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


class DeliveryClock:
    """The delivery engine's clock, some way ahead of the real one: `advance` moves it on."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **duration: float) -> None:
        self.offset += timedelta(**duration)


def answer_at_once(app: Flask, response_id: int, question: str, values: list[Any]) -> list[BaseException]:
    """Answer one question of one response from a thread per value, released together (each its own app
    context and unit of work, as concurrent requests); return what the threads raised."""
    from surveyhub.responses import answers
    from surveyhub.transaction import unit_of_work

    barrier = threading.Barrier(len(values))
    failures: list[BaseException] = []

    def submit(value: Any) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                with unit_of_work():
                    response = db.session.get(Response, response_id)
                    assert response is not None  # noqa: S101 - the caller made it
                    answers.answer_question(response, question, value)
            except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts there is none
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return failures


# ---------------------------------------------------------------- the dashboard over the test client

def add_manager(app: Flask, org_id: int, email: str) -> str:
    """Create a manager login for the org (as `surveyhub user create` does); return the email."""
    with app.app_context():
        orgs.create_user(email, org_id, PASSWORD)
        db.session.commit()
    return email


def csrf_token(html: str) -> str:
    """The CSRF token of a dashboard page's forms."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, **headers: str) -> None:
    """Sign a manager in through the login form."""
    token = csrf_token(client.get("/dashboard/login", headers=headers).get_data(as_text=True))
    r = client.post("/dashboard/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                    headers=headers)
    assert r.status_code == 302, r.get_data(as_text=True)


REPOSITORY = Path(__file__).resolve().parent.parent


def project_at(commit: str, into: Path) -> Path:
    """Extract the project's code (surveyhub, channels, migrations) as it was at `commit`, from git, into
    `into`/old; return that folder, to run the old code from in a subprocess (PYTHONPATH)."""
    archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", "--format=tar", commit,
                              "surveyhub", "channels", "migrations"], capture_output=True, check=False)
    assert archive.returncode == 0, f"this test needs the git history ({commit}): {archive.stderr!r}"
    tree = into / "old"
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


# ---------------------------------------------------------------- every dashboard page, for tests that visit all

@dataclass(frozen=True)
class DashboardPage:
    """One dashboard page: a short name (for screenshots and test ids) and its path, where {survey} is a
    published survey's id, {response} a response of it and {theme} a theme of its open answers."""

    name: str
    path: str
    signed_in: bool = True
    status: int = 200

    def url(self, survey: int, response: int, theme: int | None = None) -> str:
        return self.path.format(survey=survey, response=response, theme=theme)


# Add a page here and the accessibility, phone-width, language and screenshot checks all visit it.
DASHBOARD_PAGES = (
    DashboardPage("login", "/dashboard/login", signed_in=False),
    DashboardPage("surveys", "/dashboard/"),
    DashboardPage("insights", "/dashboard/surveys/{survey}"),
    DashboardPage("responses", "/dashboard/surveys/{survey}/responses"),
    DashboardPage("response", "/dashboard/responses/{response}"),
    DashboardPage("interview", "/dashboard/surveys/{survey}/interview"),
    DashboardPage("follow-ups", "/dashboard/surveys/{survey}/follow-ups"),
    DashboardPage("my-follow-ups", "/dashboard/follow-ups/mine"),
    DashboardPage("start", "/dashboard/surveys/start"),
    DashboardPage("builder", "/dashboard/surveys/{survey}/build"),
    DashboardPage("builder-new", "/dashboard/surveys/build"),
    DashboardPage("new-json", "/dashboard/surveys/new"),
    DashboardPage("edit-json", "/dashboard/surveys/{survey}/edit"),
    DashboardPage("webhooks", "/dashboard/webhooks"),
    DashboardPage("security", "/dashboard/security"),
    DashboardPage("settings", "/dashboard/settings"),
    DashboardPage("theme", "/dashboard/themes/{theme}"),
    DashboardPage("not-found", "/dashboard/surveys/999999", status=404),
)


@dataclass(frozen=True)
class Demo:
    """What `surveyhub demo` seeded, as the dashboard's pages need it: the manager's login, the survey and
    a response whose follow-up a manager has worked on (owner, notes)."""

    email: str
    password: str
    api_key: str
    org_id: int
    survey: int
    response: int
    theme: int


def seed_demo(app: Flask) -> Demo:
    """Seed the demo through the `surveyhub demo` command; find a contacted follow-up's response and the
    biggest theme of the open answers by the API."""
    seeded = app.test_cli_runner().invoke(args=["demo"])
    assert seeded.exit_code == 0, seeded.output
    credentials = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())
    api = ApiClient(app.test_client(), credentials["api_key"], credentials["org_id"])
    found = api.get(f"/api/v1/surveys/{credentials['survey_id']}/follow-ups", query_string={"status": "contacted"})
    assert found.status_code == 200, found.get_data(as_text=True)
    themes = api.get(f"/api/v1/surveys/{credentials['survey_id']}/themes", query_string={"question": "why_not"})
    assert themes.status_code == 200 and themes.get_json()["themes"], themes.get_data(as_text=True)
    return Demo(credentials["manager_email"], credentials["manager_password"], credentials["api_key"],
                credentials["org_id"], credentials["survey_id"], found.get_json()["data"][0]["response_id"],
                themes.get_json()["themes"][0]["id"])
