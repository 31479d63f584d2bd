//! The administration commands: an operator brings in a workspace and its admin with them
//! alone, bad input is refused naming what is wrong and writes nothing, and the set-password
//! link works once.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

/// Runs `token-server ARGS` on this database: exit status, standard output, standard error.
pub fn cli(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_token-server"));
    if let Some(key) = &app.state.config.key_file {
        command.env("KEY_FILE", key);
    }
    let mut child = command
        .args(args)
        .env("DATABASE_URL", &app.state.config.database_url)
        .env("PUBLIC_URL", "https://tokens.initech.test")
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run token-server");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `key=value` lines.
pub fn value<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {out:?}"))
}

async fn the_commands_bring_in_an_admin_who_signs_in(app: TestApp) {
    let (code, out, _) = cli(&app, &["workspace", "create", "  Initech "], None);
    assert_eq!(code, 0);
    let (ws, client_id) = (value(&out, "id").to_owned(), value(&out, "client_id").to_owned());
    assert!(ws.starts_with("ws-") && client_id.starts_with("tcc_"), "{out}");
    let (_, again, told) = cli(&app, &["workspace", "create", "Initech"], None);
    assert_eq!(again, out, "creating it again finds the same workspace");
    assert!(told.contains("exists already"), "{told}");

    // Bad input: refused with exit 2, naming what is wrong, and nothing is written.
    let before = cli(&app, &["user", "list"], None).1;
    for (args, says) in [
        (
            vec!["user", "add", "nobody", "--workspace", &ws, "--role", "admin"],
            "EMAIL must be an email address",
        ),
        (
            vec![
                "user",
                "add",
                "x@initech.test",
                "--workspace",
                "ws-nope",
                "--role",
                "admin",
            ],
            "no workspace has the id `ws-nope`",
        ),
        (
            vec!["user", "add", "x@initech.test", "--workspace", &ws, "--role", "owner"],
            "is not a role",
        ),
        (vec!["workspace", "create", "  "], "the workspace's name is required"),
    ] {
        let (code, out, err) = cli(&app, &args, None);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (code, _, err) = cli(
        &app,
        &[
            "user",
            "add",
            "y@initech.test",
            "--workspace",
            &ws,
            "--role",
            "member",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("the password must be at least 12 characters"), "{err}");
    assert_eq!(cli(&app, &["user", "list"], None).1, before, "nothing was written");

    // An admin with a link: it sets the password once.
    let (code, out, err) = cli(
        &app,
        &[
            "user",
            "add",
            "Boss@Initech.test",
            "--workspace",
            &ws,
            "--role",
            "admin",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let link = value(&out, "link");
    let secret = link
        .strip_prefix("https://tokens.initech.test/set-password#")
        .unwrap_or_else(|| panic!("{link}"));
    let set = |password: &str| {
        app.send(
            Method::POST,
            "/api/password",
            None,
            Some(json!({ "token": secret, "password": password })),
        )
    };
    let weak = set("too short").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(weak.body["errors"][0]["field"], "password");
    let wrong = app
        .send(
            Method::POST,
            "/api/password",
            None,
            Some(json!({ "token": "not-the-secret", "password": "initech boss password" })),
        )
        .await;
    assert_eq!(wrong.body["errors"][0]["code"], "expired");
    assert_eq!(set("initech boss password").await.status, StatusCode::NO_CONTENT);
    let replayed = set("someone else's password").await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
    assert_eq!(replayed.body["errors"][0]["field"], "token", "the link works once");
    let signed_in = app
        .sign_in_from("boss@initech.test", "initech boss password", "198.51.100.9")
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let initech = signed_in.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == ws.as_str())
        .cloned()
        .expect("the new admin's workspace");
    assert_eq!(
        (initech["role"].as_str(), initech["client_id"].as_str()),
        (Some("admin"), Some(client_id.as_str()))
    );

    // A member with a password from standard input; adding them again sets the role.
    let add_pat = |role: &str| {
        let args = [
            "user",
            "add",
            "pat@initech.test",
            "--workspace",
            &ws,
            "--role",
            role,
            "--password-stdin",
        ];
        cli(&app, &args, Some("pat's long passphrase\n"))
    };
    let (code, out, err) = add_pat("member");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("link="), "{out}");
    let pat = app
        .sign_in_from("pat@initech.test", "pat's long passphrase", "198.51.100.9")
        .await;
    assert_eq!(pat.status, StatusCode::OK);
    // A new password from the operator (a reset) ends the sessions signed in with the old one.
    let cookie = pat.session_cookie();
    let me = || {
        let req = axum::http::Request::builder()
            .uri("/api/me")
            .header("cookie", cookie.as_str())
            .body(axum::body::Body::empty())
            .unwrap();
        app.raw(req)
    };
    assert_eq!(me().await.status, StatusCode::OK);
    assert_eq!(add_pat("admin").0, 0);
    assert_eq!(
        me().await.status,
        StatusCode::UNAUTHORIZED,
        "the reset ended the old session"
    );
    // A backup: a consistent copy of SQLite, readable by its owner only; PostgreSQL's is pg_dump.
    let copy = std::env::temp_dir().join(format!("token-console-backup-{}.db", std::process::id()));
    let copy_arg = copy.display().to_string();
    let (code, out, err) = cli(&app, &["backup", &copy_arg], None);
    if app.state.config.database_url.starts_with("sqlite") {
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("backup="), "{out}");
        let url = format!("sqlite://{copy_arg}");
        let copied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'boss@initech.test'")
            .fetch_one(&mut <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap())
            .await
            .unwrap();
        assert_eq!(copied, 1, "the copy holds what was written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(
            cli(&app, &["backup", &copy_arg], None).0,
            2,
            "never over an existing file"
        );
        let _ = std::fs::remove_file(&copy);
    } else {
        assert_eq!(code, 2);
        assert!(err.contains("pg_dump"), "{err}");
    }

    let listed = cli(&app, &["user", "list"], None).1;
    assert!(listed.contains("pat@initech.test\tpat\tInitech:admin"), "{listed}");
    assert!(listed.contains("boss@initech.test\tboss\tInitech:admin"), "{listed}");
}

async fn an_admin_adds_members_and_cannot_take_over_an_account(app: TestApp) {
    let gus = app.sign_in("gus@globex.test").await;
    let add = |body: serde_json::Value| app.post("/api/workspaces/ws-globex/admin/members", &gus, body);

    // Someone new to the service: created, with a link that sets their password once.
    let added = add(json!({"email": " New@Globex.test ", "role": "member"})).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(added.body["member"]["email"], "new@globex.test");
    assert_eq!(added.body["member"]["name"], "new");
    assert_eq!(added.headers["cache-control"], "no-store");
    let link = added.body["set_password_link"].as_str().unwrap();
    let secret = link.strip_prefix("http://issuer.test/set-password#").unwrap();
    let set = app
        .send(
            Method::POST,
            "/api/password",
            None,
            Some(json!({"token": secret, "password": "a new globex password"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT);
    let new = app
        .sign_in_from("new@globex.test", "a new globex password", "198.51.100.4")
        .await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.body["workspaces"][0]["id"], "ws-globex");

    // Someone with an account is refused: a member here already, or of another workspace only
    // (an admin who could add them might hold their password through an earlier link). Nothing
    // changes for them.
    let again = add(json!({"email": "new@globex.test", "role": "admin"})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            again.body["errors"][0]["field"].as_str(),
            again.body["errors"][0]["code"].as_str()
        ),
        (Some("email"), Some("already_member"))
    );
    let ada = add(json!({"email": "ada@acme.test", "role": "admin"})).await;
    assert_eq!(ada.status, StatusCode::BAD_REQUEST);
    assert_eq!(ada.body["errors"][0]["code"], "has_account");
    let signed_in = app.sign_in_from("ada@acme.test", "demo-password", "198.51.100.4").await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(
        signed_in.body["workspaces"].as_array().unwrap().len(),
        1,
        "Ada is not in Globex"
    );
    let new_role: String = sqlx::query_scalar(
        "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'new@globex.test'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(new_role, "member", "re-adding changed no role");

    // Refused: a bad email (named), a member, an admin of another workspace.
    let bad = add(json!({"email": "not-an-email", "role": "member"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["field"], "email");
    let ben = app.sign_in("ben@acme.test").await;
    let by_member = app
        .post(
            "/api/workspaces/ws-globex/admin/members",
            &ben,
            json!({"email": "x@globex.test", "role": "admin"}),
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let elsewhere = app
        .post(
            "/api/workspaces/ws-acme/admin/members",
            &gus,
            json!({"email": "x@acme.test", "role": "admin"}),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email LIKE 'x@%' OR email = 'not-an-email'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(people, 0, "nothing was written");
}

crate::on_both_databases!(
    the_commands_bring_in_an_admin_who_signs_in,
    an_admin_adds_members_and_cannot_take_over_an_account,
);
