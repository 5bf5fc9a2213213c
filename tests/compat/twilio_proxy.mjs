// Twilio's own Node SDK, left pointing at https://api.twilio.com, reaching smsgate
// through the nginx proxy of contrib/nginx/api.twilio.com.conf. Run by
// tests/e2e/test_compat_proxy.py with NODE_EXTRA_CA_CERTS set to the test's local
// CA (what an operator sets for a Node application; the SDK's own TWILIO_CA_BUNDLE
// would do too) and PROXY_PORT, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_TO in the
// environment. Prints the created and fetched messages as one JSON line.
//
// Two stand-ins for what a real host has, because the test runs unprivileged on
// loopback: api.twilio.com resolves to 127.0.0.1 here (the host's /etc/hosts or DNS
// does it there), and the proxy listens on PROXY_PORT instead of 443, so the base
// URL names that port; the host name, and so the certificate check, is Twilio's.
import dns from "node:dns";
import twilio from "twilio";

const { PROXY_PORT, TW_ACCOUNT_SID, TW_AUTH_TOKEN, TW_TO } = process.env;
const HOST = "api.twilio.com";

const lookup = dns.lookup;
dns.lookup = (host, opts, cb) => {
  if (host !== HOST) return lookup(host, opts, cb);
  if (typeof opts === "function") cb = opts;
  if (opts && opts.all) return process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }]);
  return process.nextTick(cb, null, "127.0.0.1", 4);
};

function clientFor(sid, token) {
  const c = twilio(sid, token);
  if (PROXY_PORT !== "443") c.api.baseUrl = `https://${HOST}:${PROXY_PORT}`;
  return c;
}
const client = clientFor(TW_ACCOUNT_SID, TW_AUTH_TOKEN);

try {
  const created = await client.messages.create({ to: TW_TO, from: "+15005550006", body: "via the proxy" });
  const fetched = await client.messages(created.sid).fetch();
  let refused = null;
  try {
    await clientFor(TW_ACCOUNT_SID, "0".repeat(32)).messages.create({ to: TW_TO, body: "x" });
  } catch (e) {
    refused = { status: e.status, code: e.code };
  }
  console.log(JSON.stringify({
    created: { sid: created.sid, status: created.status, uri: created.uri },
    fetched: { sid: fetched.sid, body: fetched.body, to: fetched.to },
    refused,
  }));
} catch (e) {
  console.error(`twilio_proxy: ${e.code || ""} ${e.message}`);
  process.exit(1);
}
