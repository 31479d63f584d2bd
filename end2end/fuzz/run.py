"""Schemathesis, a maintained fuzzer, against the served OpenAPI document.

Starts the token service given as the first argument on a free loopback port with a throw-away
SQLite database and the demo data, signs in as the demo admin, and lets schemathesis generate
requests for every operation from the document: the examples, the boundaries of each schema and
random data, then sequences of calls. Every answer must be documented for its operation (status,
content type, headers, a body its schema accepts) and none may be a server error.

The checks that the service takes every request the schema allows, and refuses every one it
does not, are left out, for rules no schema states: names and reasons free of control and
invisible characters, a set-password link that was already used, integers written as `5.0`,
a client id sent as the Basic user name instead of in the form, and the session cookie sent
as a header here rather than as the cookie parameter the document names. The README lists them.

Bounded: at most 25 cases per operation, 5 s per request, 6 minutes in all; the service is
stopped however the run ends.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHECKS_LEFT_OUT = "positive_data_acceptance,negative_data_rejection"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the service stopped at start-up ({server.returncode})")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("the service was not ready in time")


def sign_in(base):
    body = json.dumps({"email": "ada@acme.test", "password": "demo-password"}).encode()
    req = urllib.request.Request(
        base + "/api/session", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        cookies = r.headers.get_all("set-cookie")
        session = next(c.split(";")[0] for c in cookies if c.startswith("tc_session="))
        return session, json.load(r)["csrf_token"]


def main():
    binary = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    data = tempfile.mkdtemp(prefix="tc-fuzz-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(data, "service.log"), "w")
    server = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite://{data}/fuzz.db",
         "--dist", os.path.join(here, "..", "..", "dist"), "--seed-demo"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(base, server)
        session, csrf = sign_in(base)
        # The demo workspace the admin runs, and a member of it, so operations get past "no such
        # workspace" and "no such member".
        config = os.path.join(data, "schemathesis.toml")
        with open(config, "w") as f:
            f.write('[parameters]\n"path.ws" = "ws-acme"\n"path.user" = "u-ben"\n')
        run = subprocess.run(
            [schemathesis, "--config-file", config, "run", base + "/api/openapi.json",
             "-H", f"Cookie: {session}", "-H", f"x-csrf-token: {csrf}",
             "--checks", "all", "--exclude-checks", CHECKS_LEFT_OUT,
             # Signing out would end the run's own session.
             "--exclude-path", "/api/session", "--exclude-path", "/api/sessions",
             "--max-examples", "25", "--request-timeout", "5", "--seed", "1",
             "--no-color"],
            # Its cache and reports stay in the throw-away folder, not the checkout.
            cwd=data,
            timeout=360,
        )
        if server.poll() is not None:
            sys.exit(f"the service stopped during the run ({server.returncode}); see {data}/service.log")
        if run.returncode != 0:
            sys.exit(f"schemathesis found answers the document does not describe; the service's log is {data}/service.log")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
