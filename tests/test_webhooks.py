"""Outgoing webhooks (CONTRACT §8): received by a local HTTP server and verified with standardwebhooks."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from surveyhub.delivery import suppressions
from surveyhub.delivery.engine import Worker
from surveyhub.events import record_event
from surveyhub.models import WebhookDelivery, WebhookEndpoint
from surveyhub.models.types import utcnow
from surveyhub.transaction import unit_of_work
from tests.test_surveys_api import error_fields

ALL = ["response.completed", "offer.accepted", "respondent.opted_out"]
ANSWERS = [{"question": "reason", "value": "price"}, {"question": "satisfaction", "value": 2},
           {"question": "nps", "value": 3}, {"question": "come_back", "value": True}]


class Receiver:
    """A local HTTP server answering each POST with the next scripted status (then 200), recording all."""

    def __init__(self, statuses: list[int], port: int = 0):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, str]] = []
        self.on_post = None  # called as each POST arrives, before it is answered
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.on_post is not None:
                    receiver.on_post()
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def receiver():
    made = []

    def start(*statuses: int, port: int = 0) -> Receiver:
        made.append(Receiver(list(statuses), port))
        return made[-1]

    yield start
    for r in made:
        r.stop()


@pytest.fixture(autouse=True)
def allow_private(app):
    """The receivers here listen on loopback: allow it, as a self-hosted receiver would (tests that check
    the refusal turn it off)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.fixture
def fast_retries(app):
    app.config.update(DELIVERY_RETRY_BASE_SECONDS=0.001, DELIVERY_RETRY_MAX_SECONDS=0.01)


def register(api, url: str, events=None) -> dict:
    r = api.post("/api/v1/webhooks", json={"url": url, "events": events or ALL})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def log_one_delivery(app, api, survey_id: int, answers: list[dict], run_worker) -> str:
    """Register an endpoint on a local receiver, complete a response to the survey and deliver its webhook, so
    the dashboard's delivery log has a row; return the endpoint's URL."""
    hook = Receiver([])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    try:
        register(api, hook.url, ["response.completed"])
        r = api.post(f"/api/v1/surveys/{survey_id}/responses", json={"answers": answers, "complete": True})
        assert r.status_code == 201, r.get_json()
        run_worker()
    finally:
        hook.stop()
    assert len(hook.received) == 1
    return hook.url


def test_register_list_and_delete(api, other_api):
    created = register(api, "https://hooks.example/surveyhub", ["response.completed"])
    assert created["secret"].startswith("whsec_") and created["status"] == "active"
    assert created["events"] == ["response.completed"]
    listed = api.get("/api/v1/webhooks").get_json()
    assert listed["next_cursor"] is None and [w["id"] for w in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]
    assert other_api.get("/api/v1/webhooks").get_json()["data"] == []
    assert other_api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert api.get("/api/v1/webhooks").get_json()["data"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://hooks.example/x", "events": ALL}, "url"),
    ({"url": "not a url", "events": ALL}, "url"),
    ({"events": ALL}, "url"),
    ({"url": "https://hooks.example/x", "events": []}, "events"),
    ({"url": "https://hooks.example/x", "events": ["response.created"]}, "events.0"),
    ({"url": "https://hooks.example/x", "events": ["offer.accepted", "offer.accepted"]}, "events"),
    ({"url": "https://hooks.example/x", "events": ALL, "secret": "mine"}, "secret"),
])
def test_bad_registrations_are_refused(api, row_counts, body, field):
    before = row_counts()
    r = api.post("/api/v1/webhooks", json=body)
    assert r.status_code == 422 and field in error_fields(r), r.get_json()
    assert row_counts() == before


def test_response_completed_is_signed_and_retried_after_a_500(db, api, make_survey, receiver, fast_retries,
                                                              run_worker):
    hook = receiver(500)
    secret = register(api, hook.url)["secret"]
    survey = make_survey()
    posted = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                      json={"external_id": "cust-7", "answers": ANSWERS, "complete": True}).get_json()
    run_worker()
    assert len(hook.received) == 2  # the 500, then the retry that succeeded
    verifier = Webhook(secret)
    (first_headers, first_body), (headers, body) = hook.received
    payload = verifier.verify(body, headers)
    assert verifier.verify(first_body, first_headers) == payload
    assert headers["webhook-id"] == first_headers["webhook-id"]  # the same message, retried
    assert payload["type"] == "response.completed" and payload["timestamp"].endswith("Z")
    assert payload["data"]["response"] == posted
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        Webhook(secret).verify(body.replace("cust-7", "cust-8"), headers)
    delivery = db.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)
    assert delivery.delivered_at is not None


