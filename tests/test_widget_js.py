"""The widget's pure parts: its own unit tests (node --test), and its survey rules against the server's."""

from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess
from pathlib import Path

from surveyhub.rules import survey as logic

WIDGET = Path(__file__).resolve().parent.parent / "widget"


def node() -> str:
    path = shutil.which("node")
    assert path, "Node.js is needed for the widget's tests (apt-get install -y nodejs)"
    return path


def test_widget_unit_tests_pass():
    run = subprocess.run([node(), "--test", "test/"], cwd=WIDGET, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout


# A survey that uses every operator, nesting, multiple selection and branches on branches.
SURVEY = {
    "default_locale": "en",
    "questions": [
        {"id": "reason", "type": "multiple_choice", "choices": [{"id": c} for c in "abc"], "allow_other": True},
        {"id": "features", "type": "multiple_choice", "multiple": True, "choices": [{"id": c} for c in "xyz"],
         "show_if": {"question": "reason", "in": ["b", "other"]}},
        {"id": "nps", "type": "nps"},
        {"id": "low", "type": "open", "show_if": {"question": "nps", "lte": 6}},
        {"id": "high", "type": "open",
         "show_if": {"all": [{"question": "nps", "gte": 9}, {"question": "reason", "not_in": ["a"]}]}},
        {"id": "yes", "type": "yes_no",
         "show_if": {"any": [{"question": "features", "equals": "y"}, {"question": "nps", "equals": 7}]}},
        {"id": "why", "type": "open", "show_if": {"question": "yes", "equals": False}},
        {"id": "sat", "type": "likert", "scale": 5, "show_if": {"question": "features", "not_in": ["z"]}},
    ],
    "offers": [
        {"id": "cheap", "when": {"question": "reason", "in": ["a"]}},
        {"id": "stay", "when": {"all": [{"question": "nps", "lte": 3}, {"question": "features", "in": ["x"]}]}},
        {"id": "back", "when": {"question": "why", "equals": "t"}},
    ],
}
VALUES = {
    "reason": ["a", "b", "c", "other"],
    "features": [list(c) for n in (1, 2, 3) for c in itertools.combinations("xyz", n)],
    "nps": list(range(11)), "low": ["t"], "high": ["t"], "yes": [True, False], "why": ["t", "u"],
    "sat": [1, 3, 5],
}


def cases(count: int = 400) -> list[dict]:
    rng = random.Random(20261123)
    out = []
    for _ in range(count):
        answers = {qid: rng.choice(values) for qid, values in VALUES.items() if rng.random() < 0.6}
        out.append({"survey": SURVEY, "answers": answers})
    return out


def test_the_widget_branches_and_offers_as_the_server_does():
    given = cases()
    run = subprocess.run([node(), "tools/parity.mjs"], cwd=WIDGET, input=json.dumps(given),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    widget = json.loads(run.stdout)
    server = []
    for case in given:
        answers = case["answers"]
        following = logic.next_question(SURVEY, answers)
        offer = logic.matching_offer(SURVEY, answers)
        server.append({"visible": [q["id"] for q in logic.visible_questions(SURVEY, answers)],
                       "next": following["id"] if following else None, "offer": offer["id"] if offer else None})
    assert widget == server
    # The cases reach every branch and every offer, so agreeing means something.
    assert {o["offer"] for o in server} == {None, "cheap", "stay", "back"}
    assert {q for o in server for q in o["visible"]} == {q["id"] for q in SURVEY["questions"]}
