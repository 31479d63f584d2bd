//! A host app's backend signing its people in to the embedded panel: with a host key the
//! operator issued for one workspace, it asks for a one-time ticket for one of its signed-in
//! people; the panel exchanges the ticket, once and within a minute, for its session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long a ticket may wait for its exchange.
pub const TICKET_TTL_SECS: i64 = 60;

/// What a host key starts with, so a secret scanner (and a person) knows one when it leaks.
pub const HOST_KEY_PREFIX: &str = "tchk_";

/// What a ticket starts with.
pub const TICKET_PREFIX: &str = "tcht_";

/// `POST /api/host/tickets`, with `Authorization: Bearer <host key>`: a ticket for the member of
/// the key's workspace who has this email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    pub email: String,
}

/// The answer to `TicketRequest`: the ticket, for the host to hand to the panel (`mount()`'s
/// `ticket`, or `data-ticket`), and when it stops working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub ticket: String,
    #[serde(with = "crate::wire::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/host/session`: the panel exchanges its ticket for a session, once: a panel
/// mounted in the host's page from the host's origin (the session is a cookie), or the service's
/// `/embed/...` page in the host's iframe, naming the host's origin as `parent` (the session is
/// `Me::frame_session`: a cross-site frame never gets the cookie).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketExchange {
    pub ticket: String,
    /// The host's origin, which posted the ticket to the frame: only from the service's own
    /// `/embed/...` page, and only an origin the service lets frame it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}
