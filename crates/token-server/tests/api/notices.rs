//! Owners hear about their tokens by email: 7 days and 1 day before one expires, and when
//! someone else or the service disables one. The test runs a small SMTP server of its own on
//! loopback (`Sink`, enough SMTP to take messages, which it keeps), points the service at it with
//! `--smtp-url`, drives the notices' rounds with a clock of its own
//! (`notices::run_once_at`), and reads the messages as a mail client would (mail-parser).

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use token_server::notices::{self, Round};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{Browser, TestApp};

const DAY: i64 = 86_400_000;

/// What the sink does with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// Takes messages.
    Up = 0,
    /// Closes every connection at once, saying nothing: a server that is down.
    Down = 1,
    /// Accepts connections and never answers: a server that hangs.
    Stalled = 2,
}

/// A message the sink took.
#[derive(Clone, Debug)]
struct Mail {
    to: Vec<String>,
    raw: String,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a message a mail client reads")
    }

    fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    fn body(&self) -> String {
        self.parsed().body_text(0).unwrap_or_default().into_owned()
    }
}

/// A small SMTP server on loopback.
#[derive(Clone)]
struct Sink {
    addr: std::net::SocketAddr,
    mode: Arc<AtomicU8>,
    mails: Arc<Mutex<Vec<Mail>>>,
    connections: Arc<AtomicUsize>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Sink {
            addr: listener.local_addr().unwrap(),
            mode: Arc::new(AtomicU8::new(Mode::Up as u8)),
            mails: Arc::default(),
            connections: Arc::default(),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                serving.connections.fetch_add(1, Ordering::SeqCst);
                let sink = serving.clone();
                tokio::spawn(async move {
                    match sink.mode() {
                        Mode::Down => drop(stream),
                        Mode::Stalled => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            drop(stream);
                        }
                        Mode::Up => {
                            let _ = sink.converse(stream).await;
                        }
                    }
                });
            }
        });
        sink
    }

    fn mode(&self) -> Mode {
        match self.mode.load(Ordering::SeqCst) {
            0 => Mode::Up,
            1 => Mode::Down,
            _ => Mode::Stalled,
        }
    }

    fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// One SMTP session: greeting, EHLO, MAIL, RCPT, DATA (dot-unstuffed), QUIT.
    async fn converse(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                b"250-sink.test\r\n250 8BITMIME\r\n"
            } else if command.starts_with("MAIL FROM") {
                to.clear();
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line.trim_end()[8..].trim().trim_matches(['<', '>']).to_owned();
                to.push(address);
                b"250 OK\r\n"
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut raw = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    raw.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.mails.lock().unwrap().push(Mail { to: to.clone(), raw });
                b"250 queued\r\n"
            } else if command == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if command == "RSET" || command == "NOOP" {
                b"250 OK\r\n"
            } else {
                b"502 not here\r\n"
            };
            write.write_all(answer).await?;
        }
    }

    /// The messages taken so far whose subject names `token`.
    fn about(&self, token: &str) -> Vec<Mail> {
        let mails = self.mails.lock().unwrap().clone();
        mails
            .into_iter()
            .filter(|m| m.subject().contains(&format!("“{token}”")))
            .collect()
    }
}

/// Settles the demo data's own notices without a mail server (they are recorded, not sent), then
/// points the service at `sink`, as an operator's restart with `--smtp-url` would.
async fn mail_to(app: &mut TestApp, sink: &Sink) {
    round(app, now()).await;
    let url = format!("smtp://{}", sink.addr);
    app.reconfigure(|c| {
        c.smtp_url = Some(url.parse().unwrap());
        c.smtp_from = Some("Token Console <tokens@issuer.test>".to_owned());
    })
    .await;
}

fn now() -> i64 {
    token_server::db::now_ms()
}

async fn round(app: &TestApp, at: i64) -> Round {
    notices::run_once_at(&app.state, at).await.expect("a round of notices")
}

