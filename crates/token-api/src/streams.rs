//! Audit streaming: the destinations a workspace's audit trail is delivered to (a SIEM's HTTP
//! collector, a data lake's webhook), what a delivery carries and how it is signed.
//!
//! A delivery is a `POST` of a JSON `Delivery` with these headers:
//! - `Token-Console-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`: the HMAC, keyed with the
//!   destination's secret, of `<t>.<raw body>`. A receiver recomputes it, compares in constant
//!   time, and refuses a `t` more than `REPLAY_WINDOW_SECONDS` from its clock.
//! - `Token-Console-Delivery: <id>`: the batch's id, the same on every retry of that batch.
//! - the destination's own headers (a Splunk HEC token, a Datadog API key).
//!
//! Every event is delivered at least once, its `id` the key to drop a repeat by. Events come in
//! the order of their time (`at`), a batch's retry before anything newer; with several
//! instances on PostgreSQL an event whose transaction committed late may come after a later one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::AuditEvent;
use crate::validate::Invalid;

/// The most destinations one workspace may stream to.
pub const MAX_DESTINATIONS: usize = 3;
/// The most headers of its own one destination may send.
pub const MAX_HEADERS: usize = 10;
/// The longest URL of a destination, and the longest value of one of its headers.
pub const URL_MAX_CHARS: usize = 2_000;
pub const HEADER_VALUE_MAX_CHARS: usize = 2_000;
/// How far from its clock a receiver should accept a delivery's signed time.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;
/// The headers a delivery is signed and named with.
pub const SIGNATURE_HEADER: &str = "Token-Console-Signature";
pub const DELIVERY_HEADER: &str = "Token-Console-Delivery";
/// The most events one delivery carries.
pub const BATCH_MAX_EVENTS: usize = 500;
/// How long a destination that fails is retried before it is paused.
pub const RETRY_FOR_HOURS: i64 = 24;

/// One header a destination sends with every delivery (`Authorization: Splunk <token>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StreamHeader {
    pub name: String,
    pub value: String,
}

/// `POST /api/workspaces/{ws}/admin/streams`: a new destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDestination {
    /// `https://...`; `http://` only to a loopback address, and only where the operator runs
    /// the service in development mode.
    pub url: String,
    /// Headers sent with every delivery; kept sealed, and never shown again (only their names).
    #[serde(default)]
    pub headers: Vec<StreamHeader>,
}

impl NewDestination {
    /// The field at fault and why, or `Ok`. The service checks the URL's address further.
    pub fn check(&self) -> Result<(), (&'static str, Invalid)> {
        destination_url(&self.url).map_err(|e| ("url", e))?;
        check_headers(&self.headers).map_err(|e| ("headers", e))
    }
}

/// The URL as typed, checked for its form: `http(s)://host...`, printable ASCII, no
/// credentials, at most `URL_MAX_CHARS`.
pub fn destination_url(url: &str) -> Result<&str, Invalid> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Invalid::Required);
    }
    if url.chars().count() > URL_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(Invalid::NotAUrl)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // A backslash reads as a slash to URL parsers: refused, so what is shown is what is sent.
    let printable = url.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if authority.is_empty() || authority.contains('@') || !printable {
        return Err(Invalid::NotAUrl);
    }
    Ok(url)
}

/// Header names the service sets itself, or that would change how the request is read.
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "content-type",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "token-console-signature",
    "token-console-delivery",
];

/// A destination's own headers: at most `MAX_HEADERS`, each an HTTP token name not reserved
/// and not listed twice, with a value of printable characters.
pub fn check_headers(headers: &[StreamHeader]) -> Result<(), Invalid> {
    if headers.len() > MAX_HEADERS {
        return Err(Invalid::NotAHeader);
    }
    for (i, h) in headers.iter().enumerate() {
        let name_ok = !h.name.is_empty()
            && h.name.len() <= 100
            && h.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
            && !RESERVED_HEADERS.contains(&h.name.to_ascii_lowercase().as_str());
        if !name_ok {
            return Err(Invalid::NotAHeader);
        }
        if headers[..i].iter().any(|o| o.name.eq_ignore_ascii_case(&h.name)) {
            return Err(Invalid::Duplicate);
        }
        if h.value.is_empty() || h.value.chars().count() > HEADER_VALUE_MAX_CHARS {
            return Err(Invalid::NotAHeader);
        }
        if h.value.chars().any(|c| c.is_control()) {
            return Err(Invalid::ControlCharacters);
        }
    }
    Ok(())
}

