#!/usr/bin/python3
"""Write one signed Twilio status callback per sent benchmark message, for callbacks.lua.

usage: sign_callbacks.py DB STATUS_URL AUTH_TOKEN ACCOUNT_SID OUT [TO_PREFIX]

Each line of OUT is "<X-Twilio-Signature>\\t<form body>". The signature is Twilio's:
base64(HMAC-SHA1(auth token, URL + every parameter name and value, sorted by name)),
where URL is what smsgate rebuilds (--public-url + the request path), i.e. the
provider's callback_urls.status. Prints the number of lines written."""
import base64
import hashlib
import hmac
import sqlite3
import sys
import urllib.parse


def signature(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def main():
    db, url, token, account, out = sys.argv[1:6]
    prefix = sys.argv[6] if len(sys.argv) > 6 else "+4474"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    rows = con.execute(
        "SELECT provider_message_id, to_number, from_number FROM messages "
        "WHERE direction = 'outbound' AND status = 'sent' AND provider_message_id != '' "
        "AND substr(to_number, 1, ?) = ?", (len(prefix), prefix)).fetchall()
    con.close()
    with open(out, "w") as f:
        for sid, to, frm in rows:
            p = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                 "SmsStatus": "delivered", "AccountSid": account, "To": to, "From": frm,
                 "ApiVersion": "2010-04-01"}
            f.write(f"{signature(token, url, p)}\t{urllib.parse.urlencode(p)}\n")
    print(len(rows))


if __name__ == "__main__":
    main()
