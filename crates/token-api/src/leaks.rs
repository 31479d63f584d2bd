//! Leaked tokens reported by a secret scanning service (GitHub's secret scanning partner
//! program): the report's body, the answer it expects, and the words a leaked token's row is
//! disabled with, which the pages read the place of the leak back from.

use serde::{Deserialize, Serialize};

/// The most matches one report may carry: GitHub batches a few hundred at most.
pub const MAX_MATCHES: usize = 1_000;

/// The longest place of a leak kept (a URL on GitHub); a longer one is left out.
pub const LOCATION_MAX_CHARS: usize = 500;

/// How the reason of a leaked token's row starts; the place follows (`found public at URL`).
pub const FOUND_PUBLIC_AT: &str = "found public at ";

/// The reason of a leaked token's row when the report named no usable place.
pub const FOUND_PUBLIC: &str = "found public";

/// One match in a report: a string that looks like one of our tokens, and where it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeakMatch {
    /// The string found, as found.
    pub token: String,
    /// The token type the service registered with the scanner, echoed back in the answer.
    #[serde(rename = "type")]
    pub token_type: String,
    /// Where it was found (`https://github.com/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What it was found in (`content`, `commit`, `pull_request_description`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

crate::wire_enum! {
    /// What the service says of a match: one of its tokens (live, disabled or expired), or not.
    pub enum LeakLabel {
        TruePositive = "true_positive",
        FalsePositive = "false_positive",
    }
}

/// The answer for one match, in the report's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeakVerdict {
    pub token_raw: String,
    pub token_type: String,
    pub label: LeakLabel,
}

/// The place of a leak worth keeping and showing: an `https://` URL with a host, of at most
/// `LOCATION_MAX_CHARS` printable ASCII characters (a URL's other characters travel
/// percent-encoded, so no space, control or direction-changing character gets in); surrounding
/// space trimmed.
pub fn usable_location(url: &str) -> Option<&str> {
    let url = url.trim();
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let clean = url.bytes().all(|b| b.is_ascii_graphic());
    (!host.is_empty() && clean && url.len() <= LOCATION_MAX_CHARS).then_some(url)
}

/// The reason a leaked token is disabled with, naming the place where there is a usable one.
pub fn leak_reason(url: Option<&str>) -> String {
    match url.and_then(usable_location) {
        Some(place) => format!("{FOUND_PUBLIC_AT}{place}"),
        None => FOUND_PUBLIC.to_owned(),
    }
}

/// The place named by a leaked token's reason (`leak_reason`), if it names one.
pub fn leak_location(reason: &str) -> Option<&str> {
    reason.strip_prefix(FOUND_PUBLIC_AT).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usable_place_is_an_https_url_and_round_trips_through_the_reason() {
        let url = "https://github.com/acme/app/blob/abc/config.yml";
        assert_eq!(leak_reason(Some(url)), format!("found public at {url}"));
        assert_eq!(leak_location(&leak_reason(Some(&format!("  {url}\n")))), Some(url));
        for bad in [
            "http://github.com/x",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://github.com/a b",
            "https://github.com/\u{202e}x",
            "",
        ] {
            assert_eq!(leak_reason(Some(bad)), "found public", "{bad:?}");
        }
        let long = format!("https://github.com/{}", "a".repeat(LOCATION_MAX_CHARS));
        assert_eq!(leak_reason(Some(&long)), "found public");
        assert_eq!(leak_reason(None), "found public");
        assert_eq!(leak_location("found public"), None);
        assert_eq!(leak_location("compromised"), None);
    }
}
