"""`surveyhub worker` as real processes: killed mid-batch, stopped with SIGTERM, two sharing a queue."""

import collections
import os
import signal
import subprocess

from sqlalchemy import func, select

from surveyhub.models import Invitation
from tests.helpers import SURVEYHUB, statuses, wait_until


def queue(make_survey, invite, n):
    survey = make_survey()
    for start in range(0, n, 500):
        invite(survey["id"], *[{"email": f"u{i}@example.com"} for i in range(start, min(n, start + 500))])


def received(smtp) -> collections.Counter:
    return collections.Counter(str(m["To"]) for m in smtp.messages)


def test_worker_killed_mid_batch_loses_nothing(app, make_survey, invite, smtp, start_worker, run_worker,
                                               delivery_clock, capsys):
    queue(make_survey, invite, 300)
    smtp.handler.delay = 0.005
    worker = start_worker()
    wait_until(lambda: len(smtp.messages) >= 60)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    smtp.handler.delay = 0
    held = statuses(app).get("sending", 0)
    assert held > 0  # claimed rows the dead worker still holds
    run_worker(max_rounds=20)
    assert statuses(app).get("sending") == held  # the others go out; the dead worker's wait for its lease
    delivery_clock.advance(minutes=2)  # its lease is over within two minutes: then any worker takes them
    run_worker(max_rounds=20)
    assert statuses(app) == {"sent": 300}
    counts = received(smtp)
    assert set(counts) == {f"u{i}@example.com" for i in range(300)}
    twice = [address for address, n in counts.items() if n > 1]
    # Each message is marked sent in its own commit right after SMTP accepts it: only a message accepted
    # in the instant before the kill, and not yet marked, can go out twice.
    assert len(twice) <= 1
    with capsys.disabled():
        print(f"\n[SIGKILL test] sent twice after the kill: {len(twice)} of 300")


def test_sigterm_finishes_the_message_in_hand_and_releases_the_rest(app, db, make_survey, invite, smtp, start_worker):
    queue(make_survey, invite, 300)
    smtp.handler.delay = 0.005
    worker = start_worker()
    wait_until(lambda: len(smtp.messages) >= 30)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    state = statuses(app)
    assert "sending" not in state
    counts = received(smtp)
    assert all(n == 1 for n in counts.values())
    assert state["sent"] == len(counts) and state["queued"] == 300 - len(counts)
    # Released rows did not use up an attempt.
    assert db.execute(select(func.max(Invitation.attempts)).where(Invitation.status == "queued")
                      ).scalar_one() == 0


def test_two_workers_share_one_queue(app, db, make_survey, invite, smtp, start_worker):
    queue(make_survey, invite, 400)
    smtp.handler.delay = 0.002
    workers = [start_worker(), start_worker()]
    wait_until(lambda: statuses(app) == {"sent": 400}, timeout=120)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    counts = received(smtp)
    assert len(counts) == 400 and max(counts.values()) == 1
    by_worker = dict(db.execute(
        select(Invitation.claimed_by, func.count()).group_by(Invitation.claimed_by)).all())
    assert len(by_worker) == 2, by_worker  # both took part


def test_surveyhub_run_sends_with_its_embedded_worker(app, make_survey, invite, smtp, test_database, tmp_path):
    """The embedded default: `surveyhub run` on SQLite delivers queued invitations by itself."""
    from tests.smtp import free_port
    survey = make_survey()
    invite(survey["id"], {"email": "embedded@example.com"})
    env = {**os.environ, "SURVEYHUB_DATABASE_URL": test_database, "SURVEYHUB_SECRET_KEY": "test-secret",
           "SURVEYHUB_SMTP_URL": smtp.url, "SURVEYHUB_EMBEDDED_WORKER": "1"}
    with (tmp_path / "run.log").open("w") as log:
        server = subprocess.Popen([SURVEYHUB, "run", "--port", str(free_port())], env=env, cwd=tmp_path,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: statuses(app) == {"sent": 1}, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert [m["To"] for m in smtp.messages] == ["embedded@example.com"]


def test_surveyhub_run_links_name_the_port_it_serves_on(app, api, make_survey, smtp, test_database, tmp_path):
    """No SURVEYHUB_BASE_URL: `surveyhub run --port N` puts N in public_url and in the links it mails,
    and `surveyhub demo --port N` (as scripts/serve runs it) in the links it prints."""
    import json
    import urllib.error
    import urllib.request

    from tests.smtp import free_port
    survey = make_survey()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "SURVEYHUB_BASE_URL"}
    env.update({"SURVEYHUB_DATABASE_URL": test_database, "SURVEYHUB_SECRET_KEY": "test-secret",
                "SURVEYHUB_SMTP_URL": smtp.url, "SURVEYHUB_EMBEDDED_WORKER": "1"})

    def call(method: str, path: str, body: dict | None = None) -> dict | None:
        request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Authorization": f"Bearer {api.key}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return json.load(answer)
        except (urllib.error.URLError, ConnectionError):
            return None

    # What scripts/serve prints before it runs the server.
    described = subprocess.run([SURVEYHUB, "demo", "--port", str(port)], env=env, cwd=tmp_path, capture_output=True,
                               text=True, timeout=120)
    assert described.returncode == 0, described.stderr
    assert f"{base}/dashboard/" in described.stdout and ":5000" not in described.stdout
    with (tmp_path / "run.log").open("w") as log:
        server = subprocess.Popen([SURVEYHUB, "run", "--port", str(port)], env=env, cwd=tmp_path,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: call("GET", f"/api/v1/surveys/{survey['id']}") is not None, timeout=60)
        assert call("GET", f"/api/v1/surveys/{survey['id']}")["public_url"].startswith(f"{base}/p/")
        queued = call("POST", f"/api/v1/surveys/{survey['id']}/invitations",
                      {"channel": "email", "recipients": [{"email": "port@example.com"}]})
        assert len(queued["queued"]) == 1
        wait_until(lambda: len(smtp.messages) == 1, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{base}/s/" in text and "127.0.0.1:5000" not in text
