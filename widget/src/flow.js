// One opening of a survey (a visit): fetch it, ask question by question, send each write as it happens.
import {mount} from "./dialog.js";
import {matchingOffer, nextQuestion, visible} from "./logic.js";
import {randomId} from "./outbox.js";

// How long the result waits, after the dialog closed, for the server to name the response (offline: null).
const ANSWER_WAIT = 3000;

function failure(code, message) {
  return Object.assign(new Error(`SurveyHub: ${message}`), {code});
}

/** Fetch the survey in the user's locale; reject with the server's message when it can't be had. */
async function fetchSurvey(url) {
  const res = await fetch(url, {credentials: "omit"}).catch(() => {
    throw failure("unavailable", "the survey could not be fetched (offline?)");
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw failure(body?.error?.code || "unavailable", body?.error?.message || `HTTP ${res.status}`);
  return body;
}

/** Open survey `slug` for the user in `config`; return {promise, dismiss}. */
export function run(config, slug, outbox) {
  const root = `${config.apiBase}/widget/v1/${encodeURIComponent(config.key)}/surveys/${encodeURIComponent(slug)}`;
  const visit = randomId();
  const locale = config.locale ? `?locale=${encodeURIComponent(config.locale)}` : "";
  const send = (what, extra, done) =>
    outbox.send(`${root}/${what}`, {visit, user: config.user, userHash: config.userHash, ...extra}, done);
  return ask(fetchSurvey(root + locale), {send, locale: config.locale});
}

/** Draw `survey` (as the widget's GET gives it) in `container`, or modal without one, exactly as `run`
 * asks it — conditions, offers, thanks — but write nothing: no display, answer, offer or dismiss. */
export function preview(survey, container) {
  return ask(Promise.resolve(survey), {container});
}

/** Ask the survey `loading` resolves to; `send(what, body, done)` carries the writes (none: a preview). */
function ask(loading, {send, locale, container}) {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  const answers = new Map();
  const others = new Map();
  const skipped = new Set();
  let dialog = null;
  let survey = null;
  let offer = null;
  let responseId = null;
  let unanswered = 0; // this visit's writes the server has not answered yet
  let whenAnswered = null; // called when responseId is known or no write waits
  let settled = false;
  let completed = false;

  // The dialog closes at once; the result waits (up to ANSWER_WAIT) for the write that names the response,
  // so that an offer taken before the first answer's write came back still resolves with its responseId.
  function finish(status) {
    if (settled) return;
    settled = true;
    if (dialog) dialog.remove();
    let timer = 0;
    const settle = () => {
      whenAnswered = null;
      clearTimeout(timer);
      resolve({status, responseId, answers: [...answers].map(([question, value]) =>
        (others.has(question) ? {question, value, other_text: others.get(question)} : {question, value})),
      offer: offer && "accepted" in offer ? offer : null});
    };
    if (responseId !== null || !unanswered) return settle();
    whenAnswered = settle;
    timer = setTimeout(settle, ANSWER_WAIT);
  }

  function fail(error) {
    if (settled) return console.warn(error.message);
    settled = true;
    if (dialog) dialog.remove();
    reject(error);
  }

  function write(what, extra) {
    if (!send) return;
    unanswered += 1;
    send(what, extra || {}, (status, body) => {
      unanswered -= 1;
      if (body?.response_id) responseId = body.response_id;
      if (whenAnswered && (responseId !== null || !unanswered)) whenAnswered();
      if (status === 401) fail(failure("unauthorized", body?.error?.message || "the userHash was refused"));
      else if (status >= 400) console.warn(`SurveyHub: ${body?.error?.message || status}`);
    });
  }

  function next() {
    const q = nextQuestion(survey, answers, skipped);
    if (!q) {
      completed = true;
      write("complete");
      dialog.thanks(() => finish("completed"));
      return;
    }
    const shown = visible(survey, answers);
    dialog.question(q, shown.indexOf(q) + 1, shown.length, (answer) => {
      if (!answer) {
        skipped.add(q.id);
        return next();
      }
      const [value, otherText] = answer;
      answers.set(q.id, value);
      if (otherText !== undefined) others.set(q.id, otherText);
      write("answers", {question: q.id, value, ...(otherText !== undefined && {other_text: otherText})});
      const match = !offer && matchingOffer(survey, answers);
      if (!match) return next();
      offer = {id: match.id};
      dialog.offer(match, (accepted) => {
        offer.accepted = accepted;
        write("offer", {offer: match.id, accepted});
        // Taking the offer ends the flow: the person stays.
        accepted ? finish("completed") : next();
      });
    });
  }

  function dismiss() {
    if (survey && !completed && !settled) write("dismiss");
    finish(completed ? "completed" : "dismissed");
  }

  loading.then((loaded) => {
    if (settled) return;
    survey = loaded;
    dialog = mount(survey, dismiss, container);
    next();
    // Once the question is on screen: showing it never waits for this write.
    setTimeout(() => write("display", {locale: locale || null}));
  }, fail);

  return {promise, dismiss};
}
