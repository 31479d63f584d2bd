"""scim2-tester, a maintained SCIM 2.0 compliance checker, against the service's /scim/v2.

Starts the token service given as the first argument on a free loopback port with a throw-away
SQLite database and the demo data, and oidc-provider-mock (the second OpenID Provider the
sign-in tests run) on another: `token-server sso set` discovers the provider before it writes
anything, and a workspace takes SCIM requests only while it is connected to its provider. With
the service's command line it connects the demo workspace Acme to the mock provider, claiming
acme.test, and issues Acme a SCIM credential; then it runs every check of scim2-tester with it
(discovery, then create, read, list, attributes, PUT, DELETE and each PATCH operation on Users
and Groups), prints each result and a count per status, and fails on any error that
ALLOWED_FAILURES below does not name.

The service takes only people whose address is in a domain the workspace claims; the tester's
own addresses (uuid@uuid.com) would all be refused. So the tester is given addresses in
acme.test, by its own mechanism: a field's pydantic `examples` are the values it fills that field
with (scim2_tester/filling.py). See `with_acme_addresses`.

Bounded: 5 s per request, 30 s per start-up and per command, 5 minutes in all; only loopback; the
service and the provider are stopped however the run ends.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from copy import copy
from typing import Any

import httpx
from pydantic import create_model
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException
from scim2_models import ScimProvider
from scim2_tester import Status, check_server

# Failing checks that are the service's deliberate rules, not gaps against RFC 7643/7644: each
# entry is (resource type or "", check title, attribute path or "") -> (why, a piece of the
# failure's own words that shows it failed for that reason). A named check failing for any
# other reason, and everything else that fails, fails the run.
ALLOWED_FAILURES: dict[tuple[str, str, str], tuple[str, str]] = {
    # The address is the person's identity here: `emails` is immutable (400 `mutability`), and
    # the tester's PUT sends new addresses (it keeps only the simple immutable attributes).
    ("User", "object_replacement", ""): (
        "emails is immutable: the address is the person's identity", "does not change"),
    # A person has one address, their identity; adding another is changing an immutable
    # attribute that has a value (RFC 7644 §3.5.2): 400 `mutability`.
    ("User", "check_add_attribute", "emails"): (
        "emails is immutable: one address, the person's identity", "is not added"),
    # `active` is the membership, true or false; removed it would read as true and reactivate a
    # deactivated person, so a removal is refused (400 `invalidValue`) and `replace` is the way.
    ("User", "check_remove_attribute", "active"): (
        "active is true or false, never unassigned", "cannot be removed"),
    # `members.display` is readOnly: the service fills it with the member's userName, and the
    # tester compares the members answered with those it sent, which have none.
    ("Group", "check_add_attribute", "members"): (
        "members.display is readOnly, filled by the service", "display=None"),
    ("Group", "check_replace_attribute", "members"): (
        "members.display is readOnly, filled by the service", "display=None"),
}

# The statuses that fail the run: a MUST or MUST NOT broken, or a security risk.
FAILING = {Status.ERROR, Status.CRITICAL}

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
# How many distinct addresses the tester draws from: a run makes well under a hundred people, so
# two draws of one address (a `uniqueness` conflict the service would be right to answer) are
# negligible.
ADDRESSES = 50_000
RUN_SECONDS = 300
# How many times one request is sent while the service answers 429, and how many it answered.
RETRIES = 10
RETRIED = 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process, what, seconds=30):
    """Waits until `url` answers 200, or fails naming `what`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} stopped at start-up ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} was not ready in time")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def cli(binary, database_url, args, stdin=""):
    """The service's command line on the run's database; its `key=value` lines as a dict."""
    done = subprocess.run(
        [binary, *args, "--database-url", database_url],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        # The key file that seals the provider's client secret is found beside the SQLite
        # database, so the same --database-url reaches the server's database and key.
        env={**os.environ, "RUST_LOG": "warn"},
    )
    if done.returncode != 0:
        sys.exit(f"token-server {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


class Client(BaseSyncSCIMClient):
    """scim2-client's synchronous client over an httpx.Client.

    scim2-client's own engine (scim2_client.engines.httpx2) needs the `httpx2` package, which the
    test tools do not install; this is the same engine on `httpx`, whose API httpx2 keeps, and
    which they do install.
    """

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port) and url.raw_path.startswith(
            base.raw_path
        )

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        global RETRIED
        # The service limits each credential's requests (a burst of 200, then 50 a second) and
        # answers 429 with Retry-After past it; the tester, one request after another on
        # loopback, goes faster. As an identity provider does, wait as told and send it again.
        for _ in range(RETRIES):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.RequestError as exc:
                failure = RequestNetworkException()
                failure.add_note(str(exc))
                raise failure from exc
            if response.status_code != 429:
                break
            RETRIED += 1
            time.sleep(min(float(response.headers.get("retry-after", "1")), 5))
        return response


