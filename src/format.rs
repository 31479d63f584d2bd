//! Dates for people, in their locale and their time zone.

use chrono::{DateTime, Datelike, Local, Utc};

use crate::i18n::Locale;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date in the browser's time zone: "Nov 22, 2026" or "2026年11月22日".
pub fn date(locale: Locale, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local);
    date_parts(locale, local.year(), local.month(), local.day())
}

fn date_parts(locale: Locale, year: i32, month: u32, day: u32) -> String {
    match locale {
        Locale::En => format!("{} {day}, {year}", MONTHS[(month as usize).saturating_sub(1) % 12]),
        Locale::ZhCn => format!("{year}年{month}月{day}日"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_locale() {
        assert_eq!(date_parts(Locale::En, 2026, 11, 2), "Nov 2, 2026");
        assert_eq!(date_parts(Locale::ZhCn, 2026, 11, 2), "2026年11月2日");
        assert_eq!(date_parts(Locale::En, 2027, 1, 31), "Jan 31, 2027");
    }
}