def test_first_retry_comes_within_a_minute(app, db, api, make_survey, receiver):
    hook = receiver(503)
    register(api, hook.url)
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    assert Worker(app).run_once() == 1
    delivery = db.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == "queued" and delivery.last_error == "HTTP 503"
    assert utcnow() < delivery.due_at <= utcnow() + timedelta(seconds=60)


def test_each_endpoint_gets_the_events_it_asked_for(db, api, other_api, make_survey, receiver, run_worker):
    offers, opt_outs, elsewhere = receiver(), receiver(), receiver()
    register(api, offers.url, ["offer.accepted"])
    register(api, opt_outs.url, ["respondent.opted_out"])
    register(other_api, elsewhere.url)
    survey = make_survey()
    response = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                        json={"external_id": "cust-9", "answers": ANSWERS[:1]}).get_json()
    with unit_of_work():
        record_event(api.org_id, "offer_accepted", survey_id=survey["id"], channel="interview",
                     response_id=response["id"], data={"offer": "discount"})
        suppressions.suppress(api.org_id, "sms", "+60123456789", "opted_out", survey_id=survey["id"])
    run_worker()
    assert [json.loads(b)["data"] for _, b in offers.received] == [
        {"offer": "discount", "survey_id": survey["id"], "channel": "interview", "response_id": response["id"],
         "external_id": "cust-9"}]
    assert [json.loads(b) | {"timestamp": None} for _, b in opt_outs.received] == [
        {"type": "respondent.opted_out", "timestamp": None,
         "data": {"channel": "sms", "address": "+60123456789", "survey_id": survey["id"]}}]
    assert elsewhere.received == []


def test_endpoint_disabled_after_repeated_failures(app, db, api, make_survey, receiver, run_worker, delivery_clock):
    hook = receiver(*[500] * 100)
    # Retries about a minute apart, giving up after an hour: 500s are retried until then.
    app.config.update(WEBHOOK_DISABLE_AFTER=2, DELIVERY_RETRY_BASE_SECONDS=60, DELIVERY_RETRY_MAX_SECONDS=60,
                      DELIVERY_GIVE_UP_HOURS=1)
    endpoint = register(api, hook.url, ["response.completed"])
    survey = make_survey()
    for _ in range(2):
        api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    for _ in range(8):  # the worker every 10 minutes for 80 minutes
        run_worker()
        delivery_clock.advance(minutes=10)
    assert len(hook.received) == 14  # two deliveries, each tried every 10 minutes until the hour had passed
    listed = api.get("/api/v1/webhooks").get_json()["data"][0]
    assert listed["status"] == "disabled" and "2 deliveries in a row" in listed["disabled_reason"]
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    statuses = db.execute(select(WebhookDelivery.status)).scalars().all()
    assert statuses == ["failed", "failed"]  # nothing queued for a disabled endpoint
    assert db.get(WebhookEndpoint, endpoint["id"]).failures_in_a_row == 2


def test_refused_change_queues_nothing_and_erasure_forgets(app, api, make_survey, receiver, row_counts):
    register(api, receiver().url)
    survey = make_survey()
    before = row_counts()
    r = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS[:1], "complete": True})
    assert r.status_code == 422 and row_counts() == before
    api.post(f"/api/v1/surveys/{survey['id']}/responses",
             json={"external_id": "cust-1", "answers": ANSWERS, "complete": True})
    assert row_counts()["webhook_deliveries"] == 1
    assert api.delete("/api/v1/respondents/cust-1").status_code == 204
    assert row_counts()["webhook_deliveries"] == 0


# --- where webhooks may go (SSRF), and one endpoint's trouble being its own ---------------------------

