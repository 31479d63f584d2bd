"""The provisioning flows as Okta pushes them, through scim2-client, against the service's /scim/v2.

Usage: flows.py TOKEN_SERVER_BINARY [--postgres-url postgres://USER@HOST:PORT/DB]

For each database (a throw-away SQLite file always; with --postgres-url, also a fresh PostgreSQL
database made in that server under a unique name and dropped at the end: the service does not
create a PostgreSQL database by itself, see crates/token-server/src/db.rs), it starts the service
with the demo data and oidc-provider-mock, connects the demo workspace Acme (acme.test, admin
group `token-admins`) and issues a SCIM credential, as check.py does, then plays:

1. create: Okta's lookup before it creates (`userName eq "dee@acme.test"`, nobody), then Dee
   created (201, active).
2. join: the same for the demo member Cy, whose record joins her existing account (u-cy); Cy
   signs in with her password and generates three tokens.
3. deactivate: Okta's PATCH `replace {"active": false}`: every refresh token of Cy's gets
   `invalid_grant`, and her session no longer reaches the workspace (404).
4. reactivate: `replace {"active": true}`: Cy signs in again and reaches the workspace, and her
   three tokens stay disabled (`disabled_cause` "deprovisioned") and refused.
5. groups: the group `token-admins` pushed empty, Cy added (an admin, as Ada sees on the members
   page), then removed (a member again).
6. audit: Cy's removal and her two role changes are in the audit trail, by the provider.
7. delete: Cy deleted (204), then not found (404).

One line per step and database ("sqlite: deactivate: ok"); a failed check says what was expected
and what came, and the run goes on with the next database, then exits non-zero.

Bounded: 5 s per request, 30 s per start-up and per command, 3 minutes per database; only
loopback; the service, the provider, the temporary files and the PostgreSQL database are removed
however the run ends (a failed run keeps its temporary directory, with the service's log).
"""

import argparse
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (the service's start-up, its command line and the SCIM client)

from scim2_models import PatchOp, PatchOperation, SearchRequest  # noqa: E402

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WORKSPACE = "ws-acme"
CLIENT_ID = "tcc_acme"
PASSWORD = "demo-password"
CY, CY_ID, ADA = "cy@acme.test", "u-cy", "ada@acme.test"
DEE = "dee@acme.test"
ADMIN_GROUP = "token-admins"
REQUEST_SECONDS = 5
DATABASE_SECONDS = 180
COMMAND_SECONDS = 30
PSQL_FALLBACK = "/usr/lib/postgresql/15/bin/psql"


class Failed(Exception):
    """A check that did not hold: its message says what was expected and what came."""


class OutOfTime(BaseException):
    """Not an Exception, so that nothing on the way catches it."""


def out_of_time(*_):
    raise OutOfTime(f"the database's run took more than {DATABASE_SECONDS} s")


def describe(response: httpx.Response | None) -> str:
    if response is None:
        return "no answer"
    body = response.text
    if len(body) > 600:
        body = body[:600] + "…"
    return f"{response.request.method} {response.request.url.path} → {response.status_code} {body}"


def expect(holds: bool, what: str, expected: Any, got: Any) -> None:
    if not holds:
        raise Failed(f"{what}: expected {expected}; got {got}")


# ---------------------------------------------------------------------------------------------
# The SCIM client: check.py's, which remembers the last answer so each call's status is checked.


class RecordingClient(check.Client):
    last: httpx.Response | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.last = None
        response = super().request(method, url, **kwargs)
        self.last = response
        return response


def scim(client: RecordingClient, what: str, status: int, call, *args, **kwargs):
    """One scim2-client call, which must be answered `status`; its result."""
    client.last = None
    try:
        result = call(*args, raise_scim_errors=False, **kwargs)
    except Exception as exc:  # scim2-client's own refusal of the answer, or the network
        raise Failed(
            f"{what}: expected HTTP {status}; scim2-client raised {type(exc).__name__}: {exc}"
            f" (the answer: {describe(client.last)})"
        ) from exc
    got = client.last.status_code if client.last is not None else None
    expect(got == status, what, f"HTTP {status}", describe(client.last))
    return result


# ---------------------------------------------------------------------------------------------
# The management API and the token endpoint, as a person and a client use them.


def plain_client(base: str) -> httpx.Client:
    """An httpx client that keeps no cookie: each session's cookie is sent by hand."""
    http = httpx.Client(base_url=base, timeout=REQUEST_SECONDS, trust_env=False, follow_redirects=False)
    http.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return http


class Session:
    """A person signed in with their password: the `tc_session` cookie and the CSRF token."""

    def __init__(self, http: httpx.Client, email: str):
        self.http, self.email = http, email
        r = http.post("/api/session", json={"email": email, "password": PASSWORD})
        expect(r.status_code == 200, f"sign-in of {email} (POST /api/session)", "HTTP 200", describe(r))
        cookie = r.cookies.get("tc_session")
        expect(bool(cookie), f"sign-in of {email}", "a tc_session cookie", r.headers.get_list("set-cookie"))
        csrf = r.json().get("csrf_token")
        expect(bool(csrf), f"sign-in of {email}", "csrf_token in the body", r.text[:300])
        self.headers = {"Cookie": f"tc_session={cookie}", "x-csrf-token": csrf}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.http.post(path, headers=self.headers, **kwargs)

    def tokens(self, what: str) -> dict[str, dict]:
        r = self.get(f"/api/workspaces/{WORKSPACE}/tokens")
        expect(r.status_code == 200, f"{what} (GET /api/workspaces/{WORKSPACE}/tokens as {self.email})", "HTTP 200", describe(r))
        return {t["id"]: t for t in r.json()["tokens"]}


def admins(ada: Session, what: str) -> dict:
    r = ada.get(f"/api/workspaces/{WORKSPACE}/admin/members")
    expect(r.status_code == 200, f"{what} (GET /api/workspaces/{WORKSPACE}/admin/members as Ada)", "HTTP 200", describe(r))
    return r.json()


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    return http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": refresh_token},
    )


