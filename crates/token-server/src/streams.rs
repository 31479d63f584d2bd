//! Audit streaming: every instance runs a worker that takes the lease of a destination with
//! events waiting (`store::streams::claim`), posts them in signed batches, and records the
//! outcome in the database. A destination that fails is retried with exponential backoff and
//! jitter, and paused by the service after `RETRY_FOR_HOURS`. The worker runs beside the
//! requests, never in them: a slow or dead destination holds one of its tasks, not a request.
//!
//! A destination's address is checked twice: its URL when it is added, and every address its
//! host resolves to when it is sent to (a name that resolves to the operator's own network later
//! is refused then): public addresses only, unless the operator allows private networks
//! (`--stream-to-private-networks`) or runs in development mode (`--development`, which also
//! allows `http://` to loopback).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use token_api::audit::{AuditAction, AuditEvent};
use token_api::streams::{Delivery, TestDelivery, DELIVERY_HEADER, SIGNATURE_HEADER};
use token_api::tokens::Person;
use token_api::validate::Invalid;

use crate::config::Config;
use crate::store::streams::{self as store, Target};
use crate::{db, secrets, AppState};

/// How long one delivery may take, connecting included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle worker looks for events to deliver.
const POLL: Duration = Duration::from_millis(500);
/// Destinations one instance delivers to at once.
const AT_ONCE: usize = 8;
/// The first retry's wait, doubled at each failure up to `BACKOFF_MAX`.
const BACKOFF_BASE_MS: i64 = 1_000;
const BACKOFF_MAX_MS: i64 = 10 * 60_000;

/// Which addresses a destination may resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only (the default).
    Public,
    /// Public and private networks (RFC 1918, unique local, shared address space); never
    /// loopback, link-local (a cloud's metadata service) or unspecified.
    Private,
    /// Anything, `http://` to loopback included: development mode.
    Any,
}

impl Reach {
    pub fn of(config: &Config) -> Reach {
        if config.development {
            Reach::Any
        } else if config.stream_to_private_networks {
            Reach::Private
        } else {
            Reach::Public
        }
    }

    /// Whether a destination may be sent to at `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        // An IPv4 address inside an IPv6 one is judged as itself: mapped (::ffff:a.b.c.d),
        // compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
        let ip = match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let o = v6.octets();
                if let Some(v4) = v6.to_ipv4_mapped() {
                    IpAddr::V4(v4)
                } else if (s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified())
                    || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
                {
                    IpAddr::from([o[12], o[13], o[14], o[15]])
                } else if s[0] == 0x2002 {
                    IpAddr::from([o[2], o[3], o[4], o[5]])
                } else {
                    ip
                }
            }
            v4 => v4,
        };
        // Clouds' metadata services outside link-local: AWS's IPv6 one, Alibaba's.
        let metadata =
            ip == IpAddr::from([100, 100, 100, 200]) || ip == IpAddr::from([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]);
        let (local, private) = match ip {
            IpAddr::V4(v4) => (
                v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast(),
                v4.is_private() || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64),
            ),
            IpAddr::V6(v6) => (
                v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80,
                (v6.segments()[0] & 0xfe00) == 0xfc00,
            ),
        };
        match self {
            Reach::Any => true,
            Reach::Private => !local && !metadata,
            Reach::Public => !local && !private && !metadata,
        }
    }

    /// A destination URL as the service will send to it: its form (`destination_url`), then
    /// `https://` (or `http://` to loopback in development mode) and, for an address written
    /// out, one this reach allows.
    pub fn check_url(self, url: &str) -> Result<String, Invalid> {
        let url = token_api::streams::destination_url(url)?;
        let parsed = reqwest::Url::parse(url).map_err(|_| Invalid::NotAUrl)?;
        let host = parsed.host().ok_or(Invalid::NotAUrl)?;
        let ip = match host {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(name) => (name.eq_ignore_ascii_case("localhost")).then_some(IpAddr::from([127, 0, 0, 1])),
        };
        let loopback = ip.is_some_and(|ip| ip.is_loopback());
        let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback && self == Reach::Any);
        if !scheme_ok || ip.is_some_and(|ip| !self.allows(ip)) {
            return Err(Invalid::NotAUrl);
        }
        Ok(url.to_owned())
    }
}

