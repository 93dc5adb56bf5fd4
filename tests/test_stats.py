"""Stats (CONTRACT §5): counters checked against a naive recount of the raw rows, for every filter."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from surveyhub.accounts import respondents, surveys
from surveyhub.events import record_event
from surveyhub.extensions import db
from surveyhub.insights import stats
from surveyhub.models import (
    CHANNELS,
    Answer,
    AnswerCounter,
    Cascade,
    Event,
    Invitation,
    Respondent,
    Response,
    Survey,
    SurveyVersion,
)
from surveyhub.responses import answers as responses
from surveyhub.responses import erasure
from surveyhub.transaction import unit_of_work
from tests.helpers import answer_at_once, survey_definition
from tests.test_surveys_api import error_fields

DAY0 = date(2026, 3, 2)
REACHED = {"email": "sent", "sms": "sent", "widget": "displayed", "web": "opened", "interview": "opened"}


# ---------------------------------------------------------------- the naive recount, from raw rows only

def _matches(attributes: dict, key: str, text: str) -> bool:
    value = attributes.get(key)
    if isinstance(value, bool):
        return ("true" if value else "false") == text
    return isinstance(value, int | str) and str(value) == text


def naive_stats(survey_id: int, date_from=None, date_to=None, channel=None, attributes=None) -> dict:
    """Recount everything from the events, responses, answers, invitations and respondents tables."""
    attributes = attributes or {}
    people = {r.id: r.attributes for r in db.session.execute(select(Respondent)).scalars()}
    resp = {r.id: r for r in db.session.execute(select(Response).where(Response.survey_id == survey_id)).scalars()}
    invitations = {i.id: i.respondent_id for i in db.session.execute(select(Invitation)).scalars()}
    versions = {v.id: v.definition for v in db.session.execute(select(SurveyVersion)).scalars()}

    def person_of(response_id, invitation_id):
        if response_id in resp and resp[response_id].respondent_id is not None:
            return resp[response_id].respondent_id
        return invitations.get(invitation_id)

    def selected(day, ch, person):
        if date_from and day < date_from or date_to and day > date_to or channel and ch != channel:
            return False
        return all(person in people and _matches(people[person], k, v) for k, v in attributes.items())

    funnel = Counter()
    for e in db.session.execute(select(Event).where(Event.survey_id == survey_id)).scalars():
        if e.channel and selected(e.occurred_at.date(), e.channel, person_of(e.response_id, e.invitation_id)):
            name = f"{e.type}:{e.data['offer']}" if e.type.startswith("offer_") else e.type
            funnel[(e.channel, name)] += 1
    answers = {}
    for a in db.session.execute(select(Answer)).scalars():
        r = resp.get(a.response_id)
        if r and selected(r.responded_at.date(), r.channel, r.respondent_id):
            question = {q["id"]: q for q in versions[r.survey_version_id]["questions"]}[a.question_id]
            answers.setdefault(a.question_id, []).append((question["type"], a.value))

    channels = {}
    for ch in [channel] if channel else CHANNELS:
        row = {m: funnel[(ch, m)] for m in ("invited", "sent", "delivered", "failed", "opened", "displayed",
                                           "dismissed")}
        reached, responded, completed = funnel[(ch, REACHED[ch])], funnel[(ch, "responded")], funnel[(ch, "completed")]
        row.update(reached=reached, responded=responded, completed=completed,
                   response_rate=responded / reached if reached else None,
                   completion_rate=completed / responded if responded else None)
        channels[ch] = row
    totals = {k: sum(c[k] for c in channels.values()) for k in ("reached", "responded", "completed")}
    totals["response_rate"] = totals["responded"] / totals["reached"] if totals["reached"] else None

    definition = survey_definition()
    questions = {}
    for q in definition["questions"]:
        values = [v for _, v in answers.get(q["id"], [])]
        out = {"type": q["type"], "answered": len(values)}
        if q["type"] == "nps":
            p = sum(v >= 9 for v in values)
            d = sum(v <= 6 for v in values)
            out.update(distribution={str(i): values.count(i) for i in range(11)},
                       score=100 * (p - d) / len(values) if values else None,
                       promoters=p, passives=len(values) - p - d, detractors=d)
        elif q["type"] == "likert":
            out.update(distribution={str(i): values.count(i) for i in range(1, q["scale"] + 1)},
                       mean=sum(values) / len(values) if values else None)
        elif q["type"] == "multiple_choice":
            out["distribution"] = {c: values.count(c) for c in ["price", "features", "other"]}
        elif q["type"] == "yes_no":
            yes, no = values.count(True), values.count(False)
            out.update(distribution={"yes": yes, "no": no}, yes=yes, no=no)
        questions[q["id"]] = out
    shown = sum(n for (_, m), n in funnel.items() if m == "offer_shown:discount")
    accepted = sum(n for (_, m), n in funnel.items() if m == "offer_accepted:discount")
    offers = {"discount": {"shown": shown, "accepted": accepted, "save_rate": accepted / shown if shown else None}}
    return {"channels": channels, "totals": totals, "questions": questions, "offers": offers,
            "cascade": naive_cascade(survey_id, date_from, date_to, channel, attributes)}


def naive_cascade(survey_id: int, date_from=None, date_to=None, channel=None, attributes=None) -> dict:
    """Recount stats' `cascade` (CONTRACT §9) cascade by cascade from the raw rows."""
    attributes = attributes or {}
    people = {r.id: r.attributes for r in db.session.execute(select(Respondent)).scalars()}
    delivery = db.session.get_one(Survey, survey_id).definition.get("delivery") or {}
    plan = [s["channel"] for s in delivery.get("steps", [])]
    totals = Counter({how: 0 for how in ("responded", "running", "exhausted", "cancelled")})
    sent, won, ended, channels = Counter(), Counter(), Counter(), Counter()
    started = 0
    for c in db.session.execute(select(Cascade).where(Cascade.survey_id == survey_id)).scalars():
        day = c.started_at.date()
        if date_from and day < date_from or date_to and day > date_to:
            continue
        if attributes and not (c.respondent_id in people and all(
                _matches(people[c.respondent_id], k, v) for k, v in attributes.items())):
            continue
        started += 1
        steps = list(db.session.execute(select(Invitation).where(Invitation.cascade_id == c.id)).scalars())
        begun = min(i.created_at for i in steps)
        answers = [r.responded_at for r in db.session.execute(select(Response).where(
            Response.survey_id == survey_id, Response.respondent_id == c.respondent_id)).scalars()
            if c.respondent_id is not None and r.responded_at is not None and r.responded_at >= begun]
        first = min(answers) if answers else None
        sends = [i for i in steps if i.sent_at is not None]
        for i in sends:
            if first is None or i.sent_at <= first:
                sent[i.step] += 1
                channels[(i.step, i.channel)] += 1
        before = [i.step for i in sends if first is not None and i.sent_at <= first]
        if before:
            won[max(before)] += 1
        how = "responded" if first is not None else c.status
        totals[how] += 1
        if sends and how != "responded":
            ended[(how, max(i.step for i in sends))] += 1
    out = {"started": started, **totals, "steps": []}
    if not started:
        return out
    so_far = 0
    for n in sorted(set(sent) | set(won) | {s for _, s in ended} | set(range(1, len(plan) + 1))):
        on = {ch: k for (s, ch), k in channels.items() if s == n}
        planned = plan[n - 1] if n <= len(plan) else None
        ch = max(sorted(on), key=lambda x: (on[x], x == planned)) if on else planned
        so_far += won[n]
        if channel is None or ch == channel:
            out["steps"].append({"step": n, "channel": ch, "sent": sent[n], "responded": won[n],
                                 "response_rate": won[n] / sent[n] if sent[n] else None,
                                 "cumulative_response_rate": so_far / started,
                                 "exhausted": ended[("exhausted", n)], "cancelled": ended[("cancelled", n)]})
    return out


