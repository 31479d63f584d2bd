//! Who sent a request, as far as the service can believe it, and which request it was.
//!
//! - The client's address: the peer's, unless the peer is a reverse proxy the operator trusts
//!   (`--trusted-proxies`); then the forwarding chain of the one header those proxies set
//!   (`--forwarded-header`: `X-Forwarded-For` or `Forwarded`) is walked back from the nearest
//!   hop, and the first address that is not a trusted proxy is the client. Nothing beyond it is believed: a client can write anything at the far end of the
//!   chain. The audit trail, sign-in throttling and "last used from" all read this address.
//! - A request id on every request: a trusted proxy's `x-request-id` when it sent a well-formed
//!   one, else a new one (`tower_http::request_id`, with `NewRequestId`). It is returned in
//!   `x-request-id`, carried by every log line of the
//!   request (`WithRequestId`, from the task the request runs in), and is the `instance` of every
//!   problem body.
//! - The request's count and latency for `/metrics`, by route template and status.
//! - One access-log line per request (target `token_server::access`): method, route template,
//!   status, latency, request id and client. Never the query string or a body: a secret travels
//!   in neither on this service, and a route template cannot carry one.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::config::ForwardedHeader;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id taken from a proxy.
const REQUEST_ID_MAX: usize = 64;

tokio::task_local! {
    /// The id of the request this task serves.
    static REQUEST_ID: String;
}

/// The id of the request being served, where there is one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The client's address as the service believes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The reverse proxies whose forwarding header is believed (none by default), and which header.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies {
    nets: Arc<Vec<IpNet>>,
    /// `Forwarded` rather than `X-Forwarded-For`.
    rfc7239: bool,
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>, header: ForwardedHeader) -> TrustedProxies {
        if nets.iter().any(|n| n.prefix_len() == 0) {
            tracing::warn!(
                "--trusted-proxies trusts every address: any client chooses the address it is audited and throttled under"
            );
        }
        TrustedProxies {
            nets: Arc::new(nets),
            rfc7239: header == ForwardedHeader::Forwarded,
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarding_chain(headers, self.rfc7239).into_iter().rev() {
            // An obfuscated or unknown hop ends what can be known.
            let Some(hop) = hop else { break };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// The addresses a request passed through, farthest first, from `Forwarded`'s `for=` (RFC 7239)
/// or from `X-Forwarded-For`. `None` for a hop that names no address (`unknown`, `_hidden`).
fn forwarding_chain(headers: &HeaderMap, rfc7239: bool) -> Vec<Option<IpAddr>> {
    let name = if rfc7239 { "forwarded" } else { "x-forwarded-for" };
    let elements = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    if !rfc7239 {
        return elements.map(address).collect();
    }
    elements
        .map(|element| {
            let node = element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim().eq_ignore_ascii_case("for").then_some(value.trim())
            });
            node.and_then(address)
        })
        .collect()
}

/// An address as a forwarding header writes it: `192.0.2.1`, `192.0.2.1:4711`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn address(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest
            .split_once(']')?
            .0
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical());
    }
    node.parse::<SocketAddr>().ok().map(|a| a.ip().to_canonical())
}

/// A request id a proxy may set: 1 to 64 of `A-Za-z0-9._-`, so it is safe in a header, a log
/// line and a URI reference as it is.
fn well_formed(id: &str) -> bool {
    (1..=REQUEST_ID_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new request id: 128 random bits, in hex.
fn new_request_id() -> String {
    crate::secrets::hex(&crate::secrets::random_bytes::<16>())
}

/// A method as a metric label: the standard ones by name, any other as `OTHER`, so a client
/// sending made-up methods cannot grow the metrics without bound.
fn method_label(method: &axum::http::Method) -> String {
    use axum::http::Method;
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    if known.contains(method) {
        method.as_str().to_owned()
    } else {
        "OTHER".to_owned()
    }
}

/// The outer middleware: the client's address for what runs inside; and a request id sent in
/// is kept only from a trusted proxy and only when well formed (`SetRequestIdLayer`, inside,
/// makes a new one, `NewRequestId`, for a request that comes without).
pub async fn client_context(State(proxies): State<TrustedProxies>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let from_proxy = peer.is_some_and(|p| proxies.trusts(p));
    if let Some(client) = peer.map(|p| proxies.client(p, req.headers())) {
        req.extensions_mut().insert(ClientAddr(client));
    }
    let kept = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|id| from_proxy && well_formed(id));
    if !kept {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    next.run(req).await
}

/// Makes the id of a request that came without one (`tower_http::request_id`).
#[derive(Clone, Copy, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id()).ok().map(RequestId::new)
    }
}

