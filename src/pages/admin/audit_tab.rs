//! The Audit trail tab: who did what to whose token, when and from where; filtered, paged, and
//! exported as CSV.

use chrono::{NaiveDate, Utc};
use leptos::prelude::*;
use token_api::audit::{AuditAction, AuditEvent, AuditQuery};

use crate::api;
use crate::components::loaded::Loaded;
use crate::components::pager::{Pager, Step};
use crate::components::person_picker::PersonPicker;
use crate::format;
use crate::i18n::{use_i18n, Messages};
use crate::nav::{Change, Nav};

/// The URL keys this tab owns (prefixed, so they never clash with the Tokens tab's).
const KEYS: [&str; 6] = ["a_actor", "a_owner", "a_action", "a_from", "a_to", "a_after"];

/// The action filter's choice of every alarm (`AuditAction::ALARMS`), beside the actions' names.
const ANY_ALARM: &str = "alarms";

/// A date input's `YYYY-MM-DD`, through chrono's RFC 3339 parser, the one the wire's times
/// take (`NaiveDate`'s own parser links chrono's general format parser, 3 KiB brotli).
fn day(s: Option<String>) -> Option<NaiveDate> {
    token_api::wire::rfc3339::parse(&format!("{}T00:00:00Z", s?))
        .ok()
        .map(|at| at.date_naive())
}

/// The first instant of `day` where the reader is: the audit filter's days are the reader's,
/// as the rows show their times ("from Nov 27" means from midnight there). In the browser, from
/// its own `Date`, which knows the reader's zone and its clock changes: where a change skips
/// midnight, the day starts at the first instant it has (chrono's `Local` on wasm cannot tell
/// a skipped hour, and would start that day an hour early).
#[cfg(target_arch = "wasm32")]
fn local_start(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    use chrono::Datelike;
    let midnight =
        js_sys::Date::new_with_year_month_day(u32::try_from(day.year()).ok()?, day.month0() as i32, day.day() as i32);
    chrono::DateTime::from_timestamp_millis(midnight.get_time() as i64)
}

#[cfg(not(target_arch = "wasm32"))]
fn local_start(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    start_of(&chrono::Local, day)
}

