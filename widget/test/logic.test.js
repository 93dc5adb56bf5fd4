import assert from "node:assert/strict";
import {test} from "node:test";
import {format, holds, matchingOffer, nextQuestion, visible} from "../src/logic.js";

const survey = {
  questions: [
    {id: "reason", type: "multiple_choice", multiple: true},
    {id: "nps", type: "nps"},
    {id: "why", type: "open", show_if: {all: [{question: "nps", lte: 6}, {question: "reason", not_in: ["price"]}]}},
    {id: "__proto__", type: "yes_no", show_if: {question: "why", equals: "x"}},
  ],
  offers: [{id: "cheap", when: {question: "reason", in: ["price"]}}, {id: "late", when: {question: "__proto__", equals: true}}],
};
const answers = (pairs) => new Map(Object.entries(pairs));

test("a condition on an unanswered question is false, whatever the operator", () => {
  for (const op of [{equals: 1}, {in: [1]}, {not_in: [1]}, {gte: 0}, {lte: 10}]) {
    assert.equal(holds({question: "nps", ...op}, new Map()), false);
  }
});

test("multiple selections: equals includes, in includes any, not_in includes none", () => {
  const a = answers({reason: ["price", "bugs"]});
  assert.equal(holds({question: "reason", equals: "bugs"}, a), true);
  assert.equal(holds({question: "reason", in: ["x", "price"]}, a), true);
  assert.equal(holds({question: "reason", not_in: ["bugs"]}, a), false);
  assert.equal(holds({any: [{question: "reason", equals: "x"}, {question: "reason", equals: "price"}]}, a), true);
});

test("numbers compare only as integers", () => {
  assert.equal(holds({question: "nps", gte: 1}, answers({nps: true})), false);
  assert.equal(holds({question: "nps", lte: 6}, answers({nps: 6})), true);
});

test("branching follows show_if, and an answer to a hidden question does not count", () => {
  const a = answers({reason: ["bugs"], nps: 9, why: "x"});
  assert.deepEqual(visible(survey, a).map((q) => q.id), ["reason", "nps"]);
  assert.equal(nextQuestion(survey, a), undefined);
  const low = answers({reason: ["bugs"], nps: 3});
  assert.equal(nextQuestion(survey, low).id, "why");
  assert.equal(nextQuestion(survey, low, new Set(["why"])), undefined);
  assert.equal(nextQuestion(survey, answers({...Object.fromEntries(low), why: "x"})).id, "__proto__");
});

test("the first offer whose condition holds on visible answers", () => {
  assert.equal(matchingOffer(survey, answers({reason: ["price", "bugs"]})).id, "cheap");
  assert.equal(matchingOffer(survey, answers({reason: ["bugs"], nps: 9, why: "x", __proto__: true})), null);
  const shown = answers({reason: ["bugs"], nps: 2, why: "x"});
  shown.set("__proto__", true);
  assert.equal(matchingOffer(survey, shown).id, "late");
});

test("format fills placeholders", () => {
  assert.equal(format("Question {n} of {total}", {n: 2, total: 5}), "Question 2 of 5");
});
