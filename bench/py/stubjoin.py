#!/usr/bin/python3
"""Join the nginx stub's access log with smsgate's messages: lost and duplicated sends.

The stub answers every request with its own nginx $request_id (Twilio: sid
"SM<id>", Clickatell: "ID: <id>") and logs "$msec $request_id $method $uri $arg_to
$status". smsgate stores each message's provider_message_id, so the two join on it:

  R        = stub requests on the provider's path after the warm-up lines
  matched  = distinct request ids that some benchmark message recorded
  lost     = accepted - matched   (a message never sent, or sent but its id not kept)
  dups     = |R| - matched        (a request no message recorded, i.e. a send whose
                                   answer got lost and that went out again, plus any
                                   request id seen twice)

usage: stubjoin.py --db DB --log LOG --kind twilio|clickatell --accepted N
                   [--skip LINES] [--to-prefix +4474]
       stubjoin.py --self-test
Prints one line of key=value: matched lost dups requests non2xx first_msec last_msec
rows sent_rows (rows: benchmark messages in the database; sent_rows: those in status
sent or later)."""
import argparse
import os
import re
import sqlite3
import sys
import tempfile

PATHS = {"twilio": re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$"),
         "clickatell": re.compile(r"^/http/sendmsg$")}
AFTER_SENT = ("sent", "delivered", "undelivered")


def stub_id(kind, provider_message_id):
    if kind == "twilio" and provider_message_id.startswith("SM"):
        return provider_message_id[2:]
    return provider_message_id


def read_log(path, kind, skip):
    reqs = []  # (msec, request_id, status)
    with open(path) as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            parts = line.split()
            if len(parts) >= 6 and PATHS[kind].match(parts[3]):
                reqs.append((float(parts[0]), parts[1], int(parts[5])))
    return reqs


def read_db(path, to_prefix):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(
            "SELECT status, provider_message_id FROM messages "
            "WHERE direction = 'outbound' AND substr(to_number, 1, ?) = ?",
            (len(to_prefix), to_prefix)).fetchall()
    finally:
        con.close()


def join(kind, reqs, rows, accepted):
    ids = {stub_id(kind, pmid) for _, pmid in rows if pmid}
    seen = {rid for _, rid, _ in reqs}
    matched = len(ids & seen)
    return {
        "matched": matched,
        "lost": accepted - matched,
        "dups": len(reqs) - matched,
        "requests": len(reqs),
        "non2xx": sum(1 for _, _, st in reqs if not 200 <= st < 300),
        "first_msec": f"{min((m for m, _, _ in reqs), default=0):.3f}",
        "last_msec": f"{max((m for m, _, _ in reqs), default=0):.3f}",
        "rows": len(rows),
        "sent_rows": sum(1 for st, _ in rows if st in AFTER_SENT),
    }


def self_test():
    """A hand-made log and database with one of each case."""
    log = ("1.000 aaaa POST /http/sendmsg - 200\n"        # warm-up line, skipped
           "2.000 a1 POST /http/sendmsg - 200\n"          # message 1
           "2.100 a2 POST /http/sendmsg - 200\n"          # message 2, first try: answer lost
           "2.200 a3 POST /http/sendmsg - 200\n"          # message 2, resent: recorded
           "2.300 a4 POST /http/sendmsg - 500\n"          # message 4, failed try (non-2xx)
           "2.400 a5 POST /http/sendmsg - 200\n"          # message 4, recorded
           "2.500 a5 POST /http/sendmsg - 200\n"          # the same id twice
           "2.600 zz GET /dlr - 200\n")                   # another path, ignored
    rows = [("sent", "a1"), ("sent", "a3"), ("queued", ""), ("sent", "a5"),
            ("sent", "a1")]  # message 5 claims message 1's id: one of them is lost
    with tempfile.TemporaryDirectory() as d:
        lp, dbp = os.path.join(d, "log"), os.path.join(d, "db")
        with open(lp, "w") as f:
            f.write(log)
        con = sqlite3.connect(dbp)
        con.execute("CREATE TABLE messages (direction TEXT, status TEXT, to_number TEXT, "
                    "provider_message_id TEXT)")
        con.executemany("INSERT INTO messages VALUES ('outbound', ?, ?, ?)",
                        [(st, f"+4474{i:08d}", pm) for i, (st, pm) in enumerate(rows)]
                        + [("sent", "+447700000000", "aaaa")])  # warm-up message
        con.commit()
        con.close()
        r = join("clickatell", read_log(lp, "clickatell", 1), read_db(dbp, "+4474"), 5)
    want = {"matched": 3, "lost": 2, "dups": 3, "requests": 6, "non2xx": 1,
            "rows": 5, "sent_rows": 4, "last_msec": "2.500", "first_msec": "2.000"}
    assert r == want, r
    tw = join("twilio", [(1.0, "b1", 201), (1.1, "b2", 201)], [("sent", "SMb1"), ("sent", "SMb2")], 2)
    assert (tw["matched"], tw["lost"], tw["dups"]) == (2, 0, 0), tw
    print("stubjoin self-test: ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--log")
    ap.add_argument("--kind", choices=sorted(PATHS))
    ap.add_argument("--accepted", type=int)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--to-prefix", default="+4474")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not (a.db and a.log and a.kind and a.accepted is not None):
        ap.error("--db, --log, --kind and --accepted are required")
    r = join(a.kind, read_log(a.log, a.kind, a.skip), read_db(a.db, a.to_prefix), a.accepted)
    print(" ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    sys.exit(main())
