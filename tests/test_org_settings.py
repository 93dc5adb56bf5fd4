"""The org's own settings: timezone and default phone region, by API and CLI."""

from surveyhub.models import Org


def test_get_and_patch_the_orgs_settings(api, other_api):
    r = api.get("/api/v1/org")
    assert r.status_code == 200
    assert r.get_json() == {"id": api.org_id, "name": "Acme", "timezone": "UTC", "default_region": None,
                            "widget_responses_per_day": 5, "contact_cap_days": 30}
    r = api.client.patch("/api/v1/org", json={"timezone": "Asia/Kuala_Lumpur", "default_region": "my"},
                         headers={"Authorization": f"Bearer {api.key}"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["timezone"] == "Asia/Kuala_Lumpur" and r.get_json()["default_region"] == "MY"
    # Each key sees and changes only its own org.
    assert other_api.get("/api/v1/org").get_json()["default_region"] is None
    assert api.get("/api/v1/org").get_json()["default_region"] == "MY"
    r = api.client.patch("/api/v1/org", json={"default_region": None}, headers={"Authorization": f"Bearer {api.key}"})
    assert r.get_json() == {"id": api.org_id, "name": "Acme", "timezone": "Asia/Kuala_Lumpur", "default_region": None,
                            "widget_responses_per_day": 5, "contact_cap_days": 30}


def test_bad_settings_name_the_field_and_change_nothing(db, api):
    headers = {"Authorization": f"Bearer {api.key}"}
    for body, field in [({"timezone": "Nowhere/Land"}, "timezone"), ({"default_region": "XX"}, "default_region"),
                        ({"timezone": "Asia/Jakarta", "default_region": "ZZ"}, "default_region"),
                        ({"timezone": 7}, "timezone"), ({"colour": "red"}, "colour"),
                        *(({"widget_responses_per_day": bad}, "widget_responses_per_day")
                          for bad in (-1, 10_001, "5", True, 2.5, None, 10**30))]:
        r = api.client.patch("/api/v1/org", json=body, headers=headers)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["error"]["fields"], r.get_json()
    assert api.client.patch("/api/v1/org", data="timezone=UTC", headers=headers).status_code == 415
    assert api.client.patch("/api/v1/org", json={"timezone": "UTC"}).status_code == 401
    org = db.get(Org, api.org_id)
    assert org.timezone == "UTC" and not (org.settings or {})


def test_default_region_reads_national_numbers(app, api, make_survey):
    survey = make_survey()
    recipients = [{"phone": "012-345 6789"}]
    body = api.post(f"/api/v1/surveys/{survey['id']}/invitations", json={"channel": "sms", "recipients": recipients})
    assert body.get_json()["refused"][0]["reason"] == "invalid_phone"
    api.client.patch("/api/v1/org", json={"default_region": "MY"}, headers={"Authorization": f"Bearer {api.key}"})
    body = api.post(f"/api/v1/surveys/{survey['id']}/invitations", json={"channel": "sms", "recipients": recipients})
    assert body.status_code == 202
    assert body.get_json()["queued"][0]["recipient"]["phone"] == "+60123456789"


def test_org_settings_command(db, api, runner):
    shown = runner.invoke(args=["org", "settings", str(api.org_id)])
    assert shown.exit_code == 0, shown.output
    assert "timezone: UTC" in shown.output and "default_region: -" in shown.output
    changed = runner.invoke(args=["org", "settings", str(api.org_id), "--timezone", "Asia/Jakarta", "--region", "id"])
    assert changed.exit_code == 0, changed.output
    assert "timezone: Asia/Jakarta" in changed.output and "default_region: ID" in changed.output
    bad = runner.invoke(args=["org", "settings", str(api.org_id), "--region", "XX"])
    assert bad.exit_code != 0 and "default_region is not a region code" in bad.output
    both = runner.invoke(args=["org", "settings", str(api.org_id), "--region", "MY", "--no-region"])
    assert both.exit_code != 0
    cleared = runner.invoke(args=["org", "settings", str(api.org_id), "--no-region"])
    assert "default_region: -" in cleared.output
    assert runner.invoke(args=["org", "settings", "9999"]).exit_code != 0
    org = db.get(Org, api.org_id)
    assert org.timezone == "Asia/Jakarta" and "default_region" not in org.settings
