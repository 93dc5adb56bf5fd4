"""Rate limits as a real server keeps them: gunicorn with several worker processes, on either database.

Requests come from real loopback addresses of their own (127.0.0.x as the source), a bounded number each.
It prints its figures: requests sent, accepted, refused, and the processes that answered.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import free_port, widget_org_of

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
ROOT = Path(__file__).parent.parent
WORKERS = 3
PER_IP, PER_KEY = 20, 10


class Server:
    """gunicorn serving the app on a free loopback port; its access log names the process of each answer."""

    def __init__(self, database_url: str, tmp_path: Path, **settings: str):
        self.port = free_port()
        self.access_log = tmp_path / "access.log"
        self.error_log = tmp_path / "gunicorn.log"
        env = {**os.environ, "SURVEYHUB_DATABASE_URL": database_url, "SURVEYHUB_SECRET_KEY": "test-secret",
               "SURVEYHUB_BASE_URL": "http://surveys.test", "SURVEYHUB_EMBEDDED_WORKER": "0",
               **{f"SURVEYHUB_{k}": v for k, v in settings.items()}}
        argv = [GUNICORN, "--workers", str(WORKERS), "--preload", "--bind", f"127.0.0.1:{self.port}",
                "--no-control-socket", "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(s)s",
                "--error-logfile", str(self.error_log), "wsgi:app"]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.error_log.read_text()
            try:
                if self.request("127.0.0.1", "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer:\n" + self.error_log.read_text())

    def request(self, source: str, method: str, path: str, body: dict | None = None):
        """One request on a connection of its own from `source`; (status, Retry-After, JSON body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "text/plain"} if data else {})
            response = conn.getresponse()
            payload = response.read()
            return response.status, response.getheader("Retry-After"), json.loads(payload) if payload else None
        finally:
            conn.close()

    def processes_that_answered(self) -> set[str]:
        return {line.split()[0] for line in self.access_log.read_text().splitlines() if line.strip()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def server(test_database, tmp_path, api, make_survey):
    make_survey()
    server = Server(test_database, tmp_path, WIDGET_RATE_LIMIT_PER_IP=f"{PER_IP} per minute",
                    WIDGET_RATE_LIMIT_PER_KEY=f"{PER_KEY} per minute")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def assert_limited(status: int, retry_after: str | None, body: dict) -> None:
    assert status == 429 and body["error"]["code"] == "too_many_requests"
    assert retry_after is not None and 0 < int(retry_after) <= 60


def early_in_a_minute() -> None:
    """Wait (at most half a minute) until a phase can run inside one clock minute.

    The sliding-window counter weighs the previous minute's count by how much of it still overlaps the
    last 60 s, so a burst that straddles a minute boundary may get one request more than the limit:
    the limit holds over any minute, the exact count only within one.
    """
    into = time.time() % 60
    if into > 30:
        time.sleep(60 - into + 0.5)


def test_widget_limits_hold_across_worker_processes(app, api, server, capsys):
    org = widget_org_of(app, api.org_id)
    root = f"/widget/v1/{org.key}/surveys/cancel-flow"
    figures = {}

    # One address, three times its per-minute budget of reads, six at a time so that every worker takes
    # some: the budget holds whichever process answers.
    early_in_a_minute()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: server.request("127.0.0.1", "GET", root), range(3 * PER_IP)))
    codes = collections.Counter(status for status, _, _ in answers)
    assert codes == {200: PER_IP, 429: 2 * PER_IP}
    for status, retry_after, body in answers:
        if status == 429:
            assert_limited(status, retry_after, body)
    processes = server.processes_that_answered()
    assert len(processes) >= 2, "the requests should have been spread over several workers"
    figures["one address, reads"] = {"sent": len(answers), "accepted": codes[200], "429": codes[429],
                                     "processes": len(processes)}

    # Writes with a wrong userHash from another address: counted for that address only.
    def write(user_id: str, user_hash: str) -> dict:
        return {"visit": f"visit-{user_id}-0123456789", "user": {"id": user_id}, "userHash": user_hash}

    early_in_a_minute()
    failed = [server.request("127.0.0.2", "POST", f"{root}/display", write(f"u{i}", "0" * 64))
              for i in range(PER_IP + 5)]
    assert [status for status, _, _ in failed] == [401] * PER_IP + [429] * 5
    assert_limited(*failed[-1])

    # The key's budget is whole: verified writes from a third address get all of it, and no more.
    early_in_a_minute()
    verified = [server.request("127.0.0.3", "POST", f"{root}/display", write(f"u{i}", org.hash(f"u{i}")))
                for i in range(PER_KEY + 2)]
    assert [status for status, _, _ in verified] == [200] * PER_KEY + [429] * 2
    assert_limited(*verified[-1])
    figures["bad userHash, then verified writes"] = {
        "failed_auth_sent": len(failed), "failed_auth_401": PER_IP, "verified_sent": len(verified),
        "verified_accepted": PER_KEY, "processes": len(server.processes_that_answered())}
    with capsys.disabled():
        print("\nrate-limit figures:", json.dumps(figures))
