//! The languages the service writes to people in (the pages' two: English and Simplified
//! Chinese), and the rule that picks one from a browser's `Accept-Language`: the same as the
//! pages' (`src/i18n.rs`, `Locale::from_tag`), any Chinese is Simplified Chinese, anything else
//! English.

use axum::http::{header, HeaderMap};

/// A language of the notices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    En,
    ZhCn,
}

impl Locale {
    /// The BCP 47 tag, as stored in `users.locale` and sent as `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale a stored tag names; English for none or any other.
    pub fn from_tag(tag: Option<&str>) -> Locale {
        match tag {
            Some(t) if t.to_ascii_lowercase().starts_with("zh") => Locale::ZhCn,
            _ => Locale::En,
        }
    }

    /// The language a request's `Accept-Language` prefers among ours: its ranges by weight
    /// (`q`, 1 when not given; 0 is "not this"), the first that is Chinese or English; English
    /// when it names others only. `None` when the request has no such header, or an empty one: a
    /// script signing in says nothing about the person, and what they said before stays.
    pub fn from_headers(headers: &HeaderMap) -> Option<Locale> {
        let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
        Locale::from_accept_language(value)
    }

    /// `from_headers` on the header's value.
    pub fn from_accept_language(value: &str) -> Option<Locale> {
        let mut ranges: Vec<(&str, u16)> = value
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let range = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                    .map_or(Some(1000), weight)?;
                (!range.is_empty()).then_some((range, weight))
            })
            .collect();
        if ranges.is_empty() {
            return None;
        }
        // Stable: among equal weights the header's own order decides.
        ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
        let primary = |range: &str| range.split('-').next().unwrap_or_default().to_ascii_lowercase();
        let ours = ranges
            .iter()
            .filter(|(_, w)| *w > 0)
            .find_map(|(range, _)| match primary(range).as_str() {
                "zh" => Some(Locale::ZhCn),
                "en" => Some(Locale::En),
                _ => None,
            });
        Some(ours.unwrap_or_default())
    }
}

/// A `q` value in thousandths (RFC 9110 §12.4.2: `0` to `1` with up to three decimals); `None`
/// for anything else, which drops its range.
fn weight(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Locale::{self, En, ZhCn};

    #[test]
    fn a_browser_header_picks_our_language_it_weighs_most() {
        for (header, expected) in [
            ("zh-CN,zh;q=0.9,en;q=0.8", Some(ZhCn)),
            ("zh-TW", Some(ZhCn)),
            ("zh-Hans-SG", Some(ZhCn)),
            ("en-US,en;q=0.9", Some(En)),
            ("en;q=0.5, zh-CN;q=0.8", Some(ZhCn)),
            ("fr-FR, de;q=0.8, zh;q=0.3", Some(ZhCn)),
            ("fr-FR,de;q=0.8", Some(En)),
            ("*", Some(En)),
            ("zh;q=0, en;q=0.1", Some(En)),
            ("zh;q=0", Some(En)),
            ("ZH-cn", Some(ZhCn)),
            ("zh;q=2, en", Some(En)),
            ("", None),
            (" , ", None),
        ] {
            assert_eq!(Locale::from_accept_language(header), expected, "{header:?}");
        }
    }

    #[test]
    fn stored_tags_read_back() {
        for locale in [En, ZhCn] {
            assert_eq!(Locale::from_tag(Some(locale.tag())), locale);
        }
        assert_eq!(Locale::from_tag(None), En);
        assert_eq!(Locale::from_tag(Some("fr")), En);
    }
}