# ---------------------------------------------------------------- generated histories

class Clock:
    """Stands in for utcnow() in the services, so generated data spreads over several days."""

    def __init__(self):
        self.now = datetime.combine(DAY0, datetime.min.time(), UTC)

    def __call__(self):
        return self.now


@contextmanager
def fake_clock():
    clock = Clock()
    with mock.patch("surveyhub.events.utcnow", clock), \
         mock.patch("surveyhub.responses.answers.utcnow", clock):
        yield clock


ATTRIBUTE_VALUES = st.sampled_from(["pro", "free", True, 3, "3", None])
ANSWER = st.one_of(
    st.tuples(st.just("reason"), st.sampled_from(["price", "features", "other"])),
    st.tuples(st.just("satisfaction"), st.integers(1, 7)),
    st.tuples(st.just("nps"), st.integers(0, 10)),
    st.tuples(st.just("come_back"), st.booleans()),
    st.tuples(st.just("why_not"), st.just("Too slow")),
)
STEP = st.one_of(
    st.tuples(st.just("respond"), st.integers(0, 2), st.sampled_from(CHANNELS), st.lists(ANSWER, max_size=5),
              st.booleans()),
    st.tuples(st.just("answer"), st.integers(0, 20), ANSWER),
    st.tuples(st.just("invite"), st.integers(0, 2), st.sampled_from(["email", "sms"]),
              st.sampled_from(["invited", "sent", "delivered", "failed", "opened"])),
    st.tuples(st.just("event"), st.integers(0, 20),
              st.sampled_from(["displayed", "dismissed", "opened", "offer_shown", "offer_accepted"])),
    st.tuples(st.just("attributes"), st.integers(0, 2), ATTRIBUTE_VALUES, st.sampled_from(["MY", "ID"])),
    st.tuples(st.just("erase"), st.integers(0, 2)),
    st.tuples(st.just("tomorrow")),
)


