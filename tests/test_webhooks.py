"""Outgoing webhooks (CONTRACT §8): received by a local HTTP server and verified with standardwebhooks."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from surveyhub.extensions import db
from surveyhub.models import WebhookDelivery, WebhookEndpoint
from surveyhub.models.types import utcnow
from surveyhub.services import suppressions
from surveyhub.services.delivery import Worker
from surveyhub.services.events import record_event
from tests.test_surveys_api import error_fields

ALL = ["response.completed", "offer.accepted", "respondent.opted_out"]
ANSWERS = [{"question": "reason", "value": "price"}, {"question": "satisfaction", "value": 2},
           {"question": "nps", "value": 3}, {"question": "come_back", "value": True}]


class Receiver:
    """A local HTTP server answering each POST with the next scripted status (then 200), recording all."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    def start(*statuses: int) -> Receiver:
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield start
    for r in made:
        r.stop()


@pytest.fixture
def fast_retries(app):
    app.config.update(DELIVERY_RETRY_BASE_SECONDS=0.001, DELIVERY_RETRY_MAX_SECONDS=0.01)


def register(api, url: str, events=None) -> dict:
    r = api.post("/api/v1/webhooks", json={"url": url, "events": events or ALL})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


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


def test_response_completed_is_signed_and_retried_after_a_500(app, api, make_survey, receiver, fast_retries,
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
    with app.app_context():
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)
        assert delivery.delivered_at is not None


def test_first_retry_comes_within_a_minute(app, api, make_survey, receiver):
    hook = receiver(503)
    register(api, hook.url)
    survey = make_survey()
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    with app.app_context():
        assert Worker(app).run_once() == 1
        delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "queued" and delivery.last_error == "HTTP 503"
        assert utcnow() < delivery.due_at <= utcnow() + timedelta(seconds=60)


def test_each_endpoint_gets_the_events_it_asked_for(app, api, other_api, make_survey, receiver, run_worker):
    offers, opt_outs, elsewhere = receiver(), receiver(), receiver()
    register(api, offers.url, ["offer.accepted"])
    register(api, opt_outs.url, ["respondent.opted_out"])
    register(other_api, elsewhere.url)
    survey = make_survey()
    response = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                        json={"external_id": "cust-9", "answers": ANSWERS[:1]}).get_json()
    with app.app_context():
        record_event(api.org_id, "offer_accepted", survey_id=survey["id"], channel="interview",
                     response_id=response["id"], data={"offer": "discount"})
        db.session.commit()
        suppressions.suppress(api.org_id, "sms", "+60123456789", "opted_out", survey_id=survey["id"])
    run_worker()
    assert [json.loads(b)["data"] for _, b in offers.received] == [
        {"offer": "discount", "survey_id": survey["id"], "channel": "interview", "response_id": response["id"],
         "external_id": "cust-9"}]
    assert [json.loads(b) | {"timestamp": None} for _, b in opt_outs.received] == [
        {"type": "respondent.opted_out", "timestamp": None,
         "data": {"channel": "sms", "address": "+60123456789", "survey_id": survey["id"]}}]
    assert elsewhere.received == []


def test_endpoint_disabled_after_repeated_failures(app, api, make_survey, receiver, fast_retries, run_worker):
    hook = receiver(*[500] * 100)
    app.config["WEBHOOK_DISABLE_AFTER"] = 2
    endpoint = register(api, hook.url, ["response.completed"])
    survey = make_survey()
    for _ in range(2):
        api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    run_worker(max_rounds=100)
    assert len(hook.received) == 16  # two deliveries, each tried 8 times
    listed = api.get("/api/v1/webhooks").get_json()["data"][0]
    assert listed["status"] == "disabled" and "2 deliveries in a row" in listed["disabled_reason"]
    api.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": ANSWERS, "complete": True})
    with app.app_context():
        statuses = db.session.execute(select(WebhookDelivery.status)).scalars().all()
        assert statuses == ["failed", "failed"]  # nothing queued for a disabled endpoint
        assert db.session.get(WebhookEndpoint, endpoint["id"]).failures_in_a_row == 2


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
