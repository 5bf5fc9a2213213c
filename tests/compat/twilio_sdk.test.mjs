// Twilio's own Node SDK (npm `twilio`, pinned in package-lock.json) pointed at
// smsgate's Twilio-compatible API: create, fetch, list (following Twilio's
// paging), cancel a scheduled message, delete, and RestException codes with
// Twilio's types. Run by tests/e2e/test_compat_sdk.py, which starts smsgate and
// the Twilio simulator and passes the app's credentials in the environment:
// SMSGATE_URL, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_API_KEY and TW_API_SECRET (an
// API key of the app), TW_TO (a mobile number), TW_OPTED_OUT (an opted-out number),
// SIM_URL and INBOUND_URL (the Twilio simulator and smsgate's inbound webhook of
// its provider, to inject a reply). Status callbacks are received here and
// checked with the SDK's own twilio.validateRequest.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import twilio from "twilio";

const {
  SMSGATE_URL, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_API_KEY, TW_API_SECRET, TW_TO, TW_OPTED_OUT, SIM_URL,
  INBOUND_URL, INBOUND_RECEIVER_PORT,
} = process.env;
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

test("an API key of the app (SK… and its secret, the Account SID as an option)", async () => {
  const keyed = twilio(TW_API_KEY, TW_API_SECRET, { accountSid: TW_ACCOUNT_SID });
  keyed.api.baseUrl = SMSGATE_URL;
  const m = await keyed.messages.create({ to: TW_TO, from: FROM, body: "sent with an API key" });
  assert.equal(m.accountSid, TW_ACCOUNT_SID);
  assert.equal((await client.messages(m.sid).fetch()).body, "sent with an API key");
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

/** A loopback receiver of form POSTs: its URL and the requests it got; it
 * answers TwiML (twiml: a MessagingResponse, or none). */
async function receiver(port = 0, twiml = null) {
  const got = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ path: req.url, headers: req.headers, params: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(200, { "Content-Type": "text/xml" });
      res.end(twiml ? twiml.toString() : "<Response/>");
    });
  });
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, got, close: () => server.close() };
}

async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

test("status callbacks in Twilio's format pass twilio.validateRequest", async () => {
  const r = await receiver();
  try {
    const url = `${r.url}/status?tenant=a%20b`;
    const m = await client.messages.create({ to: TW_TO, from: FROM, body: "call me back", statusCallback: url });
    const cb = await waitFor(() => r.got.find((g) => g.params.MessageStatus === "sent"), "a 'sent' callback");
    assert.equal(cb.path, "/status?tenant=a%20b");
    assert.equal(cb.params.MessageSid, m.sid);
    assert.equal(cb.params.SmsSid, m.sid);
    assert.equal(cb.params.SmsStatus, "sent");
    assert.equal(cb.params.AccountSid, TW_ACCOUNT_SID);
    assert.equal(cb.params.To, TW_TO);
    assert.equal(cb.params.ApiVersion, "2010-04-01");
    const sig = cb.headers["x-twilio-signature"];
    assert.ok(sig, "signed");
    assert.equal(twilio.validateRequest(TW_AUTH_TOKEN, sig, url, cb.params), true);
    assert.equal(twilio.validateRequest("0".repeat(32), sig, url, cb.params), false);
  } finally {
    r.close();
  }
});

test("an inbound reply passes twilio.validateRequest; the TwiML <Message> answer is sent", async () => {
  const twiml = new twilio.twiml.MessagingResponse();
  twiml.message("Got it <3 & thanks");
  const r = await receiver(Number(INBOUND_RECEIVER_PORT), twiml);
  try {
    const url = `${r.url}/inbound`; // the app's inbound_url, set by the test that runs this file
    await client.messages.create({ to: TW_TO, from: FROM, body: "Reply to me" });
    const inj = await fetch(`${SIM_URL}/sim/inbound`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: INBOUND_URL, from: TW_TO, to: FROM, body: "Hi smsgate" }),
    });
    assert.equal(inj.status, 200);
    const got = await waitFor(() => r.got.find((g) => g.params.Body === "Hi smsgate"), "the inbound message");
    assert.equal(got.params.From, TW_TO);
    assert.equal(got.params.SmsStatus, "received");
    assert.equal(got.params.AccountSid, TW_ACCOUNT_SID);
    const sig = got.headers["x-twilio-signature"];
    assert.equal(twilio.validateRequest(TW_AUTH_TOKEN, sig, url, got.params), true);
    const sent = async () => (await client.messages.list({ to: TW_TO, limit: 20 }))
      .find((m) => m.body === "Got it <3 & thanks");
    const deadline = Date.now() + 10000;
    let reply;
    while (!(reply = await sent()) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(reply, "the TwiML reply was sent as the app's message");
    assert.equal(reply.direction, "outbound-api");
  } finally {
    r.close();
  }
});