def play(survey_id: int, org_id: int, prefix: str, steps: list) -> None:
    """Run generated steps through the services, as the channels would."""
    survey = surveys.get_survey(org_id, survey_id)
    made: list[int] = []
    with fake_clock() as clock:
        for step in steps:
            kind = step[0]
            if kind == "tomorrow":
                clock.now += timedelta(days=1, hours=5)
            elif kind == "attributes":
                respondents.find_or_create_respondent(
                    org_id, f"{prefix}{step[1]}", attributes={"plan": step[2], "country": step[3]})
                db.session.commit()
            elif kind == "erase":
                if db.session.execute(select(Respondent).where(Respondent.external_id == f"{prefix}{step[1]}")).first():
                    with unit_of_work():
                        erasure.erase_respondent(org_id, f"{prefix}{step[1]}")
            elif kind == "invite":
                person = respondents.find_or_create_respondent(org_id, f"{prefix}{step[1]}")
                invitation = Invitation(org_id=org_id, survey_id=survey_id, respondent_id=person.id,
                                        channel=step[2], status="sent")
                db.session.add(invitation)
                db.session.flush()
                record_event(org_id, step[3], survey_id=survey_id, channel=step[2], invitation_id=invitation.id)
                db.session.commit()
            elif kind == "respond":
                _, who, channel, items, complete = step
                person = respondents.find_or_create_respondent(org_id, f"{prefix}{who}")
                if channel == "interview":
                    answers = [{"question": q, "value": v} | ({"other_text": "x"} if v == "other" else {})
                               for q, v in dict(items).items()]
                    try:
                        with unit_of_work():
                            made.append(responses.create_staff_response(survey, f"{prefix}{who}", answers, complete,
                                                                        {}).id)
                    except Exception:  # invalid generated combinations are refused and write nothing
                        pass
                    continue
                response = responses.start_response(survey, channel, respondent=person)
                db.session.commit()
                made.append(response.id)
                for q, v in items:
                    _answer(response, q, v)
                if complete:
                    try:
                        with unit_of_work():
                            responses.complete_response(response)
                    except Exception:  # a required question without an answer: refused, nothing written
                        pass
            elif kind == "answer" and made:
                response = db.session.get(Response, made[step[1] % len(made)])
                if response is not None:
                    _answer(response, *step[2])
            elif kind == "event" and made:
                response = db.session.get(Response, made[step[1] % len(made)])
                if response is not None:
                    data = {"offer": "discount"} if step[2].startswith("offer_") else {}
                    record_event(org_id, step[2], survey_id=survey_id, channel=response.channel,
                                 response_id=response.id, data=data)
                    db.session.commit()
    db.session.commit()