PRIVATE_URLS = [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5:8080/admin", "http://192.168.1.1/",
    "http://172.16.0.1/", "http://127.0.0.1:5000/", "http://[::1]:8080/", "http://2130706433/",
    "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/", "http://017700000001/", "http://0x7f.1/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[2002:a9fe:a9fe::]/",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://240.0.0.1/", "http://0.0.0.0/", "http://[::]/",
    "http://[fd00::1]/", "http://[fe80::1]/", "http://localhost:8080/", "https://user:pw@localhost/x",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_registration_refuses_the_servers_own_networks(app, api, row_counts, url):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    before = row_counts()
    r = api.post("/api/v1/webhooks", json={"url": url, "events": ALL})
    assert r.status_code == 422 and "url" in error_fields(r), r.get_json()
    assert row_counts() == before


def test_a_public_address_is_accepted_and_allow_private_lifts_the_refusal(app, api):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    assert api.post("/api/v1/webhooks", json={"url": "https://93.184.216.34/hooks", "events": ALL}).status_code == 201
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    assert api.post("/api/v1/webhooks", json={"url": "http://10.0.0.5:8080/admin", "events": ALL}).status_code == 201


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks\x01", "http://127.0.0.1:8080/ho oks",
                                 "http://127.0.0.1:8080/hooks\r\nX-Injected: 1", "http://127.0.0.1:8080/\x7f",
                                 "http://127.0.0.1:99999/hooks", "http://hooks.example:port/x", "http://ho\tok.example/",
                                 "https://hööks.example/x"])
def test_malformed_urls_are_refused(api, row_counts, url):
    before = row_counts()
    r = api.post("/api/v1/webhooks", json={"url": url, "events": ALL})
    assert r.status_code == 422 and "url" in error_fields(r), r.get_json()
    assert row_counts() == before


def test_delivery_checks_the_address_again(app, db, api, make_survey, receiver, run_worker):
    """A name that passed registration but now leads inside (DNS rebinding) gets nothing at delivery."""
    hook = receiver()
    port = hook.server.server_port
    register(api, f"http://localhost:{port}/hooks")  # allowed while WEBHOOK_ALLOW_PRIVATE is on
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False  # now "localhost" stands for a loopback address that is refused
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    run_worker()
    assert hook.received == []
    delivery = db.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == "failed" and "loopback" in delivery.last_error, delivery.last_error


class GarbledReceiver:
    """A TCP server on loopback that answers every request with something that is not HTTP."""

    def __init__(self):
        import socketserver

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(65536)
                self.request.sendall(b"NONSENSE\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_one_bad_endpoint_never_stops_another(db, api, other_api, make_survey, receiver, fast_retries,
                                              run_worker, caplog):
    """The poison case: one org's endpoint can't be sent to; another org's, in the same batch, gets its event."""
    good = receiver()
    garbled = GarbledReceiver()
    try:
        poison = f"http://127.0.0.1:{good.server.server_port}/hooks\x01"
        r = api.post("/api/v1/webhooks", json={"url": poison, "events": ALL})
        assert r.status_code == 422 and "url" in error_fields(r)
        register(api, f"http://hook:s3cret@127.0.0.1:{garbled.port}/hooks")
        register(other_api, good.url)
        for client in (api, other_api):
            survey = make_survey(api_client=client)
            client.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
        with caplog.at_level("INFO"):
            run_worker()
    finally:
        garbled.stop()
    assert len(good.received) == 1
    rows = {d.org_id: d for d in db.execute(select(WebhookDelivery)).scalars()}
    assert rows[other_api.org_id].status == "delivered"
    bad = rows[api.org_id]
    assert bad.status == "failed" and bad.errors == 5 and bad.last_error.startswith("gave up after 5 errors")
    assert "BadStatusLine" in bad.last_error
    assert "s3cret" not in bad.last_error and "s3cret" not in caplog.text  # credentials are never logged


def test_credentials_in_the_url_are_sent_but_never_logged(app, api, make_survey, receiver, fast_retries,
                                                          run_worker, caplog):
    hook = receiver(500)
    register(api, f"http://hook:s3cret@127.0.0.1:{hook.server.server_port}/hooks")
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    with caplog.at_level("INFO"):
        run_worker()
    assert [h["authorization"] for h, _ in hook.received] == ["Basic aG9vazpzM2NyZXQ="] * 2
    assert "HTTP 500" in caplog.text and "s3cret" not in caplog.text


