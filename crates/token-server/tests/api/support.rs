//! The test harness: the whole service in-process on a fresh database (a SQLite file, or a new
//! PostgreSQL database when `TEST_POSTGRES_URL` is set), with the demo data seeded.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Executor;
use token_server::config::Config;
use token_server::{app, seed, AppState};
use tower::ServiceExt;

/// The stand-in for Trunk's `index.html`: a title and an inline loader the CSP must allow.
pub const INDEX_HTML: &str = "<!DOCTYPE html><title>Token Console</title><script type=\"module\">start();</script>";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub dir: std::path::PathBuf,
}

/// A response, with its body parsed as JSON when it is JSON (else as a string).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as sent: compressed, when the answer was.
    pub bytes: Vec<u8>,
    /// Whether the handler marked the answer as holding a secret (never compressed).
    pub secret: bool,
}

impl Reply {
    /// The session cookie a sign-in set, as `tc_session=…`.
    pub fn session_cookie(&self) -> String {
        let set = self
            .set_cookie("tc_session")
            .or_else(|| self.set_cookie("__Host-tc_session"))
            .expect("a session cookie is set");
        set.split(';').next().unwrap().to_owned()
    }

    /// The whole `Set-Cookie` of the cookie `name`, where the answer sets it (in any order
    /// among the others).
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.split_once('=').is_some_and(|(n, _)| n == name))
    }

    /// The body without what names this one request (a problem's `instance`): two answers that
    /// must tell a caller nothing apart are compared by this.
    pub fn said(&self) -> serde_json::Value {
        let mut body = self.body.clone();
        if let Some(fields) = body.as_object_mut() {
            fields.remove("instance");
        }
        body
    }

    /// A batch answer's outcome per id, in order.
    pub fn outcomes(&self) -> Vec<String> {
        self.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        token_server::secrets::random_id()
            .to_lowercase()
            .replace(['-', '_'], "")
    )
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let (url, dir) = empty_database(false).await.expect("SQLite is always there");
        TestApp::with_url(url, dir).await
    }

    /// A fresh database on the test cluster. Without `TEST_POSTGRES_URL` the PostgreSQL half of
    /// the suite says so loudly and does not run; under CI that is a failure.
    pub async fn postgres() -> Option<TestApp> {
        let (url, dir) = empty_database(true).await?;
        Some(TestApp::with_url(url, dir).await)
    }

    pub async fn with_url(database_url: String, dir: std::path::PathBuf) -> TestApp {
        // The service's own log lines, shown with a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::fs::write(dir.join("dist/index.html"), INDEX_HTML).unwrap();
        let mut config = Config::with_database(&database_url);
        if database_url.starts_with("postgres") {
            // PostgreSQL deployments must be given their key file; SQLite makes its own.
            let key = dir.join("instance.key");
            token_server::keyfile::write_new(&key).unwrap();
            config.key_file = Some(key);
        }
        config.listen = "127.0.0.1:8080".parse().unwrap();
        config.dist = dir.join("dist");
        config.public_url = Some("http://issuer.test".into());
        config.seed_demo = true;
        config.frame_ancestors = vec!["http://host.test".into()];
        // The notices' rounds run when a test calls them, with its own clock.
        config.notices_every_seconds = 0;
        let state = AppState::new(config).await.expect("start the service");
        seed::demo(&state).await.expect("seed");
        TestApp {
            router: app(state.clone()),
            state,
            dir,
        }
    }

    /// Stops and starts the service on the same database, as a deploy would.
    pub async fn restart(&mut self) {
        self.reconfigure(|_| {}).await;
    }

    /// Restarts the service on the same database with a changed configuration.
    pub async fn reconfigure(&mut self, change: impl FnOnce(&mut Config)) {
        let mut config = (*self.state.config).clone();
        change(&mut config);
        // The old instance's background work stops, as the process's would.
        self.state.stop_streaming();
        self.state = AppState::new(config).await.expect("restart the service");
        self.router = app(self.state.clone());
    }

    /// Another instance of the service on the same database and key file, as a second replica
    /// behind a load balancer would be: its own pools, writer task, key ring and throttle.
    pub async fn second_instance(&self) -> (Router, AppState) {
        let state = AppState::new((*self.state.config).clone())
            .await
            .expect("start a second instance");
        (app(state.clone()), state)
    }

    /// Serves this instance on a loopback port with the production server and its limits;
    /// the server stops when the returned sender is dropped or sent to.
    pub async fn listen(&self) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = token_server::server::Limits::from(&*self.state.config);
        let router = self.router.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            token_server::server::serve(listener, router, limits, shutdown)
                .await
                .unwrap();
        });
        (addr, stop)
    }

    /// Sends a request; `json` sets the body and its content type.
    pub async fn send(&self, method: Method, path: &str, browser: Option<&Browser>, json: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(b) = browser {
            req = req
                .header(header::COOKIE, format!("tc_session={}", b.cookie))
                .header("x-csrf-token", &b.csrf);
        }
        let body = match json {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&v).unwrap())
            }
            None => Body::empty(),
        };
        self.raw(req.body(body).unwrap()).await
    }

    /// Sends a request built by the test.
    pub async fn raw(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let secret = res.extensions().get::<token_server::http::Secret>().is_some();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::String(text.clone()));
        Reply {
            status,
            headers,
            body,
            text,
            bytes: bytes.to_vec(),
            secret,
        }
    }

    pub async fn get(&self, path: &str, browser: &Browser) -> Reply {
        self.send(Method::GET, path, Some(browser), None).await
    }

    pub async fn post(&self, path: &str, browser: &Browser, json: Value) -> Reply {
        self.send(Method::POST, path, Some(browser), Some(json)).await
    }

    /// Posts a form to an OAuth endpoint, as a standard client does.
    pub async fn form(&self, path: &str, params: &[(&str, &str)], authorization: Option<&str>) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(auth) = authorization {
            req = req.header(header::AUTHORIZATION, auth);
        }
        self.raw(req.body(Body::from(body)).unwrap()).await
    }

    /// Signs in with any password from a given client address; the whole reply.
    pub async fn sign_in_from(&self, email: &str, password: &str, ip: &str) -> Reply {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .extension(from_address(ip))
            .body(Body::from(
                serde_json::json!({ "email": email, "password": password }).to_string(),
            ))
            .unwrap();
        self.raw(req).await
    }

    /// Exchanges a refresh token as a client at a given address does.
    pub async fn refresh_from(&self, refresh_token: &str, ip: &str) -> Reply {
        self.refresh_as(refresh_token, ip, None).await
    }

    /// Exchanges a refresh token as a client at a given address does, with its `User-Agent`
    /// (any bytes a header may carry).
    pub async fn refresh_as(&self, refresh_token: &str, ip: &str, user_agent: Option<&[u8]>) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", "tcc_acme"),
            ])
            .finish();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/oauth2/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .extension(from_address(ip));
        let req = match user_agent {
            Some(agent) => req.header(header::USER_AGENT, HeaderValue::from_bytes(agent).unwrap()),
            None => req,
        };
        self.raw(req.body(Body::from(body)).unwrap()).await
    }

    /// Exchanges a refresh token at the token endpoint with the client id in the form.
    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> Reply {
        self.form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", client_id),
            ],
            None,
        )
        .await
    }

    /// Calls the protected resource of a workspace with an access token.
    pub async fn whoami(&self, workspace: &str, access_token: &str) -> Reply {
        let req = Request::builder()
            .uri(format!("/api/resource/workspaces/{workspace}/whoami"))
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
            .body(Body::empty())
            .unwrap();
        self.raw(req).await
    }

    /// Signs in as one of the demo people.
    pub async fn sign_in(&self, email: &str) -> Browser {
        let reply = self
            .send(
                Method::POST,
                "/api/session",
                None,
                Some(serde_json::json!({ "email": email, "password": seed::DEMO_PASSWORD })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "sign in as {email}: {}", reply.text);
        let cookie = reply.session_cookie().trim_start_matches("tc_session=").to_owned();
        Browser {
            cookie,
            csrf: reply.body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Generates a token and returns the whole creation reply's body.
    pub async fn create_token(&self, browser: &Browser, workspace: &str, name: &str) -> Value {
        let reply = self
            .post(
                &format!("/api/workspaces/{workspace}/tokens"),
                browser,
                serde_json::json!({ "name": name, "lifetime_days": 30 , "all_permissions": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body
    }

    /// Generates a token and returns its id.
    pub async fn create_token_id(&self, browser: &Browser, workspace: &str, name: &str) -> String {
        self.create_token(browser, workspace, name).await["token"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// One of the user's tokens in a workspace, as the list shows it.
    pub async fn token(&self, browser: &Browser, workspace: &str, id: &str) -> Value {
        let list = self.get(&format!("/api/workspaces/{workspace}/tokens"), browser).await;
        listed(&list.body, id)
    }

    /// The names of a user's tokens in a workspace.
    pub async fn token_names(&self, browser: &Browser, workspace: &str) -> Vec<String> {
        let reply = self.get(&format!("/api/workspaces/{workspace}/tokens"), browser).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// How many grants the database holds, whoever owns them.
    pub async fn grant_count(&self) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM grants")
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap();
        n
    }
}

impl Drop for TestApp {
    /// Removes the scratch folder and, on PostgreSQL, the test's database: a whole run makes
    /// over a hundred of them, a gigabyte the test cluster need not keep.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let url = self.state.config.database_url.clone();
        let (Ok(admin_url), Some((_, name))) = (std::env::var("TEST_POSTGRES_URL"), url.rsplit_once('/')) else {
            return;
        };
        if !url.starts_with("postgres") {
            return;
        }
        let name = name.to_owned();
        // Drop runs on the test's runtime, where a second `block_on` may not nest: the drop
        // waits for a thread with a runtime of its own. A failure is said, not hidden.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime
                .block_on(async {
                    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url).await?;
                    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await
                        .map(|_| ())
                })
                .map_err(std::io::Error::other)
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("the test database was not dropped: {e}");
        }
    }
}

/// What the server would know of a client at `ip`, as the listener tells the router.
/// The token `id` in a list's answer (`{"tokens": [...]}`).
pub fn listed(list: &Value, id: &str) -> Value {
    list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .cloned()
        .expect("the token is listed")
}

pub fn from_address(ip: &str) -> axum::extract::ConnectInfo<std::net::SocketAddr> {
    axum::extract::ConnectInfo(std::net::SocketAddr::new(ip.parse().unwrap(), 40000))
}

/// A new, empty database and a scratch folder beside it: a SQLite file, or a database on the
/// PostgreSQL test cluster (`None`, loudly, when `TEST_POSTGRES_URL` is not set outside CI).
pub async fn empty_database(postgres: bool) -> Option<(String, std::path::PathBuf)> {
    let name = format!("t_{}", unique());
    let dir = std::env::temp_dir().join(format!("token-console-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    if !postgres {
        return Some((format!("sqlite://{}/t.db", dir.display()), dir));
    }
    let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_POSTGRES_URL must be set in CI (cargo xtask test sets it)"
        );
        eprintln!("SKIPPED (PostgreSQL): TEST_POSTGRES_URL is not set; `cargo xtask test` sets it");
        return None;
    };
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .expect("connect to test cluster");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
    Some((format!("{base}/{name}"), dir))
}

/// Runs each listed test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::support::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// Log lines written by a test's own subscriber, kept to be read back.
#[derive(Clone, Default)]
pub struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
