"""Route choice with the circuit breakers and the price lists (docs/routing.md):
a provider whose breaker is open is skipped when a message's route is chosen, and
`cheapest` follows the providers' prices for the destination's country."""
from conftest import create_key, wait_for

MOBILE_GB = "+447400123456"
MOBILE_KE = "+254712345678"

BREAKER = ("--breaker-failures", "3", "--breaker-error-rate", "0",
           "--breaker-cooldown-ms", "600000", "--retry-base-ms", "20", "--retry-cap-ms", "100")


def _two(harness, primary_args=(), serve_args=(), strategy="priority"):
    a = harness.start_sim(*primary_args)
    b = harness.start_sim()
    srv = harness.start_server(*serve_args)
    srv.key = create_key(srv.db, "admin")
    srv.add_provider(a.url, name="primary", default=False)
    srv.add_provider(b.url, name="backup", default=True)
    r = srv.post("/v1/routes", json={"name": "r", "providers": ["primary", "backup"],
                                     "strategy": strategy})
    assert r.status_code == 201, r.text
    return srv, a, b


def _prices(srv, provider, csv):
    r = srv.request("PUT", f"/v1/providers/{provider}/prices", data=csv.encode(),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text


def test_an_open_breaker_is_skipped_when_the_route_is_chosen(harness):
    srv, a, b = _two(harness, primary_args=("--rate-5xx", "1"), serve_args=BREAKER)
    first = [srv.send(f"+4474001237{i:02d}", f"before {i}")["id"] for i in range(4)]
    wait_for(lambda: srv.get("/v1/providers/primary/health").json()["state"] == "open",
             timeout=15, what="the primary's breaker to open")
    srv.wait_final(first, timeout=20)
    later = srv.send(MOBILE_GB, "after the breaker opened")
    # Chosen at acceptance: the backup, straight away, without a try at the primary.
    assert later["provider"] == "backup", later
    m = srv.wait_final([later["id"]], timeout=20)[later["id"]]
    assert m["status"] == "sent" and m["providers_tried"] == [], m
    assert (m["events"][0]["detail"] or "").startswith("route r (priority): backup"), m["events"]


def test_cheapest_follows_the_price_lists(harness):
    srv, a, b = _two(harness, strategy="cheapest")
    _prices(srv, "primary", "GB,0.050,GBP\nKE,0.010,GBP\n")
    _prices(srv, "backup", "GB,0.030,GBP\nKE,0.020,GBP\n")
    gb = srv.send(MOBILE_GB, "to the UK")
    ke = srv.send(MOBILE_KE, "to Kenya")
    assert gb["provider"] == "backup" and ke["provider"] == "primary", (gb, ke)
    # A new list takes effect for the next message (the snapshot reloads).
    _prices(srv, "primary", "GB,0.010,GBP\n")
    gb2 = srv.send("+447400123457", "to the UK again")
    assert gb2["provider"] == "primary", gb2
    done = srv.wait_final([gb["id"], ke["id"], gb2["id"]], timeout=20)
    assert {m["status"] for m in done.values()} == {"sent"}, done