def _answer(response, question, value):
    try:
        with unit_of_work():
            responses.answer_question(response, question, value, "x" if value == "other" else None)
    except Exception:  # hidden questions, out-of-scale values and completed responses are refused
        pass


FILTERS = [
    {},
    {"from": DAY0 + timedelta(days=1)},
    {"to": DAY0 + timedelta(days=1)},
    {"from": DAY0 + timedelta(days=1), "to": DAY0 + timedelta(days=2)},
    {"channel": "email"},
    {"channel": "interview", "from": DAY0},
    {"attr.plan": "pro"},  # counters
    {"attr.plan": "true"},
    {"attr.plan": "3", "channel": "widget"},
    {"attr.country": "MY"},  # no counters: scan
    {"attr.country": "ID", "attr.plan": "free", "to": DAY0 + timedelta(days=2)},
]


def _query(f: dict) -> str:
    return "&".join(f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in f.items())


def _naive(app, survey_id: int, f: dict) -> dict:
    attributes = {k[5:]: v for k, v in f.items() if k.startswith("attr.")}
    with app.app_context():
        return naive_stats(survey_id, f.get("from"), f.get("to"), f.get("channel"), attributes)


@pytest.fixture
def history(app, api):
    """Create a fresh published survey, play steps into it, return its id."""
    runs = iter(range(10_000))

    def run(steps) -> int:
        n = next(runs)
        created = api.post("/api/v1/surveys", json=survey_definition(slug=f"s{n}"))
        survey_id = created.get_json()["id"]
        api.post(f"/api/v1/surveys/{survey_id}/publish")
        with app.app_context():
            play(survey_id, api.org_id, f"p{n}-", steps)
            db.session.remove()
        return survey_id

    return run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(STEP, max_size=25))
def test_stats_equal_a_naive_recount_for_every_filter(app, api, history, steps):
    survey_id = history(steps)
    for f in FILTERS:
        expected = _naive(app, survey_id, f)
        r = api.get(f"/api/v1/surveys/{survey_id}/stats?{_query(f)}")
        assert r.status_code == 200, r.get_json()
        assert r.get_json() == expected, f


def test_rebuild_gives_the_same_counters(db, api, history):
    steps = [("attributes", 0, "pro", "MY"), ("respond", 0, "widget", [("nps", 9), ("reason", "price")], False),
             ("tomorrow",), ("invite", 1, "email", "sent"), ("respond", 1, "email", [("nps", 2)], False),
             ("event", 0, "offer_shown"), ("event", 0, "offer_accepted"), ("attributes", 1, "pro", "ID")]
    survey_id = history(steps)
    before = {_query(f): api.get(f"/api/v1/surveys/{survey_id}/stats?{_query(f)}").get_json() for f in FILTERS}
    with unit_of_work():
        stats.rebuild_counters(surveys.get_survey(api.org_id, survey_id))
    after = {_query(f): api.get(f"/api/v1/surveys/{survey_id}/stats?{_query(f)}").get_json() for f in FILTERS}
    assert after == before
    assert before[""]["offers"]["discount"] == {"shown": 1, "accepted": 1, "save_rate": 1.0}
    assert before["attr.plan=pro"]["totals"]["responded"] == 2


