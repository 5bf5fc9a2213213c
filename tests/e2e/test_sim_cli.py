"""The simulators' command lines (util/options.c, the CLI's table-driven parser):
every flag they had is still taken, an unknown one is refused with exit 2 and one
line on stderr, and --help answers on stdout with exit 0."""
import pytest

from conftest import run_cli

# The flags of each simulator before their parsing moved onto the table parser.
FLAGS = {
    ("twilio",): ["listen", "account-sid", "auth-token", "api-key-sid", "api-key-secret",
                  "latency-ms", "rate-429", "rate-5xx", "seed", "log-level", "callbacks",
                  "sent-delay-ms", "delivered-delay-ms", "undelivered", "failed-numbers",
                  "undelivered-rate", "duplicate-callbacks", "reorder-callbacks", "numbers"],
    ("clickatell",): ["listen", "username", "password", "api-id", "api-key", "integration-name",
                      "latency-ms", "rate-5xx", "seed", "log-level", "callback-url", "reply-url",
                      "platform-callback-url", "platform-reply-url", "callback-method",
                      "callbacks", "sent-delay-ms", "delivered-delay-ms", "undelivered",
                      "duplicate-callbacks", "reorder-callbacks"],
    ("inject",): ["kind", "to-url", "from", "to", "body", "auth-token", "account-sid",
                  "signature", "unsigned"],
    ("inject", "--kind", "clickatell"): ["to-url", "from", "to", "body", "text", "api", "method",
                                         "charset", "api-id", "integration-name", "message-id",
                                         "timestamp", "udh", "network", "keyword"],
}


@pytest.mark.parametrize("kind", list(FLAGS), ids=lambda k: " ".join(k))
def test_simulator_refuses_an_unknown_flag(kind):
    cp = run_cli("simulate", *kind, "--bogus", "1")
    assert cp.returncode == 2, (cp.stdout, cp.stderr)
    assert cp.stdout == ""
    lines = cp.stderr.splitlines()
    assert len(lines) == 1, cp.stderr
    assert lines[0] == f"smsgate simulate {kind[0]}: unknown option '--bogus' (try --help)"


@pytest.mark.parametrize("kind", list(FLAGS), ids=lambda k: " ".join(k))
def test_simulator_help(kind):
    cp = run_cli("simulate", *kind, "--help")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith(f"usage: smsgate simulate {kind[0]}"), cp.stdout
    assert "-h, --help" in cp.stdout
    for flag in FLAGS[kind]:
        if flag not in ("kind", "text"):  # --text is --body's other name; --kind picks the help
            assert f"--{flag}" in cp.stdout, flag


@pytest.mark.parametrize("kind", list(FLAGS), ids=lambda k: " ".join(k))
def test_simulator_takes_every_flag_it_had(kind):
    """Each flag, given a value, is read; the parse then stops at the unknown flag
    after it (so nothing starts and no request is sent)."""
    for flag in FLAGS[kind]:
        value = "twilio" if flag == "kind" else "x"  # --kind picks the table first
        cp = run_cli("simulate", *kind, f"--{flag}", value, "--bogus")
        assert cp.returncode == 2, (flag, cp.stderr)
        assert "unknown option '--bogus'" in cp.stderr, (flag, cp.stderr)


def test_simulator_usage_errors_are_one_line():
    for args, want in [
        (("twilio", "--latency-ms"), "smsgate simulate twilio: --latency-ms needs a value"),
        (("twilio", "--latency-ms", "-1"),
         "smsgate simulate twilio: --latency-ms must be a whole number 0..600000"),
        (("twilio", "extra"), "smsgate simulate twilio: unexpected argument 'extra'"),
        (("clickatell", "--callback-url", "ftp://x"),
         "smsgate simulate clickatell: --callback-url must be an http:// or https:// URL"),
        (("inject", "--kind", "sms"), "smsgate simulate inject: --kind must be twilio or "
                                      "clickatell"),
        (("inject", "--to-url", "http://127.0.0.1:1/"),
         "smsgate simulate inject: --to-url, --from, --to and --body are required"),
    ]:
        cp = run_cli("simulate", *args)
        assert cp.returncode == 2, (args, cp.stderr)
        lines = cp.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(want), (args, cp.stderr)
