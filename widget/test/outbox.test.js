import assert from "node:assert/strict";
import {test} from "node:test";
import {backoff, createOutbox} from "../src/outbox.js";

const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

/** A stand-in window: fetch answers with `respond(call)`, timers and listeners are recorded. */
function fakeWindow(respond, stored = {}) {
  const data = new Map(Object.entries(stored));
  const env = {
    calls: [], timers: [], listeners: {}, data,
    localStorage: {
      get length() { return data.size; },
      key: (i) => [...data.keys()][i] ?? null,
      getItem: (k) => (data.has(k) ? data.get(k) : null),
      setItem: (k, v) => data.set(k, String(v)),
      removeItem: (k) => data.delete(k),
    },
    async fetch(url, init) {
      const call = {url, body: JSON.parse(await init.body.text()), keepalive: init.keepalive, type: init.body.type};
      env.calls.push(call);
      return respond(call);
    },
    setTimeout: (fn, ms) => env.timers.push({fn, ms}),
    clearTimeout() {},
    addEventListener: (type, fn) => { (env.listeners[type] ||= []).push(fn); },
  };
  return env;
}
const ok = (json = {}) => ({status: 200, json: async () => json});
const offline = () => Promise.reject(new TypeError("Failed to fetch"));
const pending = (env) => [...env.data.values()].flatMap((v) => JSON.parse(v));

test("writes go one at a time, in order, as text/plain with keepalive", async () => {
  let release;
  const env = fakeWindow(() => new Promise((r) => { release = () => r(ok()); }));
  const box = createOutbox(env);
  box.send("/a", {n: 1});
  box.send("/b", {n: 2});
  await settle();
  assert.deepEqual(env.calls.map((c) => c.url), ["/a"]);
  assert.equal(env.calls[0].type, "text/plain");
  assert.equal(env.calls[0].keepalive, true);
  release();
  await settle();
  assert.deepEqual(env.calls.map((c) => c.url), ["/a", "/b"]);
  release();
  await settle();
  assert.equal(box.pending, 0);
  assert.equal(env.data.size, 0);
});

test("offline: the write waits, is kept, and is retried with backoff and when back online", async () => {
  let online = false;
  const env = fakeWindow(() => (online ? ok({response_id: 7}) : offline()));
  const box = createOutbox(env);
  const acks = [];
  box.send("/a", {n: 1}, (status, json) => acks.push([status, json]));
  await settle();
  assert.equal(env.timers.length, 1);
  assert.ok(env.timers[0].ms >= 250 && env.timers[0].ms <= 500);
  assert.deepEqual(pending(env).map((op) => op.body), [{n: 1}]);
  env.timers[0].fn();
  await settle();
  assert.ok(env.timers[1].ms >= 500 && env.timers[1].ms <= 1000);
  online = true;
  env.listeners.online.forEach((fn) => fn());
  await settle();
  assert.deepEqual(acks, [[200, {response_id: 7}]]);
  assert.equal(env.calls.length, 3);
  assert.equal(env.data.size, 0);
});

test("server errors and 429 are retried; other 4xx are given up and reported", async () => {
  const statuses = [503, 429, 422];
  const env = fakeWindow(() => ({status: statuses.shift(), json: async () => ({error: {message: "no"}})}));
  const box = createOutbox(env);
  const acks = [];
  box.send("/a", {}, (status) => acks.push(status));
  await settle();
  env.timers.shift().fn();
  await settle();
  env.timers.shift().fn();
  await settle();
  assert.deepEqual(acks, [422]);
  assert.equal(box.pending, 0);
});

test("a 429 for the daily cap of responses is given up and reported, not retried", async () => {
  const env = fakeWindow(() => ({status: 429, json: async () => ({error: {code: "too_many_responses"}})}));
  const box = createOutbox(env);
  const acks = [];
  box.send("/a", {}, (status, body) => acks.push([status, body.error.code]));
  await settle();
  assert.deepEqual(acks, [[429, "too_many_responses"]]);
  assert.equal(env.timers.length, 0);
  assert.equal(box.pending, 0);
});

test("writes a closed page left behind are adopted and sent; stale ones dropped", async () => {
  const now = Date.now();
  const left = [{id: "x", url: "/left", body: {n: 1}, t: now}, {id: "y", url: "/stale", body: {}, t: now - 8 * 864e5}];
  const env = fakeWindow(() => ok(), {"surveyhub:outbox:old": JSON.stringify(left), "host:other": "kept"});
  createOutbox(env);
  await settle();
  assert.deepEqual(env.calls.map((c) => c.url), ["/left"]);
  assert.deepEqual([...env.data.keys()], ["host:other"]);
});

test("leaving the page fires what still waits", async () => {
  const env = fakeWindow(() => offline());
  const box = createOutbox(env);
  box.send("/a", {});
  box.send("/b", {});
  await settle();
  env.listeners.pagehide.forEach((fn) => fn());
  await settle();
  assert.deepEqual(env.calls.map((c) => c.url), ["/a", "/a", "/b"]);
  assert.equal(box.pending, 2);
});

test("backoff doubles from half a second to at most thirty, with jitter", () => {
  assert.equal(backoff(0, 1), 500);
  assert.equal(backoff(0, 0), 250);
  assert.equal(backoff(3, 1), 4000);
  assert.equal(backoff(20, 1), 30000);
});
