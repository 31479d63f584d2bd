//! The table of tokens: name, status told by word and mark (not colour alone), dates, hint.

use leptos::prelude::*;
use token_api::tokens::{TokenStatus, TokenView};

use crate::format;
use crate::i18n::{use_i18n, Messages};

fn status_label(t: &Messages, status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => t.status_active,
        TokenStatus::Disabled => t.status_disabled,
        TokenStatus::Expired => t.status_expired,
    }
}

fn status_class(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "status status-active",
        TokenStatus::Disabled => "status status-disabled",
        TokenStatus::Expired => "status status-expired",
    }
}

/// A table of tokens. Inactive ones stay listed, dimmed: people want to see what they had.
#[component]
pub fn TokenTable(
    /// The tokens, in the order to show them.
    tokens: Vec<TokenView>,
    /// The table's accessible name.
    #[prop(into)]
    caption: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let rows = tokens
        .into_iter()
        .map(|token| {
            let status = token.status;
            let created = token.created_at;
            let expires = token.expires_at;
            let last_used = token.last_used_at;
            view! {
                <tr class:inactive=status != TokenStatus::Active>
                    <th scope="row" class="name">{token.name}</th>
                    <td><span class=status_class(status)>{move || status_label(i18n.t(), status)}</span></td>
                    <td>{move || format::date(i18n.locale.get(), created)}</td>
                    <td>{move || format::date(i18n.locale.get(), expires)}</td>
                    <td>
                        {move || match last_used {
                            Some(at) => format::date(i18n.locale.get(), at),
                            None => i18n.t().never.to_owned(),
                        }}
                    </td>
                    <td><code class="hint">"…"{token.hint}</code></td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <div class="table-wrap">
            <table class="tokens">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || i18n.t().col_name}</th>
                        <th scope="col">{move || i18n.t().col_status}</th>
                        <th scope="col">{move || i18n.t().col_created}</th>
                        <th scope="col">{move || i18n.t().col_expires}</th>
                        <th scope="col">{move || i18n.t().col_last_used}</th>
                        <th scope="col">{move || i18n.t().col_hint}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
