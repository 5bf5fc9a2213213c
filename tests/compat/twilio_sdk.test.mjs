// Twilio's own Node SDK (npm `twilio`, pinned in package-lock.json) pointed at
// smsgate's Twilio-compatible API: create, fetch, list (following Twilio's
// paging), cancel a scheduled message, delete, and RestException codes with
// Twilio's types. Run by tests/e2e/test_compat_sdk.py, which starts smsgate and
// the Twilio simulator and passes the app's credentials in the environment:
// SMSGATE_URL, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_TO (a mobile number),
// TW_OPTED_OUT (an opted-out number).
import assert from "node:assert/strict";
import { test } from "node:test";
import twilio from "twilio";

const { SMSGATE_URL, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_TO, TW_OPTED_OUT } = process.env;
const FROM = "+15005550006";

// The one change an application makes: its base URL (client.api.baseUrl).
function clientFor(sid, token) {
  const client = twilio(sid, token);
  client.api.baseUrl = SMSGATE_URL;
  return client;
}

const client = clientFor(TW_ACCOUNT_SID, TW_AUTH_TOKEN);

async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a RestException");
}

test("create and fetch a message, with Twilio's types", async () => {
  const m = await client.messages.create({ to: TW_TO, from: FROM, body: "hello from twilio-node" });
  assert.match(m.sid, /^SM[0-9a-f]{32}$/);
  assert.equal(m.accountSid, TW_ACCOUNT_SID);
  assert.equal(m.status, "queued");
  assert.equal(m.numSegments, "1");
  assert.equal(m.numMedia, "0");
  assert.equal(m.errorCode, null);
  assert.equal(m.direction, "outbound-api");
  assert.ok(m.dateCreated instanceof Date && !Number.isNaN(m.dateCreated.getTime()));
  const f = await client.messages(m.sid).fetch();
  assert.equal(f.sid, m.sid);
  assert.equal(f.body, "hello from twilio-node");
  assert.equal(f.to, TW_TO);
});

test("list follows Twilio's paging", async () => {
  const sids = [];
  for (let i = 0; i < 3; i++) {
    const m = await client.messages.create({ to: TW_TO, from: FROM, body: `page ${i}` });
    sids.push(m.sid);
  }
  const listed = await client.messages.list({ to: TW_TO, pageSize: 2 });
  for (const sid of sids) assert.ok(listed.some((m) => m.sid === sid), `${sid} not listed`);
  const page = await client.messages.page({ pageSize: 2 });
  assert.equal(page.instances.length, 2);
  const next = await page.nextPage();
  assert.ok(next && next.instances.length >= 1, "no second page");
  const firstSids = new Set(page.instances.map((m) => m.sid));
  for (const m of next.instances) assert.ok(!firstSids.has(m.sid), "a message on two pages");
});

test("cancel a scheduled message, then delete it", async () => {
  const sendAt = new Date(Date.now() + 3600 * 1000);
  const m = await client.messages.create({
    to: TW_TO, from: FROM, body: "later", sendAt, scheduleType: "fixed",
  });
  assert.equal(m.status, "scheduled");
  const c = await client.messages(m.sid).update({ status: "canceled" });
  assert.equal(c.status, "canceled");
  assert.equal(await client.messages(m.sid).remove(), true);
  const gone = await refusal(client.messages(m.sid).fetch());
  assert.equal(gone.status, 404);
  assert.equal(gone.code, 20404);
});

test("RestException 21211: invalid To", async () => {
  const e = await refusal(client.messages.create({ to: "12", from: FROM, body: "x" }));
  assert.ok(e instanceof twilio.RestException, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, 21211);
  assert.equal(typeof e.message, "string");
  assert.equal(e.moreInfo, "https://www.twilio.com/docs/errors/21211");
});

test("RestException 21610: opted out", async () => {
  const e = await refusal(client.messages.create({ to: TW_OPTED_OUT, from: FROM, body: "x" }));
  assert.ok(e instanceof twilio.RestException, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, 21610);
});

test("RestException 20003: wrong token", async () => {
  const bad = clientFor(TW_ACCOUNT_SID, "0".repeat(32));
  const e = await refusal(bad.messages.create({ to: TW_TO, from: FROM, body: "x" }));
  assert.ok(e instanceof twilio.RestException, String(e));
  assert.equal(e.status, 401);
  assert.equal(e.code, 20003);
});
