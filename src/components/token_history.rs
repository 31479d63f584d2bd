//! One token's history, opened from its row on either page: when, from which address and with
//! which client it was last refreshed, then what was done to it, when (with the zone), by whom,
//! from which address, and why, newest first, fifty at a time.

use leptos::prelude::*;
use token_api::audit::AuditEvent;
use token_api::audit::LastRefresh;
use token_api::tokens::TokenView;

use crate::api;
use crate::components::error_panel::error_text;
use crate::components::modal::Modal;
use crate::format;
use crate::i18n::use_i18n;

/// The dialog, shown while `token` holds one; closing empties it.
#[component]
pub fn TokenHistory(token: RwSignal<Option<TokenView>>) -> impl IntoView {
    let i18n = use_i18n();
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let next = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<String>);
    // The first page's word on the last refresh: `None` until it has come.
    let last = RwSignal::new(None::<Option<LastRefresh>>);
    // A page of the token's history, in the token's own workspace.
    let load = Action::new_local(move |(t, after): &(TokenView, Option<String>)| {
        let (ws, id, after) = (t.workspace_id.clone(), t.id.clone(), after.clone());
        async move {
            let still = |id: &str| token.with_untracked(|t| t.as_ref().is_some_and(|t| t.id == id));
            match api::tokens::history(ws, id.clone(), after).await {
                // Another token opened meanwhile: this page is not its.
                _ if !still(&id) => {}
                Ok(page) => {
                    if last.with_untracked(Option::is_none) {
                        last.set(Some(page.last_refresh));
                    }
                    events.update(|e| e.extend(page.events));
                    next.set(page.next_cursor);
                }
                Err(api::ApiError::Aborted) => {}
                Err(e) => failed.set(Some(error_text(i18n.t(), &e))),
            }
        }
    });
    // A token opened: its first page, from nothing.
    Effect::new(move |_| {
        if let Some(t) = token.get() {
            events.set(Vec::new());
            next.set(None);
            failed.set(None);
            last.set(None);
            load.dispatch_local((t, None));
        }
    });
    let close = Callback::new(move |_| token.set(None));
    let row = move |e: AuditEvent| {
        let locale = i18n.locale.get_untracked();
        let t = locale.messages();
        let (by, why) = (t.actor(&e), t.reason(locale, &e));
        view! {
            <tr>
                <td data-label=t.col_time>{format::full(locale, e.at)}</td>
                <th scope="row" data-label=t.col_action>{t.action(e.action)}</th>
                <td data-label=t.col_actor>{by}</td>
                <td data-label=t.col_ip>{e.ip.unwrap_or_default()}</td>
                <td data-label=t.col_reason>{why}</td>
            </tr>
        }
    };
    view! {
        <Modal open=Signal::derive(move || token.with(Option::is_some)) on_escape=close labelled_by="token-history-title">
            <h2 id="token-history-title">
                {move || token.with(|t| t.as_ref().map(|t| (i18n.t().history_title)(&format::shorten(&t.name, 60))))}
            </h2>
            <p class="last-refresh">
                {move || {
                    let locale = i18n.locale.get();
                    let t = locale.messages();
                    last.get().map(|l| match l {
                        Some(l) => {
                            let from = l.ip.map(|ip| (t.last_refresh_from)(&ip));
                            let agent = l.user_agent.map(|a| (t.last_refresh_agent)(&format::isolate(&a)));
                            (t.last_refresh)(&format::full(locale, l.at)) + &from.unwrap_or_default() + &agent.unwrap_or_default()
                        }
                        None => t.never_refreshed.to_owned(),
                    })
                }}
            </p>
            <p class="form-error" role="alert">{move || failed.get()}</p>
            <div class="table-wrap history" tabindex="0" role="region" aria-label=move || i18n.t().history>
                <table class="tokens audit">
                    <caption class="visually-hidden">{move || i18n.t().history}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{move || i18n.t().col_time}</th>
                            <th scope="col">{move || i18n.t().col_action}</th>
                            <th scope="col">{move || i18n.t().col_actor}</th>
                            <th scope="col">{move || i18n.t().col_ip}</th>
                            <th scope="col">{move || i18n.t().col_reason}</th>
                        </tr>
                    </thead>
                    <tbody>{move || events.get().into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
            // Tokens older than the audit trail (or its retention) have no events to show.
            <p class="empty" hidden=move || load.pending().get() || !events.with(Vec::is_empty) || failed.with(Option::is_some)>
                {move || i18n.t().history_empty}
            </p>
            <div class="dialog-actions">
                <button
                    type="button"
                    class="button"
                    hidden=move || next.with(Option::is_none)
                    disabled=load.pending()
                    on:click=move |_| {
                        if let Some(t) = token.get_untracked() {
                            load.dispatch_local((t, next.get_untracked()));
                        }
                    }
                >
                    {move || i18n.t().load_more}
                </button>
                <button type="button" class="button button-primary" autofocus on:click=move |_| close.run(())>
                    {move || i18n.t().close}
                </button>
            </div>
        </Modal>
    }
}
