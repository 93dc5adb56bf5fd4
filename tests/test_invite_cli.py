"""`surveyhub invite SURVEY --channel email --csv FILE`."""

import csv

from sqlalchemy import func, select, text

from surveyhub.bulk import custom_plans
from surveyhub.extensions import db as sa
from surveyhub.models import Invitation, Respondent
from surveyhub.transaction import unit_of_work


def write_csv(path, rows, header=("external_id", "email", "locale", "timezone", "plan", "seats")):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_invites_from_csv_and_writes_refused_rows(db, runner, make_survey, tmp_path):
    survey = make_survey()
    rows = [(f"c{i}", f"user{i}@example.com", "ms" if i % 2 else "", "Asia/Kuala_Lumpur", "pro", str(i))
            for i in range(1203)]
    rows += [("bad1", "not-an-email", "", "", "", ""), ("dup", "user5@example.com", "", "", "", ""),
             ("tz", "tz@example.com", "", "Nowhere/Land", "", "")]
    path = tmp_path / "leavers.csv"
    write_csv(path, rows)
    result = runner.invoke(args=["invite", str(survey["id"]), "--channel", "email", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "Queued 1203 invitations; refused 3." in result.output
    refused = list(csv.DictReader((tmp_path / "leavers.refused.csv").open(encoding="utf-8")))
    assert [(r["external_id"], r["reason"]) for r in refused] == [
        ("bad1", "invalid_email"), ("dup", "recently_invited"), ("tz", "invalid_timezone")]
    assert db.execute(select(func.count()).select_from(Invitation)).scalar_one() == 1203
    person = db.execute(select(Respondent).where(Respondent.external_id == "c7")).scalar_one()
    assert person.locale == "ms" and person.timezone == "Asia/Kuala_Lumpur"
    assert person.attributes == {"plan": "pro", "seats": "7"}


def test_invitations_from_csv_are_counted_as_invited(api, runner, make_survey, tmp_path):
    survey = make_survey()
    path = tmp_path / "leavers.csv"
    write_csv(path, [(f"c{i}", f"user{i}@example.com", "", "", "pro" if i < 700 else "free", "1")
                     for i in range(1203)] + [("bad", "not-an-email", "", "", "pro", "")])
    result = runner.invoke(args=["invite", str(survey["id"]), "--channel", "email", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    stats = api.get(f"/api/v1/surveys/{survey['id']}/stats").get_json()
    assert stats["channels"]["email"]["invited"] == 1203
    pro = api.get(f"/api/v1/surveys/{survey['id']}/stats?attr.plan=pro").get_json()
    assert pro["channels"]["email"]["invited"] == 700


def test_unknown_survey_and_missing_file(runner, tmp_path):
    path = tmp_path / "x.csv"
    write_csv(path, [])
    assert "no survey" in runner.invoke(args=["invite", "999", "--channel", "email", "--csv", str(path)]).output
    missing = runner.invoke(args=["invite", "1", "--channel", "email", "--csv", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0


def test_draft_survey_is_refused(runner, make_survey, tmp_path):
    draft = make_survey(publish=False)
    path = tmp_path / "x.csv"
    write_csv(path, [("c1", "a@example.com", "", "", "", "")])
    result = runner.invoke(args=["invite", str(draft["id"]), "--channel", "email", "--csv", str(path)])
    assert result.exit_code != 0 and "not published" in result.output


def test_texts_that_copy_escapes_come_back_as_written(api, runner, make_survey, tmp_path):
    """A batch of 20 rows or more goes into PostgreSQL by COPY: its text markers (tab, newline, backslash, \\N)
    and any script are data, read back as written through the invitations listing and the stats."""
    survey = make_survey()
    tricky = ["tab\there", "line\nbreak", "back\\slash", "\\N", "\\.", 'quote"s', "emoji 😀", "中文 مرحبا", ""]
    rows = [(f"{tricky[i % len(tricky)]}#{i}", f"user{i}@example.com", "", "", tricky[i % 4], str(i))
            for i in range(45)]
    path = tmp_path / "leavers.csv"
    write_csv(path, rows)
    result = runner.invoke(args=["invite", str(survey["id"]), "--channel", "email", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "Queued 45 invitations; refused 0." in result.output
    listed = api.get(f"/api/v1/surveys/{survey['id']}/invitations?limit=100").get_json()["data"]
    assert sorted(row["recipient"]["external_id"] for row in listed) == sorted(r[0] for r in rows)
    for plan in tricky[:4]:
        stats = api.get(f"/api/v1/surveys/{survey['id']}/stats", query_string={"attr.plan": plan}).get_json()
        assert stats["channels"]["email"]["invited"] == sum(1 for r in rows if r[4] == plan), plan


def test_custom_plans_cover_only_the_lookups_inside(db):
    """A batch's lookups are planned for their own parameters; what comes after them (the inserts, whose
    foreign-key checks are cached plans run once per row) is planned as before, and an outer setting
    survives an inner block."""
    def mode() -> str | None:
        if sa.session.get_bind().dialect.name != "postgresql":
            return None
        return sa.session.execute(text("SELECT current_setting('plan_cache_mode')")).scalar_one()

    with unit_of_work():
        before = mode()
        with custom_plans():
            inside = mode()
            with custom_plans():
                pass
            assert mode() == inside
        assert mode() == before
    if before is not None:
        assert (before, inside) == ("auto", "force_custom_plan")