/// Resolves a destination's host and keeps only the addresses its reach allows.
struct Resolver(Reach);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| reach.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err("the destination's host resolves to no address it may be sent to".into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries go out with: no redirects (one could point at the operator's
/// network), timeouts, and the address check.
#[derive(Clone, Debug)]
pub struct Sender {
    http: reqwest::Client,
    reach: Reach,
}

impl Sender {
    pub fn new(config: &Config) -> anyhow::Result<Sender> {
        let reach = Reach::of(config);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment (HTTPS_PROXY) would resolve the destination's name
            // itself, past the address check.
            .no_proxy()
            .connect_timeout(SEND_TIMEOUT)
            .timeout(SEND_TIMEOUT)
            .dns_resolver(Arc::new(Resolver(reach)))
            .user_agent(concat!("token-console/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Sender { http, reach })
    }

    /// Posts one delivery, signed; the HTTP status, or why there was none.
    pub async fn send(&self, target: &Target, delivery: &Delivery) -> Result<u16, String> {
        // An address written out in the URL never meets the resolver: checked here again.
        self.reach
            .check_url(&target.url)
            .map_err(|_| "the destination's address is not one it may be sent to".to_owned())?;
        let body = serde_json::to_vec(delivery).expect("a delivery serialises");
        let t = chrono::Utc::now().timestamp();
        let mut request = self
            .http
            .post(&target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&target.secret, t, &body))
            .header(DELIVERY_HEADER, &delivery.id);
        for (name, value) in &target.headers {
            request = request.header(name, value);
        }
        let answer = request.body(body).send().await.map_err(|e| describe(&e))?;
        let status = answer.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else if status.is_redirection() {
            Err(format!("HTTP {} (redirects are not followed)", status.as_u16()))
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}

/// What went wrong with a request, in a few words and nothing the destination sent.
fn describe(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if e.to_string().contains("resolves to no address") {
            return "the destination's host resolves to no address it may be sent to".to_owned();
        }
        source = e.source();
    }
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    }
}

/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", secrets::hex(&mac.finalize().into_bytes()))
}

/// The wait before the next attempt after `failures` failures in a row: doubling from a second
/// to ten minutes, each wait a random half to whole of that (so instances and destinations that
/// failed together do not come back together).
pub fn backoff_ms(failures: i32) -> i64 {
    let full = BACKOFF_BASE_MS
        .saturating_mul(1_i64 << failures.clamp(0, 20))
        .min(BACKOFF_MAX_MS);
    let [r] = secrets::random_bytes::<1>();
    full / 2 + full / 2 * i64::from(r) / 255
}

/// A delivery's id: the same for the same events, so a receiver can tell a retry.
fn delivery_id(destination: &str, keys: &[(i64, String)]) -> String {
    let ids: Vec<&str> = keys.iter().map(|(_, id)| id.as_str()).collect();
    let digest = secrets::digest(&format!("{destination} {}", ids.join(" ")));
    format!("dl-{}", &digest[..24.min(digest.len())])
}

/// Starts this instance's worker on the current runtime; it ends when the runtime does, or at
/// `AppState::stop_streaming` (deliveries under way are dropped unanswered: their leases run out
/// and another instance sends them again).
pub fn start(state: &AppState) {
    let state = state.clone();
    let mut stop = state.stream_stop.subscribe();
    let owner = format!("i-{}", secrets::random_id());
    tokio::spawn(async move {
        let mut deliveries = tokio::task::JoinSet::new();
        loop {
            while deliveries.try_join_next().is_some() {}
            let idle = if deliveries.len() >= AT_ONCE {
                true
            } else {
                match store::claim(&state.db.writer, &state.stream_key, &owner, db::now_ms()).await {
                    Ok(Some(target)) => {
                        let (state, owner) = (state.clone(), owner.clone());
                        deliveries.spawn(async move { deliver(&state, &owner, target).await });
                        false
                    }
                    Ok(None) => true,
                    Err(error) => {
                        tracing::warn!(%error, "looking for audit events to stream failed; trying again");
                        true
                    }
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => return,
                }
            } else if *stop.borrow() {
                return;
            }
        }
    });
}

/// Delivers a claimed destination's events, batch after batch, until none wait, one fails, or
/// the lease is lost.
async fn deliver(state: &AppState, owner: &str, target: Target) {
    loop {
        let (keys, events) = match store::next_batch(&state.db.pool, &target).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, destination = %target.id, "reading an audit stream's events failed");
                let _ = store::release(&state.db.writer, &target, owner).await;
                return;
            }
        };
        if keys.is_empty() {
            let _ = store::release(&state.db.writer, &target, owner).await;
            return;
        }
        let delivery = Delivery {
            id: delivery_id(&target.id, &keys),
            workspace: target.workspace_id.clone(),
            test: false,
            events,
        };
        let started = Instant::now();
        // Rows whose events the retention purged carry nothing: cleared without a post.
        let sent = if delivery.events.is_empty() {
            Ok(0)
        } else {
            state.streams.send(&target, &delivery).await
        };
        metrics::histogram!("audit_stream_delivery_seconds").record(started.elapsed().as_secs_f64());
        let now = db::now_ms();
        match sent {
            Ok(_) => {
                metrics::counter!("audit_stream_deliveries_total", "outcome" => "delivered").increment(1);
                metrics::counter!("audit_stream_events_total").increment(delivery.events.len() as u64);
                match store::delivered(
                    &state.db.writer,
                    &target,
                    owner,
                    &keys,
                    !delivery.events.is_empty(),
                    now,
                )
                .await
                {
                    // A full batch: more are likely waiting. A partial one: the lease goes back,
                    // and events gather until the next look (`POLL`), so a busy workspace's
                    // events go a few hundred at a time rather than a few each, which cost the
                    // token endpoint a fifth of its throughput under load.
                    Ok(true) if keys.len() == token_api::streams::BATCH_MAX_EVENTS => continue,
                    Ok(true) => {
                        let _ = store::release(&state.db.writer, &target, owner).await;
                        return;
                    }
                    // Paused, removed, or the lease lost: give it back if it is still ours, so
                    // a resume is delivered to at once, not when the lease runs out.
                    Ok(false) => {
                        let _ = store::release(&state.db.writer, &target, owner).await;
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(%error, destination = %target.id, "recording an audit stream's delivery failed; it will be sent again");
                        return;
                    }
                }
            }
            Err(error) => {
                metrics::counter!("audit_stream_deliveries_total", "outcome" => "failed").increment(1);
                let wait = backoff_ms(target.failures);
                tracing::warn!(destination = %target.id, url = %target.shown, %error, retry_in_ms = wait, "an audit stream delivery failed");
                match store::failed(&state.db.writer, &target, owner, &error, wait, now).await {
                    Ok(true) => {
                        tracing::warn!(destination = %target.id, "an audit stream failed for a day and was paused")
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "recording an audit stream's failure failed"),
                }
                return;
            }
        }
    }
}