def test_contract_example(app, api, history):
    """A worked example with known numbers, so the recount above is not the only judge."""
    steps = [("invite", 0, "email", "sent"), ("invite", 1, "email", "sent"), ("invite", 2, "email", "failed"),
             ("respond", 0, "email", [("nps", 10), ("reason", "price")], False),
             ("respond", 3, "widget", [("nps", 3)], False), ("event", 1, "displayed"),
             ("respond", 4, "interview", [("reason", "other"), ("satisfaction", 6), ("nps", 8),
                                          ("come_back", False)], True)]
    survey_id = history(steps)
    body = api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()
    email = body["channels"]["email"]
    assert (email["sent"], email["failed"], email["reached"], email["responded"]) == (2, 1, 2, 1)
    assert email["response_rate"] == 0.5 and email["completion_rate"] == 0.0
    assert body["channels"]["widget"]["displayed"] == 1 and body["channels"]["widget"]["response_rate"] == 1.0
    interview = body["channels"]["interview"]
    assert (interview["opened"], interview["responded"], interview["completed"]) == (1, 1, 1)
    assert body["channels"]["web"]["response_rate"] is None and body["channels"]["sms"]["completion_rate"] is None
    assert body["totals"] == {"reached": 4, "responded": 3, "completed": 1, "response_rate": 0.75}
    nps = body["questions"]["nps"]
    assert (nps["answered"], nps["promoters"], nps["passives"], nps["detractors"]) == (3, 1, 1, 1)
    assert nps["score"] == 0.0
    assert body["questions"]["reason"]["distribution"] == {"price": 1, "features": 0, "other": 1}
    assert body["questions"]["satisfaction"]["mean"] == 6.0
    assert body["questions"]["come_back"] == {"type": "yes_no", "answered": 1, "distribution": {"yes": 0, "no": 1},
                                              "yes": 0, "no": 1}
    assert body["questions"]["why_not"] == {"type": "open", "answered": 0}
    assert body["offers"]["discount"] == {"shown": 0, "accepted": 0, "save_rate": None}


def test_yes_no_summaries_carry_a_distribution_like_every_closed_type(api, make_survey):
    survey = make_survey()
    for come_back in (True, True, False):
        r = api.post(f"/api/v1/surveys/{survey['id']}/responses",
                     json={"answers": [{"question": "come_back", "value": come_back}]})
        assert r.status_code == 201, r.get_json()
    questions = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()["questions"]
    assert questions["come_back"] == {"type": "yes_no", "answered": 3, "distribution": {"yes": 2, "no": 1},
                                      "yes": 2, "no": 1}
    closed = [q for q in questions.values() if q["type"] != "open"]
    assert closed and all("distribution" in q for q in closed)


def test_series_by_day_and_week(app, api, history):
    steps = [("respond", 0, "widget", [("nps", 9)], False), ("event", 0, "displayed"), ("tomorrow",),
             ("tomorrow",), ("respond", 1, "interview", [("nps", 1)], False)]
    survey_id = history(steps)
    body = api.get(f"/api/v1/surveys/{survey_id}/stats?interval=day").get_json()
    points = body["series"]["points"]
    assert [p["start"] for p in points] == [(DAY0 + timedelta(days=i)).isoformat() for i in range(3)]
    assert points[0]["channels"]["widget"] == {"reached": 1, "responded": 1, "completed": 0, "response_rate": 1.0}
    assert points[1]["channels"]["widget"]["reached"] == 0 and points[1]["channels"]["widget"]["response_rate"] is None
    assert points[2]["channels"]["interview"]["responded"] == 1
    week = api.get(f"/api/v1/surveys/{survey_id}/stats?interval=week&channel=widget").get_json()["series"]
    assert week["points"] == [{"start": "2026-03-02", "channels": {"widget": {
        "reached": 1, "responded": 1, "completed": 0, "response_rate": 1.0}}}]
    assert "series" not in api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"),
    ("from=2026-03-01T10:00:00", "from"),
    ("from=2026-03-05&to=2026-03-01", "to"),
    ("channel=fax", "channel"),
    ("interval=hour", "interval"),
    ("attr.=x", "attr."),
    ("attr.pl%20an=x", "attr.pl an"),
    ("attr.plan=pro&attr.plan=free", "attr.plan"),
    ("attr.plan=", "attr.plan"),
    ("plan=pro", "plan"),
    ("attributes=x", "attributes"),
    ("attr.*=x", "attr.*"),
    ("from=1900-01-01&to=2026-01-01&interval=day", "interval"),
])
def test_bad_filters_are_refused_naming_the_field(api, make_survey, row_counts, query, field):
    survey = make_survey()
    before = row_counts()
    r = api.get(f"/api/v1/surveys/{survey['id']}/stats?{query}")
    assert r.status_code == 422, r.get_json()
    assert field in error_fields(r)
    assert row_counts() == before