crate::wire_enum! {
    /// Whether a destination is being delivered to.
    pub enum StreamState {
        Active = "active",
        /// Paused by an admin, or by the service after `RETRY_FOR_HOURS` of failures (events
        /// are kept for it, up to the service's bound, and delivered once it is resumed).
        Paused = "paused",
    }
}

/// A destination as admins see it: never its secret or its headers' values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Destination {
    pub id: String,
    pub url: String,
    /// The names of the headers it sends; their values are never shown again.
    pub header_names: Vec<String>,
    pub state: StreamState,
    /// The service paused it after failing for a day (not an admin).
    #[serde(default)]
    pub paused_by_service: bool,
    #[serde(with = "crate::wire::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed (`HTTP 500`, `timed out`), while it keeps failing.
    pub last_error: Option<String>,
    /// When it started failing, while it does.
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub failing_since: Option<DateTime<Utc>>,
    /// When the next attempt is due, while it fails.
    #[serde(default, with = "crate::wire::rfc3339::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Events waiting to be delivered to it.
    pub backlog: u64,
    /// Events dropped because its backlog passed the service's bound.
    pub dropped: u64,
}

/// `GET /api/workspaces/{ws}/admin/streams`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DestinationList {
    pub destinations: Vec<Destination>,
}

/// The answer to adding a destination: the secret deliveries are signed with, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedDestination {
    pub destination: Destination,
    pub secret: String,
}

/// `PATCH /api/workspaces/{ws}/admin/streams/{id}`: pause or resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DestinationChange {
    pub state: StreamState,
}

/// The answer to sending a test event: what the destination said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestDelivery {
    /// It answered 2xx.
    pub delivered: bool,
    /// Its HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why it failed (`HTTP 401`, `timed out`, `connection refused`).
    pub error: Option<String>,
}

/// The body of one delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// The delivery's id, as in `Token-Console-Delivery`.
    pub id: String,
    pub workspace: String,
    /// A test event sent by an admin, not part of the audit trail.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    pub events: Vec<AuditEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value: &str) -> StreamHeader {
        StreamHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        assert_eq!(
            destination_url(" https://siem.example.com/hec "),
            Ok("https://siem.example.com/hec")
        );
        assert_eq!(destination_url("http://127.0.0.1:9000/"), Ok("http://127.0.0.1:9000/"));
        assert_eq!(destination_url(""), Err(Invalid::Required));
        for bad in [
            "https://x\\receiver\\KEY",
            "ftp://x",
            "https://",
            "https://u:p@x/",
            "https://x/a b",
            "siem.example.com",
        ] {
            assert_eq!(destination_url(bad), Err(Invalid::NotAUrl), "{bad}");
        }
        assert_eq!(
            destination_url(&format!("https://x/{}", "a".repeat(URL_MAX_CHARS))),
            Err(Invalid::TooLong)
        );
    }

    #[test]
    fn headers_are_names_of_our_own_with_plain_values() {
        assert_eq!(
            check_headers(&[header("Authorization", "Splunk abc"), header("DD-API-KEY", "k")]),
            Ok(())
        );
        assert_eq!(
            check_headers(&[header("Content-Type", "text/plain")]),
            Err(Invalid::NotAHeader)
        );
        assert_eq!(
            check_headers(&[header("token-console-signature", "x")]),
            Err(Invalid::NotAHeader)
        );
        assert_eq!(check_headers(&[header("Bad Name", "x")]), Err(Invalid::NotAHeader));
        assert_eq!(check_headers(&[header("X-A", "")]), Err(Invalid::NotAHeader));
        assert_eq!(
            check_headers(&[header("X-A", "a\r\nX-B: b")]),
            Err(Invalid::ControlCharacters)
        );
        assert_eq!(
            check_headers(&[header("X-A", "1"), header("x-a", "2")]),
            Err(Invalid::Duplicate)
        );
        let many: Vec<_> = (0..=MAX_HEADERS).map(|i| header(&format!("X-{i}"), "v")).collect();
        assert_eq!(check_headers(&many), Err(Invalid::NotAHeader));
    }
}