/// Sends one test event to a destination, now, outside its outbox: what it answered.
pub async fn send_test(state: &AppState, target: &Target, admin: Person) -> TestDelivery {
    let event = AuditEvent {
        id: format!("test-{}", secrets::random_id()),
        at: chrono::Utc::now(),
        action: AuditAction::StreamTested,
        actor: Some(admin),
        by_operator: false,
        by_provider: false,
        by_secret_scanning: false,
        owner: None,
        token_id: None,
        token_name: None,
        ip: None,
        reason: Some("a test event".to_owned()),
        other_token: None,
        until: None,
    };
    let delivery = Delivery {
        id: format!("dl-test-{}", secrets::random_id()),
        workspace: target.workspace_id.clone(),
        test: true,
        events: vec![event],
    };
    match state.streams.send(target, &delivery).await {
        Ok(status) => TestDelivery {
            delivered: true,
            status: Some(status),
            error: None,
        },
        Err(error) => TestDelivery {
            delivered: false,
            status: error
                .strip_prefix("HTTP ")
                .and_then(|s| s.get(..3))
                .and_then(|s| s.parse().ok()),
            error: Some(error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_reach_refuses_the_operators_own_networks() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(!Reach::Public.allows(ip.parse().unwrap()), "{ip}");
        }
        assert!(Reach::Public.allows("203.0.113.7".parse().unwrap()));
        assert!(Reach::Private.allows("10.1.2.3".parse().unwrap()));
        assert!(!Reach::Private.allows("169.254.169.254".parse().unwrap()));
        assert!(!Reach::Private.allows("127.0.0.1".parse().unwrap()));
        assert!(Reach::Any.allows("127.0.0.1".parse().unwrap()));
        // IPv4 inside IPv6, and metadata services outside link-local.
        for ip in [
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "::10.0.0.1",
            "100.100.100.200",
            "fd00:ec2::254",
        ] {
            assert!(!Reach::Public.allows(ip.parse().unwrap()), "{ip}");
            assert!(
                !Reach::Private.allows(ip.parse().unwrap()) || ip == "::10.0.0.1",
                "{ip}"
            );
        }
        assert!(Reach::Public.allows("2001:4860:4860::8888".parse().unwrap()));
    }

    #[test]
    fn urls_are_https_and_http_only_to_loopback_in_development() {
        assert!(Reach::Public.check_url("https://siem.example.com/hec").is_ok());
        assert_eq!(
            Reach::Public.check_url("http://siem.example.com/"),
            Err(Invalid::NotAUrl)
        );
        assert_eq!(Reach::Public.check_url("https://127.0.0.1/"), Err(Invalid::NotAUrl));
        assert_eq!(Reach::Public.check_url("https://localhost/"), Err(Invalid::NotAUrl));
        assert_eq!(
            Reach::Public.check_url("https://[::ffff:169.254.169.254]/"),
            Err(Invalid::NotAUrl)
        );
        assert_eq!(Reach::Private.check_url("http://127.0.0.1:9/"), Err(Invalid::NotAUrl));
        assert!(Reach::Any.check_url("http://127.0.0.1:9/").is_ok());
        assert_eq!(Reach::Any.check_url("http://10.0.0.1/"), Err(Invalid::NotAUrl));
    }

    #[test]
    fn the_signature_is_stripes_shape() {
        // Python: hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("k", 1_700_000_000, b"{}"),
            "t=1700000000,v1=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146"
        );
    }

    #[test]
    fn backoff_doubles_to_ten_minutes_with_jitter() {
        for (failures, full) in [(0, 1_000), (3, 8_000), (30, 600_000)] {
            let wait = backoff_ms(failures);
            assert!(wait >= full / 2 && wait <= full, "{failures}: {wait}");
        }
    }
}
