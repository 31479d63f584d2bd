//! The Tokens tab's filter bar: owner, status, expiry, use, permission, and a name search. Each change is a
//! new filter, which the tab writes to the URL; the search as it is typed, a pause after the
//! last keystroke (each search is a request to the service).

use leptos::prelude::*;
use token_api::admin::MemberList;
use token_api::query::TokenFilter;

use crate::api::ApiError;
use crate::components::person_picker::PersonPicker;
use crate::components::status_select::StatusSelect;
use crate::hooks::use_timers::use_timers;
use crate::i18n::use_i18n;
use crate::state::session::use_session;

/// The pause after the last keystroke that sends a search.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The filter bar.
#[component]
pub fn TokenFilters(
    /// The filter in the URL.
    #[prop(into)]
    filter: Signal<TokenFilter>,
    /// The workspace's members, for the owner field.
    members: LocalResource<Result<MemberList, ApiError>>,
    /// A new filter was chosen.
    on_change: Callback<TokenFilter>,
    /// A new search was typed (a burst of typing is one step of Back).
    on_typing: Callback<TokenFilter>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    // The catalogue's names, for the permission filter (none: no filter to offer).
    let catalogue = move || {
        session
            .workspace()
            .map(|w| w.policy.permissions.into_iter().map(|p| p.name).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let people = move || {
        members.with(|m| {
            m.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|l| l.members.clone())
                .unwrap_or_default()
        })
    };
    let change = move |edit: &dyn Fn(&mut TokenFilter)| {
        let mut next = filter.get_untracked();
        edit(&mut next);
        on_change.run(next);
    };
    // The search box holds what is typed; it follows the URL only when another hand changed the
    // search there (Back, Clear filters), never clobbering keystrokes a pending search has not
    // sent yet.
    let search_of = |f: &TokenFilter| f.q.clone().unwrap_or_default();
    let typed = RwSignal::new(filter.with_untracked(search_of));
    let sent = StoredValue::new(typed.get_untracked());
    Effect::new(move |_| {
        let q = filter.with(search_of);
        if q != sent.get_value() {
            sent.set_value(q.clone());
            typed.set(q);
        }
    });
    let timers = use_timers();
    let search = move |text: String, commit: bool| {
        let q = Some(text).filter(|v| !v.trim().is_empty());
        let send = move || {
            sent.set_value(q.clone().unwrap_or_default());
            let mut next = filter.get_untracked();
            next.q = q;
            if commit {
                on_change.run(next)
            } else {
                on_typing.run(next)
            }
        };
        if commit {
            timers.cancel();
            send();
        } else {
            timers.debounce(TYPING_PAUSE, send);
        }
    };
    // The picker and the search box stay while the rest is rebuilt for each filter: rebuilt,
    // they would lose the focus of the person using them.
    let rest = move || {
        let f = filter.get();
        // `selected` attributes set the first render; after the user has picked, only the
        // property moves the choice (Back and Forward re-render these in place).
        let expiring_value = f.expiring_within_days.map(|d| d.to_string()).unwrap_or_default();
        let permission = f.permission.clone();
        let names = catalogue();
        let permission_filter = (!names.is_empty()).then(|| {
            let options = names
                .into_iter()
                .map(
                    |n| view! { <option value=n.clone() selected=permission.as_ref() == Some(&n)>{n.clone()}</option> },
                )
                .collect::<Vec<_>>();
            view! {
                <label class="field-inline">
                    <span>{move || i18n.t().filter_permission}</span>
                    <select prop:value=permission.clone().unwrap_or_default() on:change:target=move |ev| {
                        let name = Some(ev.target().value()).filter(|v| !v.is_empty());
                        change(&|f| f.permission = name.clone());
                    }>
                        <option value="" selected=permission.is_none()>{move || i18n.t().any}</option>
                        {options}
                    </select>
                </label>
            }
        });
        view! {
                <StatusSelect
                    value=Signal::derive(move || filter.get().status)
                    on_change=Callback::new(move |status| change(&|f| f.status = status))
                />
                <label class="field-inline">
                    <span>{move || i18n.t().filter_expiring}</span>
                    <select prop:value=expiring_value on:change:target=move |ev| {
                        let days = ev.target().value().parse().ok();
                        change(&|f| f.expiring_within_days = days);
                    }>
                        <option value="" selected=f.expiring_within_days.is_none()>{move || i18n.t().any}</option>
                        <option value="7" selected=f.expiring_within_days == Some(7)>{move || (i18n.t().days)(7)}</option>
                        <option value="30" selected=f.expiring_within_days == Some(30)>{move || (i18n.t().days)(30)}</option>
                    </select>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.never_used on:change:target=move |ev| {
                        let on = ev.target().checked();
                        change(&|f| f.never_used = on);
                    } />
                    <span>{move || i18n.t().filter_never_used}</span>
                </label>
                <label class="field-inline">
                    <input type="checkbox" prop:checked=f.unused_for_days == Some(90) on:change:target=move |ev| {
                        let days = ev.target().checked().then_some(90);
                        change(&|f| f.unused_for_days = days);
                    } />
                    <span>{move || i18n.t().filter_unused_90}</span>
                </label>
                {permission_filter}
                <button type="button" class="button button-quiet" on:click=move |_| on_change.run(TokenFilter::default())>
                    {move || i18n.t().clear_filters}
                </button>
        }
    };
    view! {
        <div class="filters">
            <PersonPicker
                id="filter-owner"
                label_text=|t| t.filter_owner
                people=Signal::derive(people)
                value=Signal::derive(move || filter.with(|f| f.owner.clone()))
                on_change=Callback::new(move |owner: Option<String>| change(&|f| f.owner = owner.clone()))
            />
            <label class="field-inline">
                <span>{move || i18n.t().search_label}</span>
                <input
                    type="search"
                    prop:value=typed
                    on:input:target=move |ev| {
                        typed.set(ev.target().value());
                        search(ev.target().value(), false);
                    }
                    on:change:target=move |ev| search(ev.target().value(), true)
                />
            </label>
            {rest}
        </div>
    }
}
