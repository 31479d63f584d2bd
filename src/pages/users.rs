//! The Users page: the signed-in member's own tokens in the current workspace. Generate with a
//! one-time reveal; disable or delete one token from its menu, or many from the toolbar. The
//! view (sort, status, search) lives in the URL.

use chrono::Utc;
use leptos::prelude::*;
use token_api::auth::Role;
use token_api::policy::Creators;
use token_api::query::{SortField, TokenPageQuery};
use token_api::tokens::{BatchAction, CreateTokenRequest, DisabledCause, TokenStatus, TokenView};
use token_api::validate::LIFETIME_DAYS;

use crate::api::{self, ApiError};
use crate::components::bulk_toolbar::BulkToolbar;
use crate::components::calendar_feed::CalendarFeed;
use crate::components::copy_field::CopyField;
use crate::components::description_editor::DescriptionEditor;
use crate::components::generate_dialog::GenerateDialog;
use crate::components::loaded::Loaded;
use crate::components::page_size_select::PageSizeSelect;
use crate::components::status_select::StatusSelect;
use crate::components::token_actions::{use_token_actions, ActionConfirm, Pending, Target};
use crate::components::token_table::{RowActions, TokenTable};
use crate::embed::events::{use_events, EventKind};
use crate::format;
use crate::hooks::use_title::use_title;
use crate::hooks::use_token_selection::use_token_selection;
use crate::i18n::use_i18n;
use crate::nav::{use_nav, Change};
use crate::reveal::Flow;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;
use crate::token_query::{apply, status_now, toggle_sort};

/// The URL keys of the page's view.
const VIEW_KEYS: [&str; 6] = ["status", "q", "sort", "dir", "page", "per_page"];
/// Rows on one page: a browser lays out a few hundred table rows in a frame, not thousands
/// (1,300 rows cost 50 to 500 ms of layout per change, measured).
const PAGE_SIZE: usize = 50;
/// The page sizes a user may pick (`per_page` in the URL); 0 is every row on one page.
const PAGE_SIZES: [u32; 4] = [50, 100, 500, 0];

/// The page size a `per_page` value asks for: one of `PAGE_SIZES`, else the default.
fn page_size_of(value: Option<&str>) -> usize {
    match value {
        Some("all") => usize::MAX,
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n != 0 && PAGE_SIZES.contains(n))
            .map_or(PAGE_SIZE, |n| n as usize),
        None => PAGE_SIZE,
    }
}

/// The token endpoint's absolute URL on this origin.
fn token_endpoint() -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let path = crate::api::url(token_api::oauth::TOKEN_PATH);
    format!("{origin}{path}")
}

