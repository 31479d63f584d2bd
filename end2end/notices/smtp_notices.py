"""A real SMTP server (aiosmtpd) receives the service's notices, in English and in Chinese.

Starts aiosmtpd on a free loopback port, and the token service given as the first argument on
another with a throw-away SQLite database, `--smtp-url smtp://127.0.0.1:PORT` and its notices'
round every second. With the service's command line it makes a workspace, an admin and two
members; one member signs in with an English browser (`Accept-Language: en-US`), the other with
a Chinese one (`zh-CN`); each makes a 7-day token, and the admin disables a token of the Chinese
member with a reason. Then it reads what aiosmtpd received as a mail client would (Python's
`email` package): each owner's 7-day notice in their language, the disable notice in Chinese
naming the admin and the reason, each sent once, a link to the owner's tokens page in each, and
no refresh token or access token in any. Exits non-zero on the first thing that is not so.

Bounded: 10 s per request, 30 s per start-up and per command, 20 s for the messages; only
loopback; the service and aiosmtpd are stopped however the run ends.

Usage: smtp_notices.py path/to/token-server
"""

import email
import email.policy
import os
import subprocess
import sys
import tempfile
import threading
import time

import httpx
from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scim"))
from check import cli, free_port, stop, wait_for  # noqa: E402

PASSWORD = "initech-password-1"


def check(ok, what):
    if not ok:
        sys.exit(f"notices: {what}")
    print(f"ok: {what}")


class Inbox:
    """aiosmtpd's handler: keeps every message it is given, with its recipients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def read(self):
        """Every message so far: (recipients, raw bytes, parsed)."""
        with self.lock:
            taken = list(self.messages)
        return [(to, raw, email.message_from_bytes(raw, policy=email.policy.default)) for to, raw in taken]


def sign_in(base, who, languages):
    browser = httpx.Client(base_url=base, trust_env=False, timeout=10, headers={"accept-language": languages})
    signed_in = browser.post("/api/session", json={"email": who, "password": PASSWORD})
    check(signed_in.status_code == 200, f"{who} signs in speaking {languages} ({signed_in.status_code})")
    browser.headers["x-csrf-token"] = signed_in.json()["csrf_token"]
    return browser


def make_token(browser, workspace, name, days):
    made = browser.post(
        f"/api/workspaces/{workspace}/tokens",
        json={"name": name, "lifetime_days": days, "all_permissions": True},
    )
    check(made.status_code == 201, f"the token “{name}” is made ({made.status_code})")
    return made.json()


def main():
    binary = sys.argv[1]
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port, ready_timeout=10)
    smtp.start()
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database_url = f"sqlite://{tmp}/notices.db"
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [binary, "--listen", f"127.0.0.1:{port}", "--database-url", database_url,
                 "--smtp-from", "Token Console <tokens@initech.test>", "--notices-every-seconds", "1"],
                env={**os.environ, "RUST_LOG": "warn", "PUBLIC_URL": base,
                     "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"},
            )
            wait_for(f"{base}/healthz", server, "token-server")
            workspace = cli(binary, database_url, ["workspace", "create", "Initech"])["id"]
            for who, role in [("bill@initech.test", "admin"), ("sam@initech.test", "member"),
                              ("mei@initech.test", "member")]:
                cli(binary, database_url,
                    ["user", "add", who, "--workspace", workspace, "--role", role, "--password-stdin"],
                    f"{PASSWORD}\n")

            sam = sign_in(base, "sam@initech.test", "en-US,en;q=0.9")
            mei = sign_in(base, "mei@initech.test", "zh-CN,zh;q=0.9,en;q=0.8")
            bill = sign_in(base, "bill@initech.test", "en")
            made = [
                make_token(sam, workspace, "sam's deploy", 7),
                make_token(mei, workspace, "梅的脚本", 7),
                make_token(mei, workspace, "mei leaked", 30),
            ]
            leaked = made[2]["token"]["id"]
            disabled = bill.post(f"/api/workspaces/{workspace}/admin/tokens/{leaked}/disable",
                                 json={"reason": "found in a pastebin"})
            check(disabled.status_code == 200, f"the admin disables “mei leaked” ({disabled.status_code})")

            deadline = time.monotonic() + 20
            while len(inbox.read()) < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            # A few more rounds: nothing is sent twice.
            time.sleep(3)
            messages = inbox.read()
            subjects = [str(m["subject"]) for _, _, m in messages]
            print("received:", *subjects, sep="\n  ")
            check(len(messages) == 3, f"three notices, each once ({len(messages)})")

            def one(subject):
                found = [(to, raw, m) for to, raw, m in messages if str(m["subject"]) == subject]
                check(len(found) == 1, f"one message “{subject}”")
                return found[0]

            page = f"{base}/w/{workspace}/tokens"
            to, _, english = one("Your token “sam's deploy” in Initech expires in 7 days")
            text = english.get_content()
            check(to == ["sam@initech.test"], f"to its owner ({to})")
            check(text.startswith("Hello sam,") and "expires on" in text and page in text,
                  "the English notice greets its owner, says when, and links to the tokens page")
            check(english["content-language"] == "en" and english["auto-submitted"] == "auto-generated",
                  "marked English and automatic")

            to, _, chinese = one("您在 Initech 的令牌“梅的脚本”将在 7 天后到期")
            text = chinese.get_content()
            check(to == ["mei@initech.test"], f"to its owner ({to})")
            check(text.startswith("mei，您好") and "（UTC）到期" in text and page in text,
                  "the Chinese notice greets its owner, says when, and links to the tokens page")
            check(chinese["content-language"] == "zh-CN", "marked Chinese")

            _, _, disable = one("您在 Initech 的令牌“mei leaked”已被停用")
            text = disable.get_content()
            check("被 bill（bill@initech.test）停用" in text and "原因：found in a pastebin" in text,
                  "the Chinese disable notice names the admin and the reason")

            secrets = [t[k] for t in made for k in ("refresh_token", "access_token")]
            for _, raw, parsed in messages:
                whole = raw.decode("utf-8", "replace") + parsed.get_content()
                check(not any(s in whole for s in secrets) and "tcr_" not in whole,
                      f"no token in “{parsed['subject']}”")
    finally:
        if server is not None:
            stop(server)
        smtp.stop()
    print("notices: a real SMTP server received each notice once, in its owner's language")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"notices: {time.monotonic() - started:.1f} s")