def test_scan_is_refused_past_its_limit(app, api, history):
    survey_id = history([("attributes", i, "pro", "MY") for i in range(3)])
    app.config["STATS_SCAN_LIMIT"] = 2
    r = api.get(f"/api/v1/surveys/{survey_id}/stats?attr.country=MY")
    assert r.status_code == 422 and "attr.country" in error_fields(r)
    assert api.get(f"/api/v1/surveys/{survey_id}/stats?attr.plan=pro").status_code == 200  # counted


def test_another_orgs_survey_is_404(api, other_api, make_survey):
    survey = make_survey()
    assert other_api.get(f"/api/v1/surveys/{survey['id']}/stats").status_code == 404
    assert api.client.get(f"/api/v1/surveys/{survey['id']}/stats").status_code == 401


def test_concurrent_answers_leave_counters_right(app, db, api, history):
    """Four requests answering one response at once: the counters still equal the recount."""
    survey_id = history([("respond", 0, "web", [], False)])
    response_id = db.execute(select(Response.id).where(Response.survey_id == survey_id)).scalar_one()
    failures = answer_at_once(app, response_id, "nps", [2, 9, 9, 5])
    assert failures == []
    body = api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()
    assert body == _naive(app, survey_id, {})
    assert body["questions"]["nps"]["answered"] == 1 and body["channels"]["web"]["responded"] == 1


def test_attribute_changes_and_erasure_move_the_counts(app, api, history):
    """Stats filter on people's current attributes; erasure drops their answers and their segments."""
    steps = [("respond", 0, "widget", [("nps", 9)], False), ("invite", 0, "email", "sent"),
             ("attributes", 0, "pro", "MY"), ("respond", 1, "web", [("nps", 2)], False),
             ("attributes", 1, "free", "MY"), ("attributes", 1, "pro", "ID")]
    survey_id = history(steps)
    pro = api.get(f"/api/v1/surveys/{survey_id}/stats?attr.plan=pro").get_json()
    assert pro == _naive(app, survey_id, {"attr.plan": "pro"})
    assert pro["questions"]["nps"]["answered"] == 2 and pro["channels"]["email"]["sent"] == 1
    assert api.get(f"/api/v1/surveys/{survey_id}/stats?attr.plan=free").get_json()["totals"]["responded"] == 0
    assert api.delete("/api/v1/respondents/p0-0").status_code == 204
    for f in FILTERS:
        assert api.get(f"/api/v1/surveys/{survey_id}/stats?{_query(f)}").get_json() == _naive(app, survey_id, f)
    everyone = api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()
    assert everyone["questions"]["nps"]["answered"] == 1  # the erased person's answer is gone
    assert everyone["channels"]["email"]["sent"] == 1  # what was sent stays in the funnel
    assert api.get(f"/api/v1/surveys/{survey_id}/stats?attr.plan=pro").get_json()["channels"]["email"]["sent"] == 0


def test_rebuild_command(db, api, history, runner):
    survey_id = history([("respond", 0, "widget", [("nps", 9)], False)])
    before = api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()
    db.session.execute(delete(AnswerCounter))
    db.session.commit()
    assert api.get(f"/api/v1/surveys/{survey_id}/stats").get_json()["questions"]["nps"]["answered"] == 0
    result = runner.invoke(args=["stats", "rebuild", "--survey", str(survey_id)])
    assert result.exit_code == 0 and f"Recounted survey {survey_id}" in result.output
    assert api.get(f"/api/v1/surveys/{survey_id}/stats").get_json() == before
    assert runner.invoke(args=["stats", "rebuild", "--survey", "999"]).exit_code != 0