@pytest.mark.parametrize(("status", "outcome"), [(404, "failed"), (410, "failed"), (301, "failed"),
                                                 (408, "delivered"), (429, "delivered"), (503, "delivered")])
def test_4xx_fails_at_once_but_408_429_and_5xx_are_retried(db, api, make_survey, receiver, fast_retries,
                                                           run_worker, status, outcome):
    hook = receiver(status)
    register(api, hook.url)
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    run_worker()
    delivery = db.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == outcome and len(hook.received) == (1 if outcome == "failed" else 2)


def test_a_receiver_down_for_hours_loses_nothing_and_holds_up_no_other(app, db, api, other_api, make_survey, receiver,
                                                                        run_worker, delivery_clock, capsys):
    app.config.update(DELIVERY_RETRY_BASE_SECONDS=30, DELIVERY_PROBE_MAX_SECONDS=300)
    down = receiver()
    port = down.server.server_port
    register(api, down.url)
    elsewhere = receiver()
    register(other_api, elsewhere.url)
    down.stop()
    surveys = {client.org_id: make_survey(api_client=client) for client in (api, other_api)}
    for i in range(30):
        for client in (api, other_api):
            client.post(f"/api/v1/surveys/{surveys[client.org_id]['id']}/responses",
                        json={"external_id": f"c{i}", "answers": ANSWERS, "complete": True})
    for _ in range(18):  # six hours in 20-minute steps
        run_worker()
        delivery_clock.advance(minutes=20)
    assert len(elsewhere.received) == 30  # the other endpoint's host is not paused
    waiting = db.execute(
        select(WebhookDelivery).where(WebhookDelivery.org_id == api.org_id)).scalars().all()
    assert {(d.status, d.attempts) for d in waiting} == {("queued", 0)}
    back = receiver(port=port)
    delivery_clock.advance(minutes=6)
    run_worker()
    ids = [json.loads(body)["data"]["response"]["external_id"] for _, body in back.received]
    assert sorted(ids) == sorted(f"c{i}" for i in range(30))  # each once
    with capsys.disabled():
        print(f"\n[webhook receiver down 6 h] queued 30, delivered {len(set(ids))}, "
              f"duplicates {len(ids) - len(set(ids))}")


def test_a_long_batch_keeps_its_lease(app, db, api, make_survey, receiver, run_worker, delivery_clock):
    """Each delivery takes a minute by the engine's clock; another worker trying to claim meanwhile gets nothing."""
    from surveyhub.delivery.engine import claim
    from surveyhub.delivery.webhooks import WEBHOOK_KIND

    hook = receiver()
    register(api, hook.url)
    survey = make_survey()
    for i in range(6):  # six minutes of work: far past one lease
        api.post(f"/api/v1/surveys/{survey['id']}/responses",
                 json={"external_id": f"c{i}", "answers": ANSWERS, "complete": True})
    stolen = []

    def slow():
        delivery_clock.advance(minutes=1)
        with app.app_context():
            stolen.extend(claim(WEBHOOK_KIND, "another-worker"))
            db.session.remove()

    hook.on_post = slow
    run_worker()
    assert stolen == [] and len(hook.received) == 6
    assert set(db.execute(select(WebhookDelivery.status)).scalars()) == {"delivered"}


def test_a_row_whose_workers_keep_dying_is_retired(db, api, make_survey, receiver, run_worker, delivery_clock):
    """Each claim taken back from a dead worker counts an error; the fifth retires the row instead of re-sending."""
    from surveyhub.delivery.engine import claim
    from surveyhub.delivery.webhooks import WEBHOOK_KIND

    hook = receiver()
    register(api, hook.url)
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    for n in range(5):  # five workers claim the row and die before finishing it
        assert len(claim(WEBHOOK_KIND, f"doomed-{n}")) == 1
        assert claim(WEBHOOK_KIND, "another") == []  # not while the lease runs
        delivery_clock.advance(seconds=91)
    db.session.remove()
    assert run_worker() == 0 and hook.received == []
    delivery = db.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == "failed" and delivery.last_error == "gave up after 5 errors: worker lost"