/// Signs in as a demo person whose browser asks for `languages` (`Accept-Language`).
async fn sign_in_speaking(app: &TestApp, email: &str, languages: &str) -> Browser {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, languages)
        .body(Body::from(
            json!({ "email": email, "password": token_server::seed::DEMO_PASSWORD }).to_string(),
        ))
        .unwrap();
    let reply = app.raw(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    Browser {
        cookie: reply.session_cookie().trim_start_matches("tc_session=").to_owned(),
        csrf: reply.body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// A new token of `days` days: its id, refresh token and access token.
async fn token(app: &TestApp, who: &Browser, ws: &str, name: &str, days: u32) -> (String, String, String) {
    let reply = app
        .post(
            &format!("/api/workspaces/{ws}/tokens"),
            who,
            json!({ "name": name, "lifetime_days": days, "all_permissions": true }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let field = |f: &str| reply.body[f].as_str().unwrap().to_owned();
    (
        reply.body["token"]["id"].as_str().unwrap().to_owned(),
        field("refresh_token"),
        field("access_token"),
    )
}

/// The workspace's audit events of `action`, newest first, read by its admin.
async fn audit(app: &TestApp, admin: &Browser, ws: &str, action: &str) -> Vec<Value> {
    let reply = app
        .get(
            &format!("/api/workspaces/{ws}/admin/audit?action={action}&limit=200"),
            admin,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["events"].as_array().unwrap().clone()
}

/// Nothing in a message that opens anything: none of the secrets given, and no refresh token
/// or access token at all.
fn assert_no_secret(mail: &Mail, secrets: &[&str]) {
    let text = format!("{}\n{}\n{}", mail.raw, mail.subject(), mail.body());
    for secret in secrets {
        assert!(!text.contains(secret), "a secret in the message:\n{text}");
    }
    assert!(
        !text.contains(token_api::token_format::PREFIX),
        "a refresh token in:\n{text}"
    );
    assert!(!text.contains("eyJ"), "a JWT in:\n{text}");
}

async fn a_token_gets_each_expiry_notice_once_as_it_comes_due(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let cy = app.sign_in("cy@acme.test").await;
    let (_, seven_refresh, seven_access) = token(&app, &cy, "ws-acme", "seven", 7).await;
    token(&app, &cy, "ws-acme", "one", 1).await;
    token(&app, &cy, "ws-acme", "three", 3).await;
    token(&app, &cy, "ws-acme", "thirty", 30).await;
    let start = now();

    // Several rounds in the first days: the 7-day notice of the 7-day token, once; the 1-day
    // notice of the 1-day token; nothing for the others yet.
    for offset in [0, 1000, 3_600_000, 2 * DAY, 5 * DAY + 3_600_000] {
        round(&app, start + offset).await;
    }
    let seven = sink.about("seven");
    assert_eq!(seven.len(), 1, "{seven:?}");
    assert_eq!(seven[0].subject(), "Your token “seven” in Acme expires in 7 days");
    assert_eq!(seven[0].to, ["cy@acme.test"]);
    let body = seven[0].body();
    for part in [
        "Hello Cy",
        "“seven” in the workspace Acme",
        "in 7 days",
        "http://issuer.test/w/ws-acme/tokens",
    ] {
        assert!(body.contains(part), "{part} is not in:\n{body}");
    }
    assert_no_secret(&seven[0], &[&seven_refresh, &seven_access]);
    let one = sink.about("one");
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(one[0].subject(), "Your token “one” in Acme expires in 1 day");
    // The 3-day token was made within the 7-day notice's window: its owner just chose it.
    assert!(sink.about("three").len() == 1 && sink.about("three")[0].subject().ends_with("in 1 day"));
    assert!(sink.about("thirty").is_empty());

    // Within its last day, the 7-day token's 1-day notice; then nothing more, however often.
    for offset in [6 * DAY + 3_600_000, 6 * DAY + 7_200_000, 7 * DAY - 1000] {
        round(&app, start + offset).await;
    }
    let seven: Vec<String> = sink.about("seven").iter().map(Mail::subject).collect();
    assert_eq!(
        seven,
        [
            "Your token “seven” in Acme expires in 7 days",
            "Your token “seven” in Acme expires in 1 day"
        ]
    );
    // The 30-day token's own notices come 23 days on.
    round(&app, start + 23 * DAY + 3_600_000).await;
    assert_eq!(sink.about("thirty").len(), 1);

    // Each notice is an audit event of the workspace, the owner's, saying in how long.
    let ada = app.sign_in("ada@acme.test").await;
    let events = audit(&app, &ada, "ws-acme", "expiry_notice").await;
    let of = |name: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["token_name"] == name)
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(of("seven"), ["expires in 1 day", "expires in 7 days"]);
    assert_eq!(of("one"), ["expires in 1 day"]);
    let first = events.iter().find(|e| e["token_name"] == "one").unwrap();
    assert_eq!(first["owner"]["email"], "cy@acme.test");
    assert!(first["actor"].is_null() && first["until"].is_string(), "{first}");
}

async fn notices_are_in_the_owners_language(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let ben = sign_in_speaking(&app, "ben@acme.test", "zh-CN,zh;q=0.9,en;q=0.8").await;
    token(&app, &ben, "ws-acme", "本的令牌", 7).await;
    let cy = sign_in_speaking(&app, "cy@acme.test", "en-GB,en;q=0.9").await;
    token(&app, &cy, "ws-acme", "cy's", 7).await;
    // A language the pages do not speak is English; a sign-in that names none changes nothing.
    let ada = sign_in_speaking(&app, "ada@acme.test", "fr-FR,fr;q=0.9").await;
    token(&app, &ada, "ws-acme", "ada's", 7).await;
    app.sign_in("ben@acme.test").await;
    round(&app, now()).await;

    let zh = sink.about("本的令牌");
    assert_eq!(zh.len(), 1);
    assert_eq!(zh[0].subject(), "您在 Acme 的令牌“本的令牌”将在 7 天后到期");
    let body = zh[0].body();
    assert!(
        body.contains("您好") && body.contains("（UTC）到期") && body.contains("/w/ws-acme/tokens"),
        "{body}"
    );
    assert_eq!(
        zh[0].parsed().header_raw("Content-Language").map(str::trim),
        Some("zh-CN")
    );
    assert_eq!(
        sink.about("cy's")[0].subject(),
        "Your token “cy's” in Acme expires in 7 days"
    );
    assert!(sink.about("ada's")[0].body().starts_with("Hello Ada"));

    // A host's ticket exchange records the language too.
    let key = token_server::store::host::create_key(&app.state.db.writer, "ws-acme", "http://host.test")
        .await
        .unwrap()
        .unwrap()
        .1;
    let minted = app
        .raw(
            Request::builder()
                .method(Method::POST)
                .uri("/api/host/tickets")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({ "email": "cy@acme.test" }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.text);
    let exchanged = app
        .raw(
            Request::builder()
                .method(Method::POST)
                .uri("/api/host/session")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ORIGIN, "http://host.test")
                .header(header::ACCEPT_LANGUAGE, "zh-TW")
                .body(Body::from(json!({ "ticket": minted.body["ticket"] }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text);
    assert_eq!(locale_of(&app, "cy@acme.test").await.as_deref(), Some("zh-CN"));

    // So does a sign-in through the workspace's identity provider, at its callback.
    let provider = crate::sso::Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let started = crate::sso::started(&crate::sso::post_start(&app, json!({"workspace": "ws-acme"})).await);
    let claims = crate::sso::person("sub-mei", "mei@acme.test", &[]);
    let code = provider.code_for(&started, claims, crate::sso::Alg::EdDsa);
    let answered = app
        .raw(
            Request::builder()
                .uri(format!("{}?state={}&code={code}", started.path, started.state))
                .header(header::COOKIE, &started.cookie)
                .header(header::ACCEPT_LANGUAGE, "zh-Hans-CN;q=0.9, de;q=0.5")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.text);
    assert!(
        answered.set_cookie("tc_session").is_some(),
        "signed in: {:?}",
        answered.headers
    );
    assert_eq!(locale_of(&app, "mei@acme.test").await.as_deref(), Some("zh-CN"));
}

async fn locale_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT locale FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn a_disable_by_someone_else_or_the_service_emails_the_owner(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let cy = app.sign_in("cy@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let (mine, ..) = token(&app, &cy, "ws-acme", "mine", 30).await;
    let (theirs, theirs_refresh, _) = token(&app, &cy, "ws-acme", "theirs", 30).await;
    let (_, replayed, _) = token(&app, &cy, "ws-acme", "replayed", 30).await;
    let (admins_own, ..) = token(&app, &ada, "ws-acme", "admin's own", 30).await;

    let own = app
        .post(
            &format!("/api/workspaces/ws-acme/tokens/{mine}/disable"),
            &cy,
            json!({}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let by_admin = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{theirs}/disable"),
            &ada,
            json!({ "reason": "posted in #general" }),
        )
        .await;
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.text);
    // An admin disabling their own token from the Admins page is still its owner.
    let admins = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{admins_own}/disable"),
            &ada,
            json!({}),
        )
        .await;
    assert_eq!(admins.status, StatusCode::OK, "{}", admins.text);
    // Reuse detection: a refresh token rotated out, and its successor used, comes back.
    let second = app.refresh("tcc_acme", &replayed).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    app.refresh("tcc_acme", second.body["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(app.refresh("tcc_acme", &replayed).await.status, StatusCode::BAD_REQUEST);

    let start = now();
    round(&app, start).await;
    round(&app, start + 60_000).await;
    assert!(
        sink.about("mine").is_empty(),
        "the owner's own disable is no news to them"
    );
    assert!(sink.about("admin's own").is_empty());
    let told = sink.about("theirs");
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].to, ["cy@acme.test"]);
    assert_eq!(told[0].subject(), "Your token “theirs” in Acme was disabled");
    let body = told[0].body();
    for part in [
        "by Ada Lovelace (ada@acme.test)",
        "Reason: posted in #general",
        "http://issuer.test/w/ws-acme/tokens",
    ] {
        assert!(body.contains(part), "{part} is not in:\n{body}");
    }
    assert_no_secret(&told[0], &[&theirs_refresh]);
    let reused = sink.about("replayed");
    assert_eq!(reused.len(), 1, "{reused:?}");
    assert!(reused[0].body().contains("used a second time"), "{}", reused[0].body());
    assert_no_secret(&reused[0], &[&replayed]);
}

async fn an_owner_turns_email_off_for_one_workspace(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let ben = app.sign_in("ben@acme.test").await;
    let at = |ws: &str| format!("/api/workspaces/{ws}/notices");
    assert_eq!(app.get(&at("ws-acme"), &ben).await.body, json!({ "email": true }));

    let off = app
        .send(Method::PUT, &at("ws-acme"), Some(&ben), Some(json!({ "email": false })))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.body, json!({ "email": false }));
    assert_eq!(app.get(&at("ws-acme"), &ben).await.body, json!({ "email": false }));
    assert_eq!(app.get(&at("ws-globex"), &ben).await.body, json!({ "email": true }));
    // Only for oneself, with the session's CSRF token, in a workspace of one's own, in its shape.
    let forged = Browser {
        csrf: "forged".to_owned(),
        ..ben.clone()
    };
    let refused = app
        .send(
            Method::PUT,
            &at("ws-globex"),
            Some(&forged),
            Some(json!({ "email": false })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let cy = app.sign_in("cy@acme.test").await;
    assert_eq!(app.get(&at("ws-globex"), &cy).await.status, StatusCode::NOT_FOUND);
    let elsewhere = app
        .send(
            Method::PUT,
            &at("ws-globex"),
            Some(&cy),
            Some(json!({ "email": false })),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    for bad in [
        json!({ "email": "no" }),
        json!({}),
        json!({ "email": false, "sms": true }),
    ] {
        let reply = app
            .send(Method::PUT, &at("ws-acme"), Some(&ben), Some(bad.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {}", reply.text);
    }
    assert_eq!(app.get(&at("ws-acme"), &cy).await.body, json!({ "email": true }));

    token(&app, &ben, "ws-acme", "acme seven", 7).await;
    let (gone, ..) = token(&app, &ben, "ws-acme", "acme gone", 30).await;
    token(&app, &ben, "ws-globex", "globex seven", 7).await;
    let ada = app.sign_in("ada@acme.test").await;
    let disabled = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{gone}/disable"),
            &ada,
            json!({}),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    let start = now();
    round(&app, start).await;
    round(&app, start + 3_600_000).await;
    assert!(sink.about("acme seven").is_empty(), "{:?}", sink.about("acme seven"));
    assert!(sink.about("acme gone").is_empty(), "{:?}", sink.about("acme gone"));
    assert_eq!(sink.about("globex seven").len(), 1);
    // The expiry notice is still in Acme's audit trail (for a webhook destination to take).
    let events = audit(&app, &ada, "ws-acme", "expiry_notice").await;
    assert!(events.iter().any(|e| e["token_name"] == "acme seven"), "{events:?}");

    // On again: the next notice goes out.
    let on = app
        .send(Method::PUT, &at("ws-acme"), Some(&ben), Some(json!({ "email": true })))
        .await;
    assert_eq!(on.body, json!({ "email": true }));
    token(&app, &ben, "ws-acme", "acme later", 7).await;
    round(&app, now()).await;
    assert_eq!(sink.about("acme later").len(), 1);
}

async fn without_a_mail_server_expiry_notices_are_still_audited(mut app: TestApp) {
    let cy = app.sign_in("cy@acme.test").await;
    token(&app, &cy, "ws-acme", "unmailed", 7).await;
    let done = round(&app, now()).await;
    assert!(done.made >= 1 && done.sent == 0, "{done:?}");
    let ada = app.sign_in("ada@acme.test").await;
    let events = audit(&app, &ada, "ws-acme", "expiry_notice").await;
    assert!(events
        .iter()
        .any(|e| e["token_name"] == "unmailed" && e["reason"] == "expires in 7 days"));
    // A notice that came due with no mail server is not mailed later, when one is set.
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    round(&app, now() + 60_000).await;
    assert!(sink.about("unmailed").is_empty());
    assert_eq!(audit(&app, &ada, "ws-acme", "expiry_notice").await.len(), events.len());
}

async fn two_instances_send_each_notice_once(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let (_, other) = app.second_instance().await;
    let cy = app.sign_in("cy@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let names: Vec<String> = (0..6).map(|i| format!("shared {i}")).collect();
    let mut ids = Vec::new();
    for name in &names {
        ids.push(token(&app, &cy, "ws-acme", name, 7).await.0);
    }
    for id in &ids[..3] {
        app.post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable"),
            &ada,
            json!({}),
        )
        .await;
    }
    let start = now();
    for step in 0..4 {
        let at = start + step * 1000;
        let (a, b) = tokio::join!(notices::run_once_at(&app.state, at), notices::run_once_at(&other, at));
        a.unwrap();
        b.unwrap();
    }
    for (i, name) in names.iter().enumerate() {
        let mails = sink.about(name);
        // The disabled ones: their disable notice (their expiry notice was not due: disabled).
        let expected = if i < 3 { "was disabled" } else { "expires in 7 days" };
        assert_eq!(
            mails.len(),
            1,
            "{name}: {:?}",
            mails.iter().map(Mail::subject).collect::<Vec<_>>()
        );
        assert!(mails[0].subject().ends_with(expected), "{}", mails[0].subject());
    }
    let events = audit(&app, &ada, "ws-acme", "expiry_notice").await;
    for name in &names[3..] {
        assert_eq!(
            events.iter().filter(|e| e["token_name"] == name.as_str()).count(),
            1,
            "{name}"
        );
    }
}

async fn a_dead_mail_server_is_tried_again_later_and_each_notice_sent_once(mut app: TestApp) {
    // Counted from here on (the process's recorder, installed on first use).
    token_server::metrics::recorder();
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let cy = app.sign_in("cy@acme.test").await;
    token(&app, &cy, "ws-acme", "patient", 7).await;
    sink.set(Mode::Down);
    let start = now();
    let first = round(&app, start).await;
    assert_eq!((first.sent, first.failed), (0, 1), "{first:?}");
    // Not again at once: it waits a minute, then two, ...
    let tried = sink.connections.load(Ordering::SeqCst);
    round(&app, start + 30_000).await;
    assert_eq!(
        sink.connections.load(Ordering::SeqCst),
        tried,
        "tried again before its time"
    );
    sink.set(Mode::Up);
    let later = round(&app, start + 61_000).await;
    assert_eq!(later.sent, 1, "{later:?}");
    round(&app, start + 3_600_000).await;
    assert_eq!(sink.about("patient").len(), 1);

    // Down for good: given up after the last try, and counted.
    token(&app, &cy, "ws-acme", "hopeless", 7).await;
    sink.set(Mode::Down);
    let mut failed = 0;
    for step in 0..notices::MAX_ATTEMPTS + 2 {
        failed += round(&app, start + 2 * 3_600_000 * (step + 1)).await.failed;
    }
    assert_eq!(failed, notices::MAX_ATTEMPTS as u64);
    let state: String = sqlx::query_scalar(
        "SELECT n.state FROM notices n JOIN grants g ON g.id = n.grant_id WHERE g.name = 'hopeless'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(state, "failed");
    let metrics = token_server::metrics::recorder().render();
    assert!(
        metrics.contains("notices_failed_total{kind=\"expiry_7d\"}"),
        "{metrics}"
    );
    sink.set(Mode::Up);
    round(&app, start + 40 * 3_600_000).await;
    assert!(sink.about("hopeless").is_empty());
}

async fn a_hanging_mail_server_slows_nothing_but_the_notices(mut app: TestApp) {
    let sink = Sink::start().await;
    mail_to(&mut app, &sink).await;
    let cy = app.sign_in("cy@acme.test").await;
    let (_, refresh, _) = token(&app, &cy, "ws-acme", "stuck", 7).await;
    sink.set(Mode::Stalled);
    let start = now();
    let state = app.state.clone();
    let began = Instant::now();
    let stuck = tokio::spawn(async move { notices::run_once_at(&state, start).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!stuck.is_finished(), "the round should be waiting on the mail server");
    // Meanwhile the token endpoint and the pages answer at once.
    let asked = Instant::now();
    let refreshed = app.refresh("tcc_acme", &refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::OK
    );
    assert!(asked.elapsed() < Duration::from_secs(2), "{:?}", asked.elapsed());
    // The round ends by the mail client's timeout, the notice kept for later.
    let done = stuck.await.unwrap().unwrap();
    assert_eq!((done.sent, done.failed), (0, 1));
    let took = began.elapsed();
    assert!(took < notices::mail::SEND_TIMEOUT + Duration::from_secs(5), "{took:?}");
    sink.set(Mode::Up);
    round(&app, start + 120_000).await;
    assert_eq!(sink.about("stuck").len(), 1);
}

crate::on_both_databases!(
    a_token_gets_each_expiry_notice_once_as_it_comes_due,
    notices_are_in_the_owners_language,
    a_disable_by_someone_else_or_the_service_emails_the_owner,
    an_owner_turns_email_off_for_one_workspace,
    without_a_mail_server_expiry_notices_are_still_audited,
    two_instances_send_each_notice_once,
    a_dead_mail_server_is_tried_again_later_and_each_notice_sent_once,
    a_hanging_mail_server_slows_nothing_but_the_notices,
);