/// `/tokens`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let events = use_events();
    let nav = use_nav();
    use_title(move || i18n.t().users_title.to_owned());

    let workspace = Memo::new(move |_| session.workspace());
    let workspace_id = Memo::new(move |_| workspace.get().map(|w| w.id));

    // The view, read from and written to the URL.
    let view = Memo::new(move |_| {
        let pairs: Vec<(&str, String)> = VIEW_KEYS.iter().filter_map(|k| nav.get(k).map(|v| (*k, v))).collect();
        TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap_or_default()
    });
    // The view's keys in the address, by the one history rule (`nav::Change`); other keys, a
    // host page's own, stay.
    let write_query =
        move |pairs: Vec<(&'static str, String)>, change: Change| nav.change_view(&VIEW_KEYS, pairs, change);
    let set_page_view = Callback::new(move |(next, page, change): (TokenPageQuery, usize, Change)| {
        let mut pairs = next.to_pairs();
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        // The page size is the reader's, and survives every change of view.
        if let Some(per_page) = untrack(|| nav.get("per_page")) {
            pairs.push(("per_page", per_page));
        }
        write_query(pairs, change);
    });
    // A new view starts at its first page.
    let set_view = Callback::new(move |next: TokenPageQuery| set_page_view.run((next, 1, Change::Committed)));
    let on_sort = Callback::new(move |field: SortField| {
        let mut next = view.get_untracked();
        toggle_sort(&mut next, field);
        set_view.run(next);
    });

    // The list, per workspace; read again after every change the page makes.
    let loaded = LocalResource::new(move || {
        let ws = workspace_id.get();
        async move {
            match ws {
                Some(ws) => api::tokens::list(ws).await.map(|l| Some(l.tokens)),
                None => Ok(None),
            }
        }
    });
    // The last list read; a reload keeps it on screen until the next arrives.
    let tokens = Memo::new(move |_| {
        loaded.with(|r| match r {
            Some(Ok(Some(list))) => list.clone(),
            _ => Vec::new(),
        })
    });
    // Every row the view matches, by index; then the page of them the table shows.
    let matching = Memo::new(move |_| {
        let query = view.get();
        tokens.with(|all| apply(all, &query, Utc::now()))
    });
    let page_size = Memo::new(move |_| page_size_of(nav.get("per_page").as_deref()));
    let page_count = move || matching.with(|m| m.len().div_ceil(page_size.get())).max(1);
    let page = Memo::new(move |_| {
        let asked = nav.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1);
        asked.clamp(1, page_count())
    });
    let rows = Memo::new(move |_| {
        let size = page_size.get();
        let start = (page.get() - 1).saturating_mul(size);
        matching.with(|m| {
            tokens.with(|all| {
                m.iter()
                    .skip(start)
                    .take(size)
                    .map(|&i| all[i].clone())
                    .collect::<Vec<_>>()
            })
        })
    });
    let go_to_page = move |p: usize| set_page_view.run((view.get_untracked(), p, Change::Committed));
    // The pager (and the page-size choice) shows once there is more than the smallest page.
    let more_than_a_page = move || matching.with(Vec::len) > PAGE_SIZE;
    // Named: a `>=` written inside view! would end the tag.
    let on_last_page = move || page.get() >= page_count();
    // Rows the filter removes leave the selection; rows on other pages stay selected.
    let in_view = Memo::new(move |_| matching.with(|m| tokens.with(|all| m.iter().map(|&i| all[i].clone()).collect())));
    let selected = use_token_selection(in_view.into());
    let selection = selected.selection;

    // Generate.
    let flow = RwSignal::new(Flow::Closed);
    // Regenerate: the token the dialog replaces, while it is open for one.
    let replacing = RwSignal::new(None::<TokenView>);
    let generate_error = RwSignal::new(None::<ApiError>);
    let open_generate = move |_| {
        generate_error.set(None);
        replacing.set(None);
        flow.update(|f| f.open());
    };
    let create = Action::new_local(move |request: &CreateTokenRequest| {
        let (ws, request) = (workspace_id.get_untracked(), request.clone());
        async move {
            let Some(ws) = ws else { return };
            let regenerated = request.replaces.is_some();
            match api::tokens::create(ws, request).await {
                Ok(created) => {
                    let (id, name) = (created.token.id.clone(), created.token.name.clone());
                    // The secrets go to the dialog's flow and nowhere else.
                    flow.update(|f| f.created(created.access_token, created.refresh_token));
                    let toast = if regenerated {
                        i18n.t().regenerated_toast
                    } else {
                        i18n.t().created_toast
                    };
                    toasts.success(toast(&name));
                    events.emit_one(EventKind::Created, &id, &name);
                    loaded.refetch();
                }
                Err(e) => {
                    generate_error.set(Some(e));
                    flow.update(|f| f.failed());
                }
            }
        }
    });
    let on_submit = Callback::new(move |request: CreateTokenRequest| {
        generate_error.set(None);
        create.dispatch_local(request);
    });
    // Leaving the page while secrets are shown: the browser asks first.
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if flow.with_untracked(|f| f.holds_secrets()) {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    on_cleanup(move || unload.remove());

    // Disable and delete, one or many, each behind a confirmation.
    let actions = use_token_actions(
        // One token or many, one request: a member's page lists all of theirs, so there is
        // no "all that match" beyond the selection.
        move |p: Pending, _reason| {
            api::tokens::batch(
                workspace_id.get_untracked().unwrap_or_default(),
                p.action,
                p.ids().unwrap_or_default(),
            )
        },
        move |_, done| {
            selected.remove(done);
            loaded.refetch();
        },
    );
    // The token whose description is being edited.
    let describing = RwSignal::new(None::<TokenView>);
    let regenerate = Callback::new(move |token: TokenView| {
        generate_error.set(None);
        replacing.set(Some(token));
        flow.update(|f| f.open());
    });
    let row_actions = RowActions {
        disable: actions.one(BatchAction::Disable),
        delete: actions.one(BatchAction::Delete),
        show_owner: None,
        show_owner_label: None,
        regenerate: Some(regenerate),
        describe: Some(Callback::new(move |token: TokenView| describing.set(Some(token)))),
    };
    // The member's tokens that expire soon (`expires_soon`: within a week, in the second half of
    // their life) or expired in the last week (not disabled, not replaced by a regenerated one),
    // soonest first, each with Regenerate one click away.
    let expiring = Memo::new(move |_| {
        let now = Utc::now();
        let week = chrono::Duration::days(token_api::tokens::EXPIRY_NOTICE_DAYS);
        let mut soon: Vec<TokenView> = tokens.with(|all| {
            all.iter()
                .filter(|t| t.disabled_at.is_none() && t.replaced_by.is_none())
                .filter(|t| {
                    token_api::tokens::expires_soon(t.created_at, t.expires_at, now)
                        || (t.expires_at <= now && t.expires_at > now - week)
                })
                .cloned()
                .collect()
        });
        soon.sort_by_key(|t| t.expires_at);
        soon
    });
    // The loudest thing on the page: tokens the service disabled in the last two weeks because
    // their refresh token was used twice (someone else may hold it), above the expiry banner.
    let reuse_alert = move || {
        let since = Utc::now() - chrono::Duration::days(14);
        let names: Vec<String> = tokens.with(|all| {
            all.iter()
                .filter(|t| t.disabled_cause == Some(DisabledCause::ReuseDetected) && t.disabled_at > Some(since))
                .map(|t| t.name.clone())
                .collect()
        });
        (!names.is_empty()).then(|| {
            let t = i18n.t();
            view! {
                <section class="notice notice-danger" role="alert" aria-labelledby="reuse-alert-title">
                    <h2 id="reuse-alert-title">{(t.reuse_alert)(&names)}</h2>
                    <p>{t.reuse_alert_body}</p>
                </section>
            }
        })
    };
    let expiry_banner = move || {
        let soon = expiring.get();
        (!soon.is_empty()).then(|| {
            let locale = i18n.locale.get();
            let t = locale.messages();
            let now = Utc::now();
            view! {
                <section class="notice notice-warning expiry-banner" aria-labelledby="expiry-banner-title">
                    <h2 id="expiry-banner-title">{(t.expiring_banner)(soon.len())}</h2>
                    <ul>
                        {soon
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
                                        <button type="button" class="button button-small" aria-label=label on:click=move |_| regenerate.run(token.clone())>
                                            {t.regenerate}
                                        </button>
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()}
                    </ul>
                </section>
            }
        })
    };
    let bulk =
        move |action: BatchAction| actions.ask(action, Target::Many(selected.targets(action)), selected.count() as u64);
    let client_id = Signal::derive(move || workspace.get().map(|w| w.client_id).unwrap_or_default());
    let workspace_name = Signal::derive(move || workspace.get().map(|w| w.name).unwrap_or_default());
    let endpoint = Signal::derive(token_endpoint);
    // The workspace's policy: the longest lifetime Generate offers, and why it may not offer it
    // at all (only admins generate here; or the member holds as many active tokens as allowed).
    let policy = move || workspace.get().map(|w| (w.policy, w.role == Role::Admin));
    let max_days = Signal::derive(move || policy().map_or(*LIFETIME_DAYS.end(), |(p, _)| p.max_lifetime_days));
    let refusal = move || {
        let (policy, admin) = policy()?;
        let t = i18n.t();
        let ws = workspace_name.get();
        if policy.creators == Creators::Admins && !admin {
            return Some((t.policy_admins_only)(&ws));
        }
        let cap = policy.max_active_per_member?;
        let now = Utc::now();
        let active = tokens.with(|all| all.iter().filter(|t| status_now(t, now) == TokenStatus::Active).count());
        (active >= cap as usize).then(|| (t.policy_cap_reached)(cap, &ws))
    };

    let filters = move || {
        view! {
            <div class="filters">
                <label class="field-inline">
                    <span>{move || i18n.t().search_label}</span>
                    <input
                        type="search"
                        prop:value=move || view.get().filter.q.unwrap_or_default()
                        on:input:target=move |ev| {
                            let mut next = view.get_untracked();
                            next.filter.q = Some(ev.target().value()).filter(|v| !v.trim().is_empty());
                            set_page_view.run((next, 1, Change::Typing));
                        }
                    />
                </label>
                <StatusSelect
                    value=Signal::derive(move || view.get().filter.status)
                    on_change=Callback::new(move |status| {
                        let mut next = view.get_untracked();
                        next.filter.status = status;
                        set_view.run(next);
                    })
                />
            </div>
        }
    };

    let content = move || {
        view! {
            // With no tokens, no bulk hint (nothing to select) and one Generate button, the page's.
            <Show
                when=move || !tokens.with(Vec::is_empty)
                fallback=move || view! { <p class="empty">{move || i18n.t().empty_tokens}</p> }
            >
                {reuse_alert}
                {expiry_banner}
                <BulkToolbar
                    selected=Signal::derive(move || selected.count())
                    disableable=Signal::derive(move || Some(selected.disableable()))
                    on_disable=Callback::new(move |_| bulk(BatchAction::Disable))
                    on_delete=Callback::new(move |_| bulk(BatchAction::Delete))
                    on_clear=Callback::new(move |_| selected.clear())
                />
                {filters}
                <Show when=move || !matching.with(Vec::is_empty) fallback=move || view! { <p class="empty">{move || i18n.t().no_match}</p> }>
                    <Show when=more_than_a_page>
                        <div class="pager">
                            <span>
                                {move || {
                                    let total = matching.with(Vec::len);
                                    let size = page_size.get();
                                    let from = (page.get() - 1).saturating_mul(size) + 1;
                                    (i18n.t().range_of)(from, from.saturating_add(size - 1).min(total), total)
                                }}
                            </span>
                            <PageSizeSelect
                                sizes=&PAGE_SIZES
                                value=Signal::derive(move || nav.get("per_page").unwrap_or_else(|| PAGE_SIZE.to_string()))
                                on_change=Callback::new(move |value: String| {
                                    let mut pairs = view.get_untracked().to_pairs();
                                    if value != PAGE_SIZE.to_string() {
                                        pairs.push(("per_page", value));
                                    }
                                    write_query(pairs, Change::Committed);
                                })
                            />
                            <button type="button" class="button" disabled=move || page.get() == 1 on:click=move |_| go_to_page(page.get_untracked() - 1)>
                                {move || i18n.t().previous_page}
                            </button>
                            <button type="button" class="button" disabled=on_last_page on:click=move |_| go_to_page(page.get_untracked() + 1)>
                                {move || i18n.t().next_page}
                            </button>
                        </div>
                    </Show>
                    <TokenTable
                        rows
                        caption=Signal::derive(move || i18n.t().users_title.to_owned())
                        selection
                        sort=Signal::derive(move || view.with(|v| (v.sort, v.dir)))
                        on_sort
                        actions=row_actions
                    />
                </Show>
            </Show>
        }
    };

    let body = move || {
        if workspace.get().is_none() {
            view! { <p class="empty">{move || i18n.t().no_workspace}</p> }.into_any()
        } else {
            content().into_any()
        }
    };

    view! {
        <div class="page-head">
            <div>
                <h1>
                    {move || match workspace.get() {
                        Some(w) => (i18n.t().users_heading)(&w.name),
                        None => i18n.t().users_title.to_owned(),
                    }}
                </h1>
                <p class="intro">{move || i18n.t().users_intro}</p>
                <p class="intro">{move || i18n.t().intro_lifetimes}</p>
            </div>
            <div class="generate-box">
                // Disabled, it says why (read with the button).
                <button
                    type="button"
                    class="button button-primary"
                    on:click=open_generate
                    disabled=move || workspace.get().is_none() || refusal().is_some()
                    aria-describedby="generate-refusal"
                >
                    {move || i18n.t().generate}
                </button>
                <p id="generate-refusal" class="muted small" hidden=move || refusal().is_none()>{refusal}</p>
            </div>
        </div>
        <div class="client-details">
            <CopyField id="client-id" label=Signal::derive(move || i18n.t().client_id_label.to_owned()) value=client_id />
            <CopyField id="token-endpoint" label=Signal::derive(move || i18n.t().token_endpoint_label.to_owned()) value=endpoint />
        </div>
        // A calendar of expiry dates is offered once there is a token to expire.
        <Show when=move || tokens.with(|all| !all.is_empty())>
            <CalendarFeed workspace_id />
        </Show>
        <Loaded resource=loaded>{body}</Loaded>
        <GenerateDialog flow workspace=workspace_name max_days replacing names=Signal::derive(move || tokens.with(|all| all.iter().map(|t| t.name.clone()).collect())) client_id token_endpoint=endpoint error=generate_error on_submit />
        <ActionConfirm actions />
        <DescriptionEditor token=describing on_saved=Callback::new(move |_| loaded.refetch()) />
    }
}

#[cfg(test)]
mod tests {
    use super::{page_size_of, PAGE_SIZE};

    #[test]
    fn only_the_offered_page_sizes_are_taken_from_the_url() {
        assert_eq!(page_size_of(None), PAGE_SIZE);
        assert_eq!(page_size_of(Some("100")), 100);
        assert_eq!(page_size_of(Some("500")), 500);
        assert_eq!(page_size_of(Some("all")), usize::MAX);
        for odd in ["0", "7", "-1", "lots", "", "100000"] {
            assert_eq!(page_size_of(Some(odd)), PAGE_SIZE, "{odd}");
        }
    }
}
