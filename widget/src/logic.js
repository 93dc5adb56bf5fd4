// The survey rules the widget needs while offline, the same as surveyhub/survey_logic.py
// (tests/test_widget_js.py runs both on the same cases). Answers are a Map of question id → value.

/** Tell whether a show_if/when condition holds; a condition on an unanswered question is false. */
export function holds(c, answers) {
  if (c.all) return c.all.every((part) => holds(part, answers));
  if (c.any) return c.any.some((part) => holds(part, answers));
  if (!answers.has(c.question)) return false;
  const answer = answers.get(c.question);
  const list = Array.isArray(answer);
  const selected = list ? answer : [answer];
  if ("equals" in c) return list ? selected.includes(c.equals) : answer === c.equals;
  if ("in" in c) return selected.some((v) => c.in.includes(v));
  if ("not_in" in c) return selected.every((v) => !c.not_in.includes(v));
  if ("gte" in c) return Number.isInteger(answer) && answer >= c.gte;
  return Number.isInteger(answer) && answer <= c.lte;
}

/** Return the questions shown given the answers, in order (answers to hidden ones don't count). */
export function visible(survey, answers) {
  const shown = [];
  const effective = new Map();
  for (const q of survey.questions) {
    if (!q.show_if || holds(q.show_if, effective)) {
      shown.push(q);
      if (answers.has(q.id)) effective.set(q.id, answers.get(q.id));
    }
  }
  return shown;
}

/** Return the first visible question neither answered nor skipped, or undefined at the end. */
export function nextQuestion(survey, answers, skipped = new Set()) {
  return visible(survey, answers).find((q) => !answers.has(q.id) && !skipped.has(q.id));
}

/** Return the first offer whose `when` holds for the visible answers, or null. */
export function matchingOffer(survey, answers) {
  const effective = new Map(visible(survey, answers).filter((q) => answers.has(q.id))
    .map((q) => [q.id, answers.get(q.id)]));
  return (survey.offers || []).find((o) => holds(o.when, effective)) || null;
}

/** Fill {n}-style placeholders in one of the widget's own strings. */
export const format = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);
