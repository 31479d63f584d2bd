//! Dates for people, in their locale and their time zone: calendar dates in the browser's words
//! (`Intl.DateTimeFormat`), times and zones from chrono. Relative days stay
//! the messages' own: `Intl.RelativeTimeFormat` cost 0.2 KiB brotli more (0.5 KiB with its
//! formatters kept per locale), measured, and the bundle's ceiling only goes down.

use chrono::{DateTime, Local, Timelike, Utc};
use wasm_bindgen::JsValue;

use crate::i18n::Locale;

/// A calendar date in the browser's time zone: "Nov 22, 2026" or "2026年11月22日".
pub fn date(locale: Locale, at: DateTime<Utc>) -> String {
    let when = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let text = DATE_FORMATS.with(|made| {
        let mut made = made.borrow_mut();
        let format = match made.iter().find(|(l, _)| *l == locale) {
            Some((_, format)) => format.clone(),
            None => {
                let options =
                    js_sys::JSON::parse(r#"{"year":"numeric","month":"short","day":"numeric"}"#).unwrap_or_default();
                let tags = js_sys::Array::of1(&locale.tag().into());
                let format = js_sys::Intl::DateTimeFormat::new(&tags, &options.into()).format();
                made.push((locale, format.clone()));
                format
            }
        };
        format.call1(&JsValue::UNDEFINED, &when)
    });
    text.ok().and_then(|s| s.as_string()).unwrap_or_default()
}

thread_local! {
    /// Each locale's `Intl.DateTimeFormat`, made once: `toLocaleDateString` makes one per call,
    /// 55 µs each, and a table's window formats about 300 dates (the table benchmark's render of
    /// 10,000 rows spent 17 of its 50 ms of script there). A formatter keeps the time zone it was
    /// made in: a machine whose zone changes while the page is open shows dates in the old zone
    /// and times (chrono's `Local`) in the new one until a reload.
    static DATE_FORMATS: std::cell::RefCell<Vec<(Locale, js_sys::Function)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A time of day in the browser's time zone, 24-hour: "14:05".
pub fn time(at: DateTime<Utc>) -> String {
    // Not `format("%H:%M")`: chrono's strftime machinery would be linked for this one use.
    let local = at.with_timezone(&Local);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The browser's offset from UTC at `at`: "UTC", "UTC+8", "UTC-5", "UTC+5:30".
pub fn zone(at: DateTime<Utc>) -> String {
    offset_name(at.with_timezone(&Local).offset().local_minus_utc())
}

fn offset_name(secs: i32) -> String {
    let (sign, secs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
    match (secs / 3600, secs % 3600 / 60) {
        (0, 0) => "UTC".to_owned(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    }
}

/// A time of day with its zone: "14:05 UTC+8".
pub fn time_zoned(at: DateTime<Utc>) -> String {
    format!("{} {}", time(at), zone(at))
}

/// Date, time and zone: "Nov 22, 2026, 14:05 UTC+8" or "2026年11月22日 14:05 UTC+8".
pub fn full(locale: Locale, at: DateTime<Utc>) -> String {
    let sep = match locale {
        Locale::En => ", ",
        Locale::ZhCn => " ",
    };
    format!("{}{sep}{}", date(locale, at), time_zoned(at))
}

/// Whole days from `now` to `at` (negative in the past), counted in calendar days.
pub fn days_between(now: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (at.with_timezone(&Local).date_naive() - now.with_timezone(&Local).date_naive()).num_days()
}

/// "in 12 days", "3 days ago", "Today"; "12天后", "3天前", "今天".
pub fn relative(locale: Locale, now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let t = locale.messages();
    match days_between(now, at) {
        0 => t.today.to_owned(),
        d if d > 0 => (t.in_days)(d),
        d => (t.days_ago)(-d),
    }
}

/// `text`, cut to `max` characters with "…" in place of the rest.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

/// Text someone else wrote, set in running text as an isolate (U+2068 … U+2069, the plain-text
/// `<bdi>`): its own direction, never reordering the words around it.
pub fn isolate(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_by_characters_not_bytes() {
        assert_eq!(shorten("short", 40), "short");
        assert_eq!(shorten(&"x".repeat(40), 40), "x".repeat(40));
        assert_eq!(shorten(&"x".repeat(41), 40), format!("{}…", "x".repeat(39)));
        assert_eq!(shorten("部署机器人部署机器人", 5), "部署机器…");
    }

    #[test]
    fn times_are_24_hour_with_leading_zeros_in_local_time() {
        for (h, m) in [(0, 0), (7, 5), (14, 5), (23, 59)] {
            let at = Utc::now().with_hour(h).unwrap().with_minute(m).unwrap();
            assert_eq!(time(at), at.with_timezone(&Local).format("%H:%M").to_string());
        }
    }

    #[test]
    fn zones_are_named_by_their_offset() {
        assert_eq!(offset_name(0), "UTC");
        assert_eq!(offset_name(8 * 3600), "UTC+8");
        assert_eq!(offset_name(-5 * 3600), "UTC-5");
        assert_eq!(offset_name(5 * 3600 + 1800), "UTC+5:30");
        assert_eq!(offset_name(-(3 * 3600 + 1800)), "UTC-3:30");
    }
}

/// The browser's words, so run by `cargo test --target wasm32-unknown-unknown`.
#[cfg(all(test, target_arch = "wasm32"))]
mod in_the_browser {
    use chrono::{Local, TimeZone, Utc};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::{date, relative, Locale};

    #[test]
    fn dates_follow_the_locale() {
        let noon = |y, m, d| Local.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(date(Locale::En, noon(2026, 11, 2)), "Nov 2, 2026");
        assert_eq!(date(Locale::ZhCn, noon(2026, 11, 2)), "2026年11月2日");
        assert_eq!(date(Locale::En, noon(2027, 1, 31)), "Jan 31, 2027");
    }

    #[test]
    fn relative_days_read_naturally() {
        let now = Utc::now();
        let day = chrono::Duration::days(1);
        assert_eq!(relative(Locale::En, now, now), "Today");
        assert_eq!(relative(Locale::En, now, now + day * 12), "in 12 days");
        assert_eq!(relative(Locale::En, now, now + day), "in 1 day");
        assert_eq!(relative(Locale::En, now, now - day * 3), "3 days ago");
        assert_eq!(relative(Locale::ZhCn, now, now + day * 12), "12 天后");
        assert_eq!(relative(Locale::ZhCn, now, now - day * 3), "3 天前");
    }
}
