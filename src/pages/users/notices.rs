//! What the Users page says above the list: tokens the service disabled because their refresh
//! token was used twice, and tokens that expire soon, each with Regenerate one click away.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use token_api::tokens::{expires_soon, DisabledCause, TokenView, EXPIRY_NOTICE_DAYS};

use crate::format;
use crate::i18n::use_i18n;

/// Days a reuse alert stays up.
const REUSE_ALERT_DAYS: i64 = 14;

/// The loudest thing on the page: tokens disabled in the last two weeks because their refresh
/// token was used twice (someone else may hold it). Above the expiry banner.
pub fn reuse_alert(tokens: Memo<Vec<TokenView>>) -> impl IntoView {
    let i18n = use_i18n();
    let names = move || {
        let since = Utc::now() - Duration::days(REUSE_ALERT_DAYS);
        tokens.with(|all| {
            all.iter()
                .filter(|t| t.disabled_cause == Some(DisabledCause::ReuseDetected) && t.disabled_at > Some(since))
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
        })
    };
    move || {
        let names = names();
        (!names.is_empty()).then(|| {
            let t = i18n.t();
            view! {
                <section class="notice notice-danger" role="alert" aria-labelledby="reuse-alert-title">
                    <h2 id="reuse-alert-title">{(t.reuse_alert)(&names)}</h2>
                    <p>{t.reuse_alert_body}</p>
                </section>
            }
        })
    }
}

/// The member's tokens that expire soon (`expires_soon`: within a week, in the second half of
/// their life) or expired in the last week (not disabled, not replaced by a regenerated one),
/// soonest first.
pub fn expiry_banner(tokens: Memo<Vec<TokenView>>, on_regenerate: Callback<TokenView>) -> impl IntoView {
    let i18n = use_i18n();
    let expiring = Memo::new(move |_| {
        let now = Utc::now();
        let week = Duration::days(EXPIRY_NOTICE_DAYS);
        let mut soon: Vec<TokenView> = tokens.with(|all| {
            all.iter()
                .filter(|t| t.disabled_at.is_none() && t.replaced_by.is_none())
                .filter(|t| {
                    expires_soon(t.created_at, t.expires_at, now) || (t.expires_at <= now && t.expires_at > now - week)
                })
                .cloned()
                .collect()
        });
        soon.sort_by_key(|t| t.expires_at);
        soon
    });
    move || {
        let soon = expiring.get();
        (!soon.is_empty()).then(|| {
            let locale = i18n.locale.get();
            let t = locale.messages();
            let now = Utc::now();
            let items = soon
                .into_iter()
                .map(|token| {
                    let when = if token.expires_at > now {
                        format::relative(locale, now, token.expires_at)
                    } else {
                        (t.expired_ago)(-format::days_between(now, token.expires_at).min(0))
                    };
                    let label = (t.regenerate_named)(&token.name);
                    view! {
                        <li>
                            <strong>{token.name.clone()}</strong>" · "{when}" "
                            <button type="button" class="button button-small" aria-label=label on:click=move |_| on_regenerate.run(token.clone())>
                                {t.regenerate}
                            </button>
                        </li>
                    }
                })
                .collect::<Vec<_>>();
            view! {
                <section class="notice notice-warning expiry-banner" aria-labelledby="expiry-banner-title">
                    <h2 id="expiry-banner-title">{(t.expiring_banner)(items.len())}</h2>
                    <ul>{items}</ul>
                </section>
            }
        })
    }
}
