//! The Members tab: the workspace's people and their roles, and removing one (offboarding):
//! their tokens are disabled and kept, marked as their owner's leaving.

use leptos::prelude::*;
use token_api::tokens::Person;

use crate::api;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_panel::error_text;
use crate::components::loaded::Loaded;
use crate::i18n::use_i18n;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// The tab.
#[component]
pub fn MembersTab() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let ws = Memo::new(move |_| session.workspace().map(|w| w.id).unwrap_or_default());
    let workspace_name = move || session.workspace().map(|w| w.name).unwrap_or_default();
    let members = LocalResource::new(move || api::admin::members(ws.get()));
    // The member whose removal waits for confirmation.
    let leaving = RwSignal::new(None::<Person>);
    let remove = Action::new_local(move |person: &Person| {
        let (ws, person) = (ws.get_untracked(), person.clone());
        async move {
            match api::admin::remove_member(ws, person.id.clone()).await {
                Ok(done) => toasts.success((i18n.t().member_removed_toast)(&person.name, done.disabled)),
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(i18n.t(), &e), vec![]),
            }
            leaving.set(None);
            members.refetch();
        }
    });
    let table = move || {
        members.with(|m| m.as_ref().and_then(|r| r.as_ref().ok()).cloned()).map(|list| {
            let t = i18n.t();
            let last_admin = list.admins.len() == 1;
            let rows = list
                .members
                .into_iter()
                .map(|person| {
                    let admin = list.admins.contains(&person.id);
                    let locked = admin && last_admin;
                    let who = person.clone();
                    view! {
                        <tr>
                            <th scope="row" class="name">
                                <span dir="auto">{person.name.clone()}</span>
                                <span class="muted small" dir="auto">{person.email.clone()}</span>
                            </th>
                            <td data-label=t.role_label>{if admin { t.role_admin_short } else { t.role_member_short }}</td>
                            <td class="menu-cell">
                                <button
                                    type="button"
                                    class="button button-quiet"
                                    disabled=locked
                                    title=locked.then_some(t.last_admin_note)
                                    aria-label=(t.remove_member_label)(&person.name)
                                    on:click=move |_| leaving.set(Some(who.clone()))
                                >
                                    {t.remove}
                                </button>
                            </td>
                        </tr>
                    }
                })
                .collect::<Vec<_>>();
            view! {
                <div class="table-wrap">
                    <table class="tokens members">
                        <caption class="visually-hidden">{t.tab_members}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{t.col_member}</th>
                                <th scope="col">{t.role_label}</th>
                                <th scope="col"><span class="visually-hidden">{t.col_actions}</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="muted small">{last_admin.then_some(t.last_admin_note)}</p>
            }
        })
    };
    view! {
        <Loaded resource=members>{table}</Loaded>
        <ConfirmDialog
            open=Signal::derive(move || leaving.with(Option::is_some))
            id="remove-member-title"
            title=Signal::derive(move || {
                leaving.with(|p| p.as_ref().map(|p| (i18n.t().remove_member_title)(&p.name, &workspace_name())).unwrap_or_default())
            })
            body=Signal::derive(move || i18n.t().remove_member_body.to_owned())
            confirm_label=Signal::derive(move || i18n.t().remove_member_confirm.to_owned())
            busy=remove.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(p) = leaving.get_untracked() {
                    remove.dispatch_local(p);
                }
            })
            on_cancel=Callback::new(move |_| {
                if !remove.pending().get_untracked() {
                    leaving.set(None);
                }
            })
        />
    }
}
