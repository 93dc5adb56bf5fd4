"""The test harness itself: a request or a command never runs in the test's own app context (the `db`
fixture's), and nothing the test reads holds a lock across what it drives."""

from flask import appcontext_pushed, g, request_started
from sqlalchemy import select

from surveyhub.extensions import db as sqla
from surveyhub.models import Org


def test_a_request_and_a_command_push_their_own_app_context_and_session(app, db, api, runner):
    g.marker = "the test's"
    tests_session = sqla.session()
    seen = []

    def probe(sender, **extra):
        seen.append((g.get("marker"), sqla.session() is tests_session))

    with request_started.connected_to(probe, app):
        assert api.get("/api/v1/org").status_code == 200
    with appcontext_pushed.connected_to(probe, app):
        assert runner.invoke(args=["org", "settings", str(api.org_id)]).exit_code == 0
    assert seen == [(None, False), (None, False)]
    assert g.marker == "the test's" and sqla.session() is tests_session


def test_a_read_left_open_by_the_test_neither_blocks_a_write_nor_goes_stale(db, api, run_worker):
    org = db.session.execute(select(Org)).scalar_one()  # the test's transaction stays open (SQLite: the write lock)
    assert org.timezone == "UTC"
    assert api.patch("/api/v1/org", json={"timezone": "Asia/Jakarta"}).status_code == 200
    assert db.get(Org, api.org_id).timezone == "Asia/Jakarta"
    db.session.execute(select(Org)).scalar_one()
    assert run_worker() == 0
    assert db.count(Org) == 1
