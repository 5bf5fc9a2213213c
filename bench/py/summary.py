#!/usr/bin/python3
"""The summary table of one `make bench` run, from its key=value result lines.

usage: summary.py RESULTS_FILE BENCH_ID

Medians over the runs of each figure; ratios are smsgate median / Kannel median of the
same run (same N, same stub, runs alternated). Targets are those of issue 6."""
import statistics
import sys

FLAT_MB, FLAT_FRAC = 3.0, 0.10  # "flat": the larger run's peak within max(3 MB, 10 %)


def load(path, bench_id):
    rows = []
    with open(path) as f:
        for line in f:
            kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
            if kv.get("bench") == bench_id:
                rows.append(kv)
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def values(rows, key, **match):
    out = [num(r.get(key)) for r in rows if all(r.get(k) == v for k, v in match.items())]
    return [v for v in out if v is not None]


def med(vs):
    return statistics.median(vs) if vs else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"


def main():
    path, bench_id = sys.argv[1:3]
    rows = load(path, bench_id)
    table = []  # scenario, figure, median, kannel, ratio, target, met

    def row(scenario, figure, v, k=None, target="", met=None, digits=0, ratio=None):
        table.append((scenario, figure, fmt(v, digits), fmt(k, digits) if k is not None else "",
                      f"{ratio:.2f}" if ratio is not None else "", target,
                      "" if met is None else ("yes" if met else "NO")))

    def vs_kannel(scenario, figure, key, kind, target_ratio):
        v = med(values(rows, key, scenario="pair", impl="smsgate", kind=kind))
        k = med(values(rows, key, scenario="pair", impl="kannel"))
        if v is None:
            return
        ratio = v / k if v is not None and k else None
        row(scenario, f"{figure} [{kind}]", v, k, f">= {target_ratio}x Kannel",
            ratio >= target_ratio if ratio is not None else None, ratio=ratio)

    kinds = sorted({r["kind"] for r in rows if r.get("scenario") == "pair" and r.get("impl") == "smsgate"})
    runs = {r.get("run") for r in rows if r.get("scenario") == "pair" and r.get("impl") == "smsgate"}
    for kind in kinds:
        vs_kannel("submit", "accepted msg/s", "submit_rate", kind, 3)
    for kind in kinds:
        p50 = med(values(rows, "p50_ms", scenario="pair", impl="smsgate", kind=kind))
        p99 = med(values(rows, "p99_ms", scenario="pair", impl="smsgate", kind=kind))
        kp99 = med(values(rows, "p99_ms", scenario="pair", impl="kannel"))
        if p99 is not None:
            row("submit", f"p50 ms [{kind}]", p50, med(values(rows, "p50_ms", scenario="pair", impl="kannel")), digits=1)
            row("submit", f"p99 ms [{kind}]", p99, kp99, "<= 10 ms", p99 <= 10, digits=1)
    for kind in kinds:
        vs_kannel("dispatch", "msg/s", "dispatch_rate", kind, 3)
    for kind in kinds:
        lost = values(rows, "lost", scenario="pair", impl="smsgate", kind=kind)
        dups = values(rows, "dups", scenario="pair", impl="smsgate", kind=kind)
        klost = values(rows, "lost", scenario="pair", impl="kannel")
        if lost:
            row("dispatch", f"lost, all runs [{kind}]", sum(lost), sum(klost) if klost else None, "0", sum(lost) == 0)
            row("dispatch", f"duplicated, all runs [{kind}]", sum(dups),
                sum(values(rows, "dups", scenario="pair", impl="kannel")) if klost else None, "0", sum(dups) == 0)
    for kind in kinds:
        v = med(values(rows, "rss_mb", scenario="pair", impl="smsgate", kind=kind))
        k = med(values(rows, "rss_mb", scenario="pair", impl="kannel"))
        n = int(next((r["n"] for r in rows if r.get("scenario") == "pair"), 0))
        row("rss", f"peak RSS MB, N={n:,} [{kind}]", v, k, "<= 30 MB" if n == 20000 else "",
            (v <= 30) if v is not None and n == 20000 else None, digits=1)

    busy = med(values(rows, "sys_busy", scenario="pair", impl="smsgate"))
    if busy is not None:
        row("machine", "% busy during the pair runs (both cores)", busy,
            med(values(rows, "sys_busy", scenario="pair", impl="kannel")))
        row("machine", "smsgate CPU, % of one core", med(values(rows, "cpu_gw", scenario="pair", impl="smsgate")))

    # The Twilio-compatible create (issue 15) beside POST /v1/messages of the same
    # rounds, same stub path (twilio), same N and connections.
    if any(r.get("scenario") == "compat" for r in rows):
        m = dict(impl="smsgate", kind="twilio")
        base = med(values(rows, "submit_rate", scenario="pair", mode="single", **m))
        for figure, key, digits in (("accepted msg/s", "submit_rate", 0), ("p99 ms", "p99_ms", 1),
                                    ("dispatch msg/s", "dispatch_rate", 0),
                                    ("smsgate CPU, % of one core", "cpu_gw", 0)):
            v = med(values(rows, key, scenario="compat", **m))
            b = med(values(rows, key, scenario="pair", mode="single", **m))
            if key == "submit_rate":
                ratio = v / base if v is not None and base else None
                table.append(("compat", f"Twilio-compatible create, {figure} (beside: /v1/messages)",
                              fmt(v), fmt(b), f"{ratio:.2f}" if ratio is not None else "",
                              ">= 0.90x /v1/messages",
                              "" if ratio is None else ("yes" if ratio >= 0.9 else "NO")))
            else:
                row("compat", f"Twilio-compatible create, {figure} (beside: /v1/messages)", v, b,
                    digits=digits)
        # CPU per message: less noisy than msg/s when other work shares the machine
        # (smsgate's CPU over the run's window, which is about dispatch_s long).
        def us_per_msg(match):
            out = []
            for r in rows:
                if all(r.get(k) == v for k, v in match.items()):
                    cpu, secs, n = num(r.get("cpu_gw")), num(r.get("dispatch_s")), num(r.get("accepted"))
                    if cpu is not None and secs and n:
                        out.append(cpu / 100 * secs * 1e6 / n)
            return med(out)
        v = us_per_msg(dict(scenario="compat", **m))
        b = us_per_msg(dict(scenario="pair", mode="single", **m))
        table.append(("compat", "Twilio-compatible create, smsgate CPU us per message (beside: /v1/messages)",
                      fmt(v), fmt(b), f"{v / b:.2f}" if v is not None and b else "", "", ""))
        lost = values(rows, "lost", scenario="compat", **m)
        dups = values(rows, "dups", scenario="compat", **m)
        row("compat", "Twilio-compatible create, lost / duplicated", f"{sum(lost):.0f} / {sum(dups):.0f}",
            target="0 / 0", met=sum(lost) + sum(dups) == 0)

    for kind in sorted({r["kind"] for r in rows if r.get("scenario") == "batch"}):
        m = dict(scenario="batch", kind=kind)
        row("batch", f"accepted msg/s [{kind}]", med(values(rows, "submit_rate", **m)))
        row("batch", f"dispatch msg/s [{kind}]", med(values(rows, "dispatch_rate", **m)))
        lost, dups = values(rows, "lost", **m), values(rows, "dups", **m)
        row("batch", f"lost / duplicated [{kind}]", f"{sum(lost):.0f} / {sum(dups):.0f}",
            target="0 / 0", met=sum(lost) + sum(dups) == 0)
        row("batch", f"peak RSS MB [{kind}]", med(values(rows, "rss_mb", **m)), digits=1)

    d = [r for r in rows if r.get("scenario") == "dlr"]
    if d:
        rate = med(values(rows, "callback_rate", scenario="dlr"))
        row("dlr", "callbacks/s (2xx)", rate, target=">= 20,000/s", met=rate is not None and rate >= 20000)
        n, dl = num(d[-1].get("n")), num(d[-1].get("delivered"))
        row("dlr", "messages delivered", dl, target=f"= {fmt(n)}", met=dl == n)
        row("dlr", "peak RSS MB", med(values(rows, "rss_mb", scenario="dlr")), digits=1)

    rss = sorted((int(r["n"]), num(r.get("rss_mb"))) for r in rows if r.get("scenario") == "rss")
    for n, v in rss:
        row("rss", f"peak RSS MB, N={n:,} [twilio]", v, target="<= 30 MB" if n == 20000 else "",
            met=(v <= 30) if n == 20000 and v is not None else None, digits=1)
    if len(rss) >= 2 and rss[0][1] and rss[-1][1]:
        (n0, v0), (n1, v1) = rss[0], rss[-1]
        growth = v1 - v0
        row("rss", f"growth N={n0:,} -> {n1:,} (MB)", growth,
            target=f"flat (<= {FLAT_MB:.0f} MB or {FLAT_FRAC:.0%})",
            met=growth <= max(FLAT_MB, FLAT_FRAC * v0), digits=1)

    for r in (r for r in rows if r.get("scenario") == "broadcast"):
        n = int(r["n"])
        row("broadcast", f"import {n:,} contacts, s", num(r.get("import_s")), digits=1)
        q = num(r.get("queue_s"))
        row("broadcast", f"queued {n:,} recipients, s", q, target="<= 60 s" if n >= 1000000 else "",
            met=(q is not None and q <= 60) if n >= 1000000 else None, digits=1)
        row("broadcast", f"peak RSS MB, {n:,} contacts", num(r.get("rss_mb")), digits=1)

    head = ("scenario", "figure", "smsgate (median)", "Kannel / beside (median)", "ratio", "target", "met")
    widths = [max(len(str(x[i])) for x in [head] + table) for i in range(len(head))]
    line = lambda cells: "  ".join(str(c).ljust(w) if i < 2 or i == 5 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(f"==== make bench summary ({bench_id}; {len(runs)} smsgate/Kannel rounds)")
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print(line(t))
    if not table:
        print("(no results)")
    print("ratio = smsgate median / Kannel median over the alternated rounds (Kannel: sendsms ->"
          " Clickatell-shaped stub path, no message store); every smsgate 202 is durable.")
    if any(t[0] == "compat" for t in table):
        print("compat: the Twilio-compatible create's median beside POST /v1/messages' median [twilio]"
              " of the same rounds (runs alternated); ratio = compatible / /v1/messages.")


if __name__ == "__main__":
    main()
