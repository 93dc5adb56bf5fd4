"""The webhooks page's replay button: a finished delivery is sent again, as the same message."""

from __future__ import annotations

import re

from tests.helpers import add_manager, csrf_token, sign_in
from tests.test_webhooks import Receiver

ANSWERS = [{"question": "reason", "value": "price"}, {"question": "satisfaction", "value": 4},
           {"question": "nps", "value": 9}, {"question": "come_back", "value": True}]


def _replay_action(html: str, delivery_id: int) -> str:
    row = re.search(rf'<tr data-delivery-id="{delivery_id}".*?</tr>', html, re.S).group(0)
    return re.search(r'action="([^"]+/replay)"', row).group(1)


def test_a_failed_delivery_is_replayed_as_the_same_message(app, client, api, other_api, make_survey, run_worker):
    hook = Receiver([400])  # refused for good: the delivery fails
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    try:
        assert api.post("/api/v1/webhooks", json={"url": hook.url, "events": ["response.completed"]}).status_code == 201
        survey = make_survey()
        assert api.post(f"/api/v1/surveys/{survey['id']}/responses",
                        json={"answers": ANSWERS, "complete": True}).status_code == 201
        run_worker()
        sign_in(client, add_manager(app, api.org_id, "boss@acme.test"))
        html = client.get("/dashboard/webhooks").get_data(as_text=True)
        delivery_id = int(re.search(r'<tr data-delivery-id="(\d+)" data-status="failed"', html).group(1))
        replay = _replay_action(html, delivery_id)
        assert client.post(replay, data={"csrf_token": csrf_token(html)}).status_code == 302
        html = client.get("/dashboard/webhooks").get_data(as_text=True)
        assert f'<tr data-delivery-id="{delivery_id}" data-status="queued"' in html
        assert "Delivery queued again." in html
        # Still queued: a second replay is refused.
        assert client.post(replay, data={"csrf_token": csrf_token(html)}).status_code == 409
        run_worker()
    finally:
        hook.stop()
    (first_headers, first_body), (second_headers, second_body) = hook.received
    assert first_headers["webhook-id"] == second_headers["webhook-id"] and first_body == second_body
    html = client.get("/dashboard/webhooks").get_data(as_text=True)
    assert f'<tr data-delivery-id="{delivery_id}" data-status="delivered"' in html
    assert client.post(replay, data={}).status_code == 400  # no CSRF token

    other = app.test_client()
    sign_in(other, add_manager(app, other_api.org_id, "spy@globex.test"))
    token = csrf_token(other.get("/dashboard/webhooks").get_data(as_text=True))
    assert other.post(replay, data={"csrf_token": token}).status_code == 404  # another org's delivery
    assert len(hook.received) == 2
