// The widget's writes: sent one after another in order, each as soon as it is made, with keepalive so
// that it survives the page closing. A write that fails for want of network (or a 5xx, 408, a 429 over
// a rate limit) waits and is retried with backoff, and at once when the browser comes back online.
// Pending writes are kept in localStorage, so that a page closed while offline sends them on the next
// page that loads the widget.
// Every write is idempotent on the server (it names its visit), so sending one twice stores it once.

const PREFIX = "surveyhub:outbox:";
const MAX_AGE = 7 * 24 * 3600 * 1000;

/** Return the wait before retry number `n` (0, 1, …): doubling from 0.5 s up to 30 s, with jitter. */
export const backoff = (n, random) => Math.min(30000, 500 * 2 ** n) * (0.5 + random / 2);

export const randomId = () => [...crypto.getRandomValues(new Uint8Array(16))]
  .map((b) => b.toString(16).padStart(2, "0")).join("");

/** Create the outbox; `env` is the window (tests give a stand-in). */
export function createOutbox(env) {
  const store = env.localStorage;
  const mine = PREFIX + randomId();
  const callbacks = new Map();
  let queue = [];
  let busy = false;
  let timer = 0;
  let tries = 0;

  const save = () => {
    try {
      if (queue.length) store.setItem(mine, JSON.stringify(queue));
      else store.removeItem(mine);
    } catch { /* storage full or disabled: the writes are still sent from memory */ }
  };

  const post = (op) => {
    const body = new Blob([JSON.stringify(op.body)], {type: "text/plain"});
    // A text/plain POST is a simple CORS request: no preflight. Chromium caps keepalive bodies at 64 KiB.
    return env.fetch(op.url, {method: "POST", body, credentials: "omit", keepalive: body.size < 60000});
  };

  async function pump() {
    if (busy || !queue.length) return;
    busy = true;
    env.clearTimeout(timer);
    const op = queue[0];
    let res = null;
    try {
      res = await post(op);
    } catch { /* offline or unreachable: retried below */ }
    busy = false;
    // A 429 for the user's daily cap of responses won't pass by retrying today: it is given up like a 4xx.
    const body = res && res.status === 429 ? await res.json().catch(() => null) : undefined;
    const capped = body?.error?.code === "too_many_responses";
    if (!res || res.status >= 500 || res.status === 408 || (res.status === 429 && !capped)) {
      timer = env.setTimeout(pump, backoff(tries++, Math.random()));
      return;
    }
    tries = 0;
    queue.shift();
    save();
    const done = callbacks.get(op.id);
    callbacks.delete(op.id);
    if (done) done(res.status, body !== undefined ? body : await res.json().catch(() => null));
    pump();
  }

  // Adopt writes left by pages that closed before sending them (a live page's get sent twice: harmless).
  try {
    const keys = Array.from({length: store.length}, (_, i) => store.key(i));
    for (const key of keys) {
      if (!key || !key.startsWith(PREFIX)) continue;
      const ops = JSON.parse(store.getItem(key)) || [];
      store.removeItem(key);
      queue.push(...ops.filter((op) => Date.now() - op.t < MAX_AGE));
    }
  } catch { /* unreadable storage: nothing to adopt */ }
  save();
  env.addEventListener("online", () => { tries = 0; pump(); });
  // Leaving the page: fire what waits (keepalive); it stays stored until acknowledged.
  env.addEventListener("pagehide", () => queue.slice(busy ? 1 : 0).forEach((op) => post(op).catch(() => {})));
  pump();

  return {
    /** Queue a POST of `body` to `url`; `done(status, json)` is called once it is answered. */
    send(url, body, done) {
      const op = {id: randomId(), url, body, t: Date.now()};
      if (done) callbacks.set(op.id, done);
      queue.push(op);
      save();
      pump();
    },
    get pending() { return queue.length; },
  };
}