def expect_invalid_grant(http: httpx.Client, tokens: list[dict], what: str) -> None:
    for t in tokens:
        r = refresh(http, t["refresh_token"])
        error = r.json().get("error") if r.headers.get("content-type", "").startswith("application/json") else None
        expect(
            r.status_code == 400 and error == "invalid_grant",
            f"{what}: the refresh token of {t['token']['name']!r} at POST /oauth2/token",
            "HTTP 400 with error invalid_grant",
            describe(r),
        )


# ---------------------------------------------------------------------------------------------
# The flows


def okta_lookup(client: RecordingClient, user_model, address: str, what: str) -> None:
    """Okta's question before it creates someone: is this userName here already?"""
    found = scim(
        client, f"{what}: GET /Users?filter=userName eq \"{address}\"", 200, client.query, user_model,
        query_parameters=SearchRequest(filter=f'userName eq "{address}"', start_index=1, count=100),
    )
    expect(found.total_results == 0, f"{what}: the lookup of {address}", "totalResults 0", found.total_results)


def okta_user(address: str, given: str, family: str, external_id: str) -> dict:
    """A user as Okta's *Create Users* pushes one."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": address,
        "name": {"givenName": given, "familyName": family},
        "displayName": f"{given} {family}",
        "emails": [{"value": address, "type": "work", "primary": True}],
        "externalId": external_id,
        "active": True,
    }


def set_active(client: RecordingClient, user_model, scim_id: str, active: bool, what: str):
    patch = PatchOp[user_model](operations=[PatchOperation(op="replace", value={"active": active})])
    patched = scim(client, f"{what}: PATCH /Users/{scim_id} replace active {str(active).lower()}", 200,
                   client.modify, user_model, scim_id, patch)
    expect(patched is not None and patched.active is active, f"{what}: the patched person's active", active,
           getattr(patched, "active", patched))
    again = scim(client, f"{what}: GET /Users/{scim_id}", 200, client.query, user_model, scim_id)
    expect(again.active is active, f"{what}: active as read again", active, again.active)


def flows(step, client: RecordingClient, base: str) -> None:
    client.discover()
    user_model = client.provider.model_for(USER_SCHEMA)
    group_model = client.provider.model_for(GROUP_SCHEMA)
    http = plain_client(base)
    with http:
        # 1. Okta's lookup, then the creation of someone new.
        okta_lookup(client, user_model, DEE, "create")
        dee = scim(client, "create: POST /Users (Dee)", 201, client.create, user_model,
                   okta_user(DEE, "Dee", "Okafor", "00u-dee"))
        expect(dee.active is True, "create: Dee's active", True, dee.active)
        expect(dee.user_name == DEE, "create: Dee's userName", DEE, dee.user_name)
        expect(dee.external_id == "00u-dee", "create: Dee's externalId", "00u-dee", dee.external_id)
        step("create")

        # 2. Cy, an existing member: her record joins her account; she makes three tokens.
        okta_lookup(client, user_model, CY, "join")
        cy = scim(client, "join: POST /Users (Cy)", 201, client.create, user_model,
                  okta_user(CY, "Cy", "Tanaka", "00u-cy"))
        expect(cy.active is True, "join: Cy's active", True, cy.active)
        ada = Session(http, ADA)
        provisioned = (admins(ada, "join").get("scim") or {}).get("provisioned", [])
        expect(CY_ID in provisioned, "join: the members page's provisioned accounts (Cy's record joined her account)",
               f"{CY_ID} among them", provisioned)
        cy_session = Session(http, CY)
        made = []
        for n in range(1, 4):
            name = f"okta-flows-{n}"
            r = cy_session.post(f"/api/workspaces/{WORKSPACE}/tokens", json={"name": name, "lifetime_days": 30, "all_permissions": True})
            expect(r.status_code == 201, f"join: POST /api/workspaces/{WORKSPACE}/tokens ({name}) as Cy", "HTTP 201", describe(r))
            body = r.json()
            expect(bool(body.get("refresh_token")) and bool(body.get("access_token")), f"join: token {name}",
                   "refresh_token and access_token", sorted(body))
            made.append(body)
        listed = cy_session.tokens("join")
        for t in made:
            mine = listed.get(t["token"]["id"])
            expect(mine is not None and mine["status"] == "active" and mine.get("disabled_at") is None,
                   f"join: token {t['token']['name']} as listed", "active, not disabled", mine)
        step("join")

        # 3. Okta deactivates Cy.
        set_active(client, user_model, cy.id, False, "deactivate")
        expect_invalid_grant(http, made, "deactivate")
        r = cy_session.get(f"/api/workspaces/{WORKSPACE}/tokens")
        expect(r.status_code == 404, f"deactivate: Cy's session at GET /api/workspaces/{WORKSPACE}/tokens",
               "HTTP 404", describe(r))
        step("deactivate")

        # 4. Okta activates Cy again: her membership comes back, her tokens do not.
        set_active(client, user_model, cy.id, True, "reactivate")
        cy_session = Session(http, CY)
        listed = cy_session.tokens("reactivate")
        for t in made:
            mine = listed.get(t["token"]["id"])
            expect(mine is not None, f"reactivate: token {t['token']['name']} listed", "listed", sorted(listed))
            expect(mine.get("disabled_at") is not None and mine.get("disabled_cause") == "deprovisioned",
                   f"reactivate: token {t['token']['name']}", "disabled_at set, disabled_cause deprovisioned",
                   {k: mine.get(k) for k in ("status", "disabled_at", "disabled_cause")})
        expect_invalid_grant(http, made, "reactivate")
        step("reactivate")

        # 5. The admin group: pushed empty, Cy added, Cy removed.
        expect(CY_ID not in admins(ada, "groups")["admins"], "groups: Cy before the admin group", "not an admin",
               "an admin")
        group = scim(client, f"groups: POST /Groups ({ADMIN_GROUP})", 201, client.create, group_model,
                     {"schemas": [GROUP_SCHEMA], "displayName": ADMIN_GROUP, "members": []})
        expect(not group.members, "groups: the new group's members", "none", group.members)
        add = PatchOp[group_model](operations=[PatchOperation(op="add", path="members", value=[{"value": cy.id}])])
        patched = scim(client, f"groups: PATCH /Groups/{group.id} add member Cy", 200, client.modify, group_model,
                       group.id, add)
        members = [m.value for m in (patched.members or [])]
        expect(members == [cy.id], "groups: the group's members after the add", [cy.id], members)
        now = admins(ada, "groups")["admins"]
        expect(CY_ID in now, "groups: the workspace's admins once Cy is in the admin group", f"{CY_ID} among them", now)
        remove = PatchOp[group_model](operations=[PatchOperation(op="remove", path=f'members[value eq "{cy.id}"]')])
        patched = scim(client, f"groups: PATCH /Groups/{group.id} remove member Cy", 200, client.modify, group_model,
                       group.id, remove)
        members = [m.value for m in (patched.members or [])]
        expect(members == [], "groups: the group's members after the removal", [], members)
        now = admins(ada, "groups")["admins"]
        expect(CY_ID not in now, "groups: the workspace's admins once Cy left the admin group", f"{CY_ID} not among them", now)
        step("groups")

        # 6. What the audit trail says the provider did.
        def events(action: str) -> list[dict]:
            r = ada.get(f"/api/workspaces/{WORKSPACE}/admin/audit", params={"action": action})
            expect(r.status_code == 200, f"audit: GET /api/workspaces/{WORKSPACE}/admin/audit?action={action} as Ada",
                   "HTTP 200", describe(r))
            return r.json()["events"]

        def brief(events: list[dict]) -> list[dict]:
            return [{"owner": (e.get("owner") or {}).get("email"), "by_provider": e.get("by_provider", False),
                     "reason": e.get("reason")} for e in events]

        removed = events("member_removed")
        by_provider = [e for e in removed if (e.get("owner") or {}).get("email") == CY and e.get("by_provider")]
        expect(len(by_provider) >= 1, "audit: member_removed events of cy@acme.test by the provider",
               "at least one", brief(removed))
        changed = events("role_changed")
        by_provider = [e for e in changed if e.get("by_provider")]
        expect(len(by_provider) == 2, "audit: role_changed events by the provider", "two", brief(changed))
        owners = {(e.get("owner") or {}).get("email") for e in by_provider}
        expect(owners == {CY}, "audit: whose roles the provider changed", {CY}, owners)
        step("audit")

        # 7. Okta deletes Cy.
        gone = scim(client, f"delete: DELETE /Users/{cy.id}", 204, client.delete, user_model, cy.id)
        expect(gone is None, "delete: the answer's body", "none", gone)
        scim(client, f"delete: GET /Users/{cy.id}", 404, client.query, user_model, cy.id)
        step("delete")


# ---------------------------------------------------------------------------------------------
# One database: the service and the provider started, Acme connected, the flows, all stopped.


def run_on(label: str, binary: str, database_url: str, data: str, key_file: str | None) -> None:
    port, idp_port = check.free_port(), check.free_port()
    base = f"http://127.0.0.1:{port}"
    issuer = f"http://127.0.0.1:{idp_port}"
    key = ["--key-file", key_file] if key_file else []
    processes = []
    with open(os.path.join(data, "service.log"), "w") as log, open(os.path.join(data, "provider.log"), "w") as idp_log:
        try:
            idp = subprocess.Popen(
                [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(idp_port)],
                stdout=idp_log, stderr=subprocess.STDOUT,
            )
            processes.append(idp)
            server = subprocess.Popen(
                [binary, "--listen", f"127.0.0.1:{port}", "--database-url", database_url, "--seed-demo", *key],
                stdout=log, stderr=subprocess.STDOUT,
            )
            processes.append(server)
            check.wait_for(issuer + "/.well-known/openid-configuration", idp, "oidc-provider-mock")
            check.wait_for(base + "/readyz", server, "the service")
            check.cli(binary, database_url,
                      ["sso", "set", "--workspace", WORKSPACE, "--issuer", issuer, "--client-id", "token-console",
                       "--client-secret-stdin", "--domain", "acme.test", "--admin-group", ADMIN_GROUP, *key],
                      stdin="mock-provider-client-secret\n")
            secret = check.cli(binary, database_url,
                               ["scim-credential", "create", "--workspace", WORKSPACE, *key])["scim_credential"]
            http = httpx.Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {secret}"},
                                timeout=REQUEST_SECONDS, trust_env=False)
            with http:
                flows(lambda name: print(f"{label}: {name}: ok", flush=True), RecordingClient(http), base)
            if server.poll() is not None:
                raise Failed(f"the service stopped during the run ({server.returncode})")
        finally:
            # The time is up or the run is over: nothing interrupts the stopping.
            signal.alarm(0)
            for p in reversed(processes):
                check.stop(p)


def psql_binary() -> str:
    return shutil.which("psql") or PSQL_FALLBACK


def psql(server_url: str, sql: str) -> None:
    try:
        done = subprocess.run(
            [psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server_url, "-c", sql],
            capture_output=True, text=True, timeout=COMMAND_SECONDS, env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
    except subprocess.TimeoutExpired as late:
        raise Failed(f"psql {sql!r} took more than {COMMAND_SECONDS} s") from late
    if done.returncode != 0:
        raise Failed(f"psql {sql!r} failed ({done.returncode}): {done.stderr.strip()}")


def loopback_postgres(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit(f"--postgres-url must be postgres://USER@HOST:PORT/DB, not {url!r}")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"--postgres-url must name a loopback server (127.0.0.1, ::1, localhost), not {host!r}")
    return url


def one_database(label: str, binary: str, postgres_url: str | None) -> bool:
    """Runs the flows on one database; whether they all held. Everything it made is removed."""
    data = tempfile.mkdtemp(prefix=f"tc-scim-flows-{label}-")
    dropped = None
    ok = False
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(DATABASE_SECONDS)
    try:
        if postgres_url is None:
            database_url, key_file = f"sqlite://{data}/flows.db", None
        else:
            # The service migrates a database that exists; it does not create one (db.rs connects
            # to the URL as given), so a fresh one is made here, and dropped below.
            name = f"tc_scim_flows_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            parts = urlsplit(postgres_url)
            database_url = urlunsplit(parts._replace(path=f"/{name}"))
            dropped = name  # set first: the time may run out between the creation and here
            psql(postgres_url, f'CREATE DATABASE "{name}"')
            # PostgreSQL deployments bring their key file (keyfile.rs): 32 random bytes, 0600.
            key_file = os.path.join(data, "token-console.key")
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        run_on(label, binary, database_url, data, key_file)
        ok = True
    except Failed as failure:
        print(f"{label}: FAILED: {failure}", flush=True)
    except OutOfTime as late:
        print(f"{label}: FAILED: {late}", flush=True)
    except SystemExit as stopped:  # check.py's start-up and command-line helpers exit on failure
        print(f"{label}: FAILED: {stopped.code}", flush=True)
    finally:
        signal.alarm(0)
        if dropped is not None:
            try:
                psql(postgres_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
            except Failed as failure:
                print(f"{label}: the database {dropped} was not dropped: {failure}", flush=True)
                ok = False
    if ok:
        shutil.rmtree(data, ignore_errors=True)
    else:
        print(f"{label}: the service's log is {data}/service.log", flush=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the token-server binary")
    parser.add_argument("--postgres-url", help="a loopback PostgreSQL server, postgres://USER@HOST:PORT/DB")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary} is not an executable")
    runs = [("sqlite", None)]
    if args.postgres_url:
        runs.append(("postgres", loopback_postgres(args.postgres_url)))
    failed = [label for label, url in runs if not one_database(label, binary, url)]
    if failed:
        sys.exit(f"the flows failed on: {', '.join(failed)}")
    print(f"every flow held on: {', '.join(label for label, _ in runs)}")


if __name__ == "__main__":
    main()
