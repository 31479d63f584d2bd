"""An off-the-shelf OAuth 2.0 client (Authlib) narrows a token's scope on refresh.

Starts the service on loopback with a throw-away SQLite database, gives a workspace a catalogue of
permissions with the operator's command line, makes a token of two permissions through the API as
its owner would, then lets Authlib's OAuth2Session refresh it: once asking for one of the two
(the new access token carries only that one, and the resource endpoint refuses the other with
403 insufficient_scope), once asking for a permission the token does not carry (`invalid_scope`,
which Authlib raises as an OAuthError, the token not rotated), and once asking for nothing (both
again). Exits non-zero on the first thing that is not so.

Usage: authlib_scope.py path/to/token-server
"""

import os
import subprocess
import sys
import tempfile
import time

# The service runs on loopback over plain HTTP, which Authlib refuses unless told.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import httpx  # noqa: E402
from authlib.integrations.httpx_client import OAuth2Client  # noqa: E402
from authlib.integrations.base_client.errors import OAuthError  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scim"))
from check import cli, free_port, stop, wait_for  # noqa: E402

PASSWORD = "hooli-password-1"


def check(ok, what):
    if not ok:
        sys.exit(f"authlib: {what}")
    print(f"ok: {what}")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite://{tmp}/scope.db"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [binary, "--listen", f"127.0.0.1:{port}", "--database-url", database_url],
            env={**os.environ, "RUST_LOG": "warn", "PUBLIC_URL": base},
        )
        try:
            wait_for(f"{base}/healthz", server, "token-server")
            made = cli(binary, database_url, ["workspace", "create", "Hooli"])
            workspace, client_id = made["id"], made["client_id"]
            cli(binary, database_url,
                ["user", "add", "gavin@hooli.test", "--workspace", workspace, "--role", "admin", "--password-stdin"],
                f"{PASSWORD}\n")
            for name in ("datasets:read", "datasets:write"):
                cli(binary, database_url, ["permission", "add", "--workspace", workspace, name])

            with httpx.Client(base_url=base, trust_env=False, timeout=10) as browser:
                signed_in = browser.post("/api/session", json={"email": "gavin@hooli.test", "password": PASSWORD})
                csrf = signed_in.json()["csrf_token"]
                created = browser.post(
                    f"/api/workspaces/{workspace}/tokens",
                    json={"name": "authlib", "lifetime_days": 7, "permissions": ["datasets:read", "datasets:write"]},
                    headers={"x-csrf-token": csrf},
                )
                check(created.status_code == 201, f"a token of two permissions is made ({created.status_code})")
                token = created.json()

            def can(access_token, permission):
                return httpx.get(
                    f"{base}/api/resource/workspaces/{workspace}/can/{permission}",
                    headers={"authorization": f"Bearer {access_token}"},
                    trust_env=False,
                )

            endpoint = f"{base}/oauth2/token"
            client = OAuth2Client(
                client_id=client_id,
                token_endpoint_auth_method="none",
                scope="datasets:read",
                token={"access_token": token["access_token"], "refresh_token": token["refresh_token"],
                       "token_type": "Bearer"},
                trust_env=False,
            )
            narrowed = client.refresh_token(endpoint)
            check(narrowed.get("scope") == "datasets:read", f"Authlib's refresh narrows to datasets:read ({narrowed.get('scope')})")
            check(can(narrowed["access_token"], "datasets:read").status_code == 200, "the narrowed token reads")
            refused = can(narrowed["access_token"], "datasets:write")
            check(
                refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers.get("www-authenticate", ""),
                f"the narrowed token may not write: {refused.status_code} {refused.headers.get('www-authenticate')}",
            )

            current = narrowed["refresh_token"]
            client.scope = "datasets:read jobs:run"
            try:
                client.refresh_token(endpoint, refresh_token=current)
                check(False, "a scope wider than the token's is refused")
            except OAuthError as e:
                check(e.error == "invalid_scope", f"a scope wider than the token's is refused ({e.error})")

            client.scope = None
            whole = client.refresh_token(endpoint, refresh_token=current)
            check(
                whole.get("scope") == "datasets:read datasets:write",
                f"the same refresh token, not rotated by the refusal, refreshes to all it carries ({whole.get('scope')})",
            )
        finally:
            stop(server)
    print("authlib: a refresh narrows the scope and never widens it")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"authlib: {time.monotonic() - started:.1f} s")