def with_field(model, field, examples=None, annotation=None):
    """A subclass of `model` whose `field` is the same attribute (alias, SCIM mutability, returned,
    uniqueness, ...) with these pydantic `examples`, or this type, where given."""
    info = copy(model.model_fields[field])
    if examples is not None:
        info.examples = examples
    if annotation is not None:
        info.annotation = annotation
    return create_model(model.__name__, __base__=model, **{field: (info.annotation, info)})


def with_acme_addresses(client):
    """Registers on the client the User model the service publishes, with addresses in
    acme.test as the examples of `userName` and of `emails.value`.

    The models are the ones the service's own /Schemas describe, as check_server would build
    them itself, and only these two fields differ: a User model of scim2-models would describe
    attributes the service does not keep (phoneNumbers, addresses, x509Certificates, ...) and
    judge it on those. check_server leaves the models a client describes as they are.
    """
    client.discover()
    provider = client.provider
    user = provider.model_for(USER_SCHEMA)
    addresses = [f"{uuid.uuid4()}@acme.test" for _ in range(ADDRESSES)]
    email = with_field(user.get_field_root_type("emails"), "value", examples=addresses)
    acme_user = with_field(user, "emails", annotation=list[email] | None)
    acme_user = with_field(acme_user, "user_name", examples=addresses)
    models = [acme_user if m is user else m for m in provider.models]
    client.provider = ScimProvider(models, provider.resource_types, provider.config, provider.policy)


def attribute_of(result):
    return str(result.data.get("urn", "")) if isinstance(result.data, dict) else ""


def report(results):
    failures = []
    for r in results:
        key = (r.resource_type or "", r.title or "", attribute_of(r))
        why, said = ALLOWED_FAILURES.get(key, ("", None))
        allowed = r.status in FAILING and said is not None and said in (r.reason or "")
        mark = f" (allowed: {why})" if allowed else ""
        where = " ".join(k for k in key if k)
        reason = (r.reason or "").replace("\n", " | ")
        print(f"{r.status.name:<10} {where}{mark}: {reason}")
        if r.status in FAILING and not allowed:
            failures.append(where)
    seen = {(r.resource_type or "", r.title or "", attribute_of(r)) for r in results if r.status in FAILING}
    for key in ALLOWED_FAILURES.keys() - seen:
        print(f"note: ALLOWED_FAILURES names {' '.join(k for k in key if k)}, which did not fail: drop it")
    counts = Counter(r.status.name for r in results)
    print(f"\n{len(results)} checks; requests sent again after a 429: {RETRIED}")
    print(", ".join(f"{name} {counts[name]}" for name in (s.name for s in Status) if counts[name]))
    return failures


class OutOfTime(BaseException):
    """Not an Exception: each check of scim2-tester turns any Exception into an ERROR result and
    goes on, where the run must stop."""


def out_of_time(*_):
    raise OutOfTime(f"the run took more than {RUN_SECONDS} s")


def main():
    binary = os.path.abspath(sys.argv[1])
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(RUN_SECONDS)
    data = tempfile.mkdtemp(prefix="tc-scim-")
    database_url = f"sqlite://{data}/scim.db"
    port, idp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    issuer = f"http://127.0.0.1:{idp_port}"
    log = open(os.path.join(data, "service.log"), "w")
    idp_log = open(os.path.join(data, "provider.log"), "w")
    processes = []
    failures = []
    try:
        idp = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(idp_port)],
            stdout=idp_log, stderr=subprocess.STDOUT,
        )
        processes.append(idp)
        server = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{port}", "--database-url", database_url, "--seed-demo"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        processes.append(server)
        wait_for(issuer + "/.well-known/openid-configuration", idp, "oidc-provider-mock")
        wait_for(base + "/readyz", server, "the service")

        cli(binary, database_url,
            ["sso", "set", "--workspace", "ws-acme", "--issuer", issuer, "--client-id", "token-console",
             "--client-secret-stdin", "--domain", "acme.test", "--admin-group", "token-admins"],
            stdin="mock-provider-client-secret\n")
        secret = cli(binary, database_url, ["scim-credential", "create", "--workspace", "ws-acme"])["scim_credential"]

        http = httpx.Client(
            base_url=f"{base}/scim/v2",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=5,
            trust_env=False,
        )
        with http:
            client = Client(http)
            with_acme_addresses(client)
            results = check_server(client)
        if server.poll() is not None:
            sys.exit(f"the service stopped during the run ({server.returncode}); see {data}/service.log")
        failures = report(results)
    finally:
        signal.alarm(0)
        for p in reversed(processes):
            stop(p)
        log.close()
        idp_log.close()
    if failures:
        sys.exit(f"\n{len(failures)} checks failed that ALLOWED_FAILURES does not name; the service's log is {data}/service.log")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