/// The first instant of `day` in `zone`; where a clock change skips midnight, the hour after.
#[cfg(any(test, not(target_arch = "wasm32")))]
fn start_of<Z: chrono::TimeZone>(zone: &Z, day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    let start = zone.from_local_datetime(&midnight).earliest().or_else(|| {
        zone.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(start.with_timezone(&Utc))
}

/// Opens the audit trail at the alarms of the period the Tokens tab counts.
pub(super) fn open_alarms(url: Nav) {
    let from = (Utc::now() - chrono::Duration::days(token_api::admin::ALARM_DAYS))
        .with_timezone(&chrono::Local)
        .date_naive()
        .to_string();
    let audit = vec![
        ("tab", "audit".to_owned()),
        ("a_action", ANY_ALARM.to_owned()),
        ("a_from", from),
    ];
    let keys: Vec<&str> = std::iter::once("tab").chain(KEYS).collect();
    url.change_view(&keys, audit, Change::Committed);
}

/// The tab.
#[component]
pub fn AuditTab(
    /// The workspace's id.
    ws: Memo<String>,
    /// The page's URL state.
    url: Nav,
    /// The workspace's members, read once by the page.
    members: LocalResource<Result<token_api::admin::MemberList, crate::api::ApiError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = Memo::new(move |_| AuditQuery {
        actor: url.get("a_actor"),
        owner: url.get("a_owner"),
        action: url.get("a_action").and_then(|a| a.parse().ok()),
        alarms: url.get("a_action").as_deref() == Some(ANY_ALARM),
        from: day(url.get("a_from")).and_then(local_start),
        // "Until" includes the whole day: up to the next day's start.
        to: day(url.get("a_to")).and_then(|d| d.succ_opt()).and_then(local_start),
        limit: Some(50),
        after: url.get("a_after"),
        token: None,
    });
    let set = move |key: &'static str, value: String| {
        let mut pairs: Vec<(&str, String)> = KEYS
            .iter()
            .filter(|k| **k != key && **k != "a_after")
            .filter_map(|k| url.get(k).map(|v| (*k, v)))
            .collect();
        if !value.is_empty() {
            pairs.push((key, value));
        }
        url.change_view(&KEYS, pairs, Change::Committed);
    };
    let events = LocalResource::new(move || api::admin::audit(ws.get(), query.get()));
    let people = move || match members.get() {
        Some(Ok(list)) => list.members,
        _ => vec![],
    };
    let person_select = move |key: &'static str, label_text: fn(&Messages) -> &'static str| {
        view! {
            <PersonPicker
                id=key
                label_text
                people=Signal::derive(people)
                value=Signal::derive(move || url.get(key))
                on_change=Callback::new(move |id: Option<String>| set(key, id.unwrap_or_default()))
            />
        }
    };
    // Read by the table's closure, which rebuilds the rows when the language changes; a row
    // itself subscribes to nothing (see `RowChecks` in the token table).
    let row = move |e: AuditEvent| {
        let locale = i18n.locale.get();
        let t = locale.messages();
        let who = |p: &Option<token_api::tokens::Person>| {
            p.as_ref()
                .map(|p| p.email.clone())
                .unwrap_or_else(|| t.by_service.to_owned())
        };
        let at = e.at;
        view! {
            <tr>
                // With its zone: the reader's, while the CSV export is in UTC.
                <td data-label=t.col_time>{format::full(locale, at)}</td>
                <td data-label=t.col_action>{t.action(e.action)}</td>
                // People's words (addresses, names, reasons) in their own direction.
                <td data-label=t.col_actor dir="auto">{t.actor(&e)}</td>
                <td data-label=t.col_owner dir="auto">{who(&e.owner)}</td>
                // The token names its row; an event of no token (a member removed, a policy
                // changed, a sign-in burst) has no header to name it by.
                {match e.token_name.clone() {
                    Some(name) => view! { <th scope="row" data-label=t.col_token dir="auto">{name}</th> }.into_any(),
                    None => view! { <td data-label=t.col_token></td> }.into_any(),
                }}
                <td data-label=t.col_ip>{e.ip.clone().unwrap_or_default()}</td>
                <td data-label=t.col_reason dir="auto">{t.reason(locale, &e)}</td>
            </tr>
        }
    };
    let page = Memo::new(move |_| events.with(|e| e.as_ref().and_then(|r| r.as_ref().ok()).cloned()));
    let table = move || match page.get() {
        None => ().into_any(),
        Some(page) if page.events.is_empty() => {
            view! { <p class="empty">{move || i18n.t().empty_audit}</p> }.into_any()
        }
        Some(page) => {
            let t = i18n.t();
            let (prev, next) = (page.prev_cursor.clone(), page.next_cursor.clone());
            view! {
                <Pager
                    status=Signal::stored(if page.total_capped { (t.n_events_more_than)(page.total) } else { (t.n_events)(page.total) })
                    at_first=url.get("a_after").is_none()
                    at_last=next.is_none()
                    first=true
                    on_step=Callback::new(move |step| {
                        let after = match step {
                            Step::First => None,
                            Step::Previous => prev.clone(),
                            Step::Next => next.clone(),
                        };
                        set("a_after", after.unwrap_or_default());
                    })
                >
                    <a class="button button-quiet" href=move || api::admin::audit_csv_url(&ws.get(), &query.get()) download="">
                        {t.export_csv}
                    </a>
                </Pager>
                // Focusable, so a keyboard can scroll it where its columns are wider than the
                // page (its rows hold nothing focusable).
                <div class="table-wrap" tabindex="0" role="region" aria-label=t.tab_audit>
                    <table class="tokens audit">
                        <caption class="visually-hidden">{t.tab_audit}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{t.col_time}</th>
                                <th scope="col">{t.col_action}</th>
                                <th scope="col">{t.col_actor}</th>
                                <th scope="col">{t.col_owner}</th>
                                <th scope="col">{t.col_token}</th>
                                <th scope="col">{t.col_ip}</th>
                                <th scope="col">{t.col_reason}</th>
                            </tr>
                        </thead>
                        <tbody>{page.events.into_iter().map(row).collect::<Vec<_>>()}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="filters">
            {person_select("a_actor", |t| t.filter_actor)}
            {person_select("a_owner", |t| t.filter_owner)}
            <label class="field-inline">
                <span>{move || i18n.t().filter_action}</span>
                <select
                    prop:value=move || url.get("a_action").unwrap_or_default()
                    on:change:target=move |ev| set("a_action", ev.target().value())
                >
                    <option value="">{move || i18n.t().any}</option>
                    <option value=ANY_ALARM selected=move || url.get("a_action").as_deref() == Some(ANY_ALARM)>
                        {move || i18n.t().any_alarm}
                    </option>
                    {AuditAction::ALL
                        .iter()
                        .copied()
                        .map(|a| {
                            view! {
                                <option value=a.as_str() selected=move || url.get("a_action").as_deref() == Some(a.as_str())>
                                    {move || i18n.t().action(a)}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()}
                </select>
            </label>
            <label class="field-inline">
                <span>{move || i18n.t().filter_from}</span>
                <input type="date" prop:value=move || url.get("a_from").unwrap_or_default() on:change:target=move |ev| set("a_from", ev.target().value()) />
            </label>
            <label class="field-inline">
                <span>{move || i18n.t().filter_to}</span>
                <input type="date" prop:value=move || url.get("a_to").unwrap_or_default() on:change:target=move |ev| set("a_to", ev.target().value()) />
            </label>
        </div>
        <Loaded resource=events>{table}</Loaded>
    }
}

#[cfg(test)]
mod tests {
    use super::{day, start_of};
    use chrono::FixedOffset;

    #[test]
    fn a_date_input_is_the_start_of_that_day_where_the_reader_is() {
        let in_zone = |hours: i32, s: &str| {
            let zone = FixedOffset::east_opt(hours * 3600).unwrap();
            day(Some(s.to_owned()))
                .and_then(|d| start_of(&zone, d))
                .map(|d| d.to_rfc3339())
        };
        assert_eq!(in_zone(8, "2026-11-22").as_deref(), Some("2026-11-21T16:00:00+00:00"));
        assert_eq!(in_zone(-5, "2026-11-22").as_deref(), Some("2026-11-22T05:00:00+00:00"));
        assert_eq!(in_zone(0, "2026-11-22").as_deref(), Some("2026-11-22T00:00:00+00:00"));
        assert_eq!(day(Some("2026-13-01".to_owned())), None);
        assert_eq!(day(Some("2026-11".to_owned())), None);
        assert_eq!(day(Some("not a date".to_owned())), None);
        assert_eq!(day(None), None);
    }
}