/// The inner middleware: the request id for every log line of the request, its count and
/// latency, and the access-log line.
pub async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .map_or_else(new_request_id, str::to_owned);
    let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
    // The id is the task's for as long as the request runs, and every log line written meanwhile
    // carries it (`WithRequestId`): no span entered and left at every poll of the request, which
    // cost half of what the access log did.
    REQUEST_ID
        .scope(id, async move {
            let response = next.run(req).await;
            let status = response.status().as_u16().to_string();
            let labels = [
                ("method", method_label(&method)),
                ("route", route.clone()),
                ("status", status),
            ];
            metrics::counter!("http_requests_total", &labels).increment(1);
            metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
            tracing::info!(
                target: "token_server::access",
                method = method.as_str(),
                route = route.as_str(),
                status = response.status().as_u16(),
                latency_us = started.elapsed().as_micros() as u64,
                client = client.map(tracing::field::display),
            );
            response
        })
        .await
}

/// A log line's format, with the request's id in front when the line is written while a request
/// runs: `"request_id":"…",` first in a JSON object, `request_id=… ` before a text line. The id is
/// `A-Za-z0-9._-` only (`well_formed`, or hex), so it needs no escaping.
pub struct WithRequestId<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for WithRequestId<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let Some(id) = current_request_id() else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"request_id\":\"{id}\",{rest}"),
            None => write!(writer, "request_id={id} {line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_only_up_to_the_first_untrusted_hop() {
        let nets = || vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let proxies = TrustedProxies::new(nets(), ForwardedHeader::XForwardedFor);
        let spoof = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]);
        // An untrusted peer: its header is ignored.
        assert_eq!(proxies.client(ip("198.51.100.2"), &spoof), ip("198.51.100.2"));
        // A trusted proxy: the nearest untrusted hop is the client; what a client wrote before
        // it (6.6.6.6) is not believed.
        assert_eq!(proxies.client(ip("10.1.2.3"), &spoof), ip("203.0.113.7"));
        // Two trusted hops, then the client.
        let chain = headers(&[("x-forwarded-for", "203.0.113.7, 10.9.9.9")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &chain), ip("203.0.113.7"));
        // Only the header the proxies set is read: a `Forwarded` a client wrote, passed through
        // by a proxy that sets X-Forwarded-For, says nothing.
        let both = headers(&[
            ("forwarded", r#"for="[2001:db8::7]:4711";proto=https, for=10.0.0.5"#),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(proxies.client(ip("::1"), &both), ip("203.0.113.7"));
        // With Forwarded chosen: ports, quotes and brackets; X-Forwarded-For is not read.
        let rfc7239 = TrustedProxies::new(nets(), ForwardedHeader::Forwarded);
        assert_eq!(rfc7239.client(ip("::1"), &both), ip("2001:db8::7"));
        // An obfuscated hop ends the walk at the last known proxy.
        let hidden = headers(&[("forwarded", "for=_hidden, for=10.0.0.5")]);
        assert_eq!(rfc7239.client(ip("10.1.2.3"), &hidden), ip("10.0.0.5"));
        // IPv4 seen through an IPv6 socket is the IPv4 address.
        assert_eq!(proxies.client(ip("::ffff:198.51.100.2"), &spoof), ip("198.51.100.2"));
        // No proxies configured: nobody is believed.
        assert_eq!(TrustedProxies::default().client(ip("10.1.2.3"), &spoof), ip("10.1.2.3"));
        // Trusting everyone reaches the far end of the chain: what a client wrote.
        let everyone = TrustedProxies::new(vec!["0.0.0.0/0".parse().unwrap()], ForwardedHeader::XForwardedFor);
        assert_eq!(everyone.client(ip("198.51.100.2"), &spoof), ip("6.6.6.6"));
    }

    #[test]
    fn a_proxy_s_request_id_is_taken_only_when_well_formed() {
        assert!(well_formed("3f2a9c"));
        assert!(well_formed("req_1.2-x"));
        for bad in ["", "a b", "line\nbreak", "ünïcode", &"x".repeat(65)] {
            assert!(!well_formed(bad), "{bad:?}");
        }
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(well_formed(&id));
        assert_ne!(id, new_request_id());
    }
}
