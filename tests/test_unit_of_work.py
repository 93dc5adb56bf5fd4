"""One unit of work per request: each write path commits once, at its edge (issue 12, point 1).

Counted on the app's engine while the request runs: COMMITs, and every SQL statement sent (on SQLite
that includes the BEGIN IMMEDIATE each transaction starts with). The statement counts are printed
(`pytest -s`) for the record; only the commits are asserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

import surveyhub
from surveyhub.delivery import sms as sms_delivery
from surveyhub.extensions import db
from surveyhub.models import Event, Response, SmsInbound
from tests.helpers import WidgetClient, widget_org_of
from tests.test_hosted_page import csrf, mail_links
from tests.test_sms import AMY, MIDDAY, published


@dataclass
class Work:
    """What one request sent to the database."""

    commits: int = 0
    statements: int = 0


@pytest.fixture
def measure(app) -> Iterator[Callable]:
    """Run a request and return it with the Work it did on the app's engine (every connection)."""
    with app.app_context():
        engine = db.engine
    work = Work()

    def on_commit(conn) -> None:
        work.commits += 1

    def on_statement(conn, cursor, statement, parameters, context, executemany) -> None:
        work.statements += 1

    def run(label: str, request: Callable):
        work.commits = work.statements = 0
        event.listen(engine, "commit", on_commit)
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            result = request()
        finally:
            event.remove(engine, "commit", on_commit)
            event.remove(engine, "before_cursor_execute", on_statement)
        print(f"\n{label}: {work.commits} commit(s), {work.statements} SQL statements "
              f"({engine.dialect.name})")
        return result, Work(work.commits, work.statements)

    yield run


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_widget_answer_commits_once_with_its_offer(app, client, api, make_survey, measure):
    make_survey()
    wc = WidgetClient(client, widget_org_of(app, api.org_id))
    assert wc.post("display").status_code == 200
    r, work = measure("widget answer that brings up an offer",
                      lambda: wc.post("answers", question="reason", value="price"))
    assert r.status_code == 200, r.get_json()
    assert work.commits == 1
    assert count(app, Event, Event.type == "offer_shown") == 1  # in the answer's transaction
    r, work = measure("widget answer", lambda: wc.post("answers", question="nps", value=9))
    assert r.status_code == 200 and work.commits == 1


def test_hosted_page_answers_commit_once(db, api, client, make_survey, measure):
    survey = make_survey()
    path = api.get(f"/api/v1/surveys/{survey['id']}").get_json()["public_url"].replace("http://surveys.test", "")
    token = csrf(client.get(path).get_data(as_text=True))

    def post(question: str, value: str):
        return lambda: client.post(path, data={"csrf_token": token, "question": question, "action": "next",
                                               "value": value})

    r, first = measure("hosted page, first answer (starts the response)", post("reason", "features"))
    assert r.status_code == 303 and first.commits == 1
    r, later = measure("hosted page, a later answer", post("satisfaction", "6"))
    assert r.status_code == 303 and later.commits == 1
    assert client.post(path, data={"csrf_token": token, "question": "nps", "action": "next",
                                   "value": "9"}).status_code == 303
    r, last = measure("hosted page, the last answer (completes the response)", post("come_back", "yes"))
    assert r.status_code == 200 and last.commits == 1
    response = db.execute(select(Response)).unique().scalar_one()
    assert response.status == "completed" and len(response.answers) == 4


def test_an_invitations_first_hosted_answer_commits_once(app, client, make_survey, invite, smtp, run_worker,
                                                         measure):
    survey = make_survey()
    invite(survey["id"], {"external_id": "c1", "email": "amy@example.com"})
    run_worker()
    path = mail_links(smtp.messages[-1])[0].replace("http://surveys.test", "")
    token = csrf(client.get(path).get_data(as_text=True))
    r, first = measure("hosted page from an invitation, first answer", lambda: client.post(
        path.split("?")[0], data={"csrf_token": token, "question": "reason", "action": "next", "value": "price"}))
    assert r.status_code == 303 and first.commits == 1
    assert count(app, Response, Response.invitation_id.is_not(None)) == 1


def test_an_inbound_sms_commits_once(app, api, make_survey, run_worker, twilio, twilio_post, measure, monkeypatch):
    monkeypatch.setattr(sms_delivery, "clock", lambda: MIDDAY)  # daytime: no quiet hours
    survey = published(make_survey)
    r = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                 json={"channel": "sms", "recipients": [{"phone": AMY, "external_id": "c1"}]})
    assert r.status_code == 202
    assert run_worker() == 1

    def reply(sid: str, body: str):
        return lambda: twilio_post("/channels/sms/inbound", {"MessageSid": sid, "From": AMY,
                                                              "To": "+15005550006", "Body": body})

    r, first = measure("inbound SMS, first answer (starts the response)", reply("SMuow1", "2"))
    assert r.status_code == 200 and first.commits == 1
    r, later = measure("inbound SMS, a later answer", reply("SMuow2", "6"))
    assert r.status_code == 200 and later.commits == 1
    r, again = measure("inbound SMS, the same MessageSid again", reply("SMuow2", "6"))
    assert r.status_code == 200 and again.commits == 1
    r, stop = measure("inbound SMS, STOP (opt-out with its suppression)", reply("SMuow3", "STOP"))
    assert r.status_code == 200 and stop.commits == 1
    assert count(app, SmsInbound) == 3
    assert count(app, Event, Event.type == "opted_out") == 1


PACKAGE = Path(surveyhub.__file__).parent
# The rooms of services (the domain's verbs) and the modules every room shares.
SERVICES = [*(PACKAGE / room for room in ("accounts", "responses", "insights", "delivery")),
            PACKAGE / "events.py", PACKAGE / "links.py", PACKAGE / "pagination.py"]
# The delivery engine's batch runner commits at the edges of its jobs (claim, send, record).
JOB_EDGES = {"delivery/engine.py"}


def service_files() -> list[Path]:
    return [path for place in SERVICES for path in ([place] if place.is_file() else place.rglob("*.py"))]


def test_services_never_commit_or_roll_back():
    """Only the edges commit (views, commands, jobs: surveyhub/transaction.py), so services compose."""
    found = {path.relative_to(PACKAGE).as_posix() for path in service_files()
             if re.search(r"\.(commit|rollback)\(\)", path.read_text(encoding="utf-8"))}
    assert len(service_files()) > 20 and found <= JOB_EDGES, sorted(found - JOB_EDGES)


def test_events_have_one_door():
    """Event rows are inserted by surveyhub/events.py alone, where they are counted and their webhooks queued."""
    inserting = {path.relative_to(PACKAGE).as_posix()
                 for path in PACKAGE.rglob("*.py")
                 if re.search(r"insert(?:_rows)?\(Event\b|(?<!class )\bEvent\(", path.read_text(encoding="utf-8"))}
    assert inserting == {"events.py"}, inserting
