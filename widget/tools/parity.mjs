// Read cases {survey, answers} as JSON on stdin; print what the widget's rules make of each
// (tests/test_widget_js.py compares it with surveyhub/survey_logic.py).
import {matchingOffer, nextQuestion, visible} from "../src/logic.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(({survey, answers}) => {
  const given = new Map(Object.entries(answers));
  return {visible: visible(survey, given).map((q) => q.id), next: nextQuestion(survey, given)?.id ?? null,
    offer: matchingOffer(survey, given)?.id ?? null};
});
process.stdout.write(JSON.stringify(out));
