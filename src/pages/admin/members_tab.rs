//! The Members tab: the workspace's people and their roles, changing a role, and removing one
//! (offboarding): their tokens are disabled and kept, marked as their owner's leaving. The last
//! admin can be neither demoted nor removed.

use leptos::prelude::*;
use token_api::admin::{MemberList, MemberRole};
use token_api::auth::Role;
use token_api::tokens::Person;

use crate::api;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_panel::error_text;
use crate::components::loaded::Loaded;
use crate::i18n::use_i18n;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

/// The tab, over the members the page read.
#[component]
pub fn MembersTab(members: LocalResource<Result<MemberList, api::ApiError>>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let toasts = use_toasts();
    let ws = Memo::new(move |_| session.workspace().map(|w| w.id).unwrap_or_default());
    let workspace_name = move || session.workspace().map(|w| w.name).unwrap_or_default();
    // The member whose removal waits for confirmation, with their tokens that still work.
    let leaving = RwSignal::new(None::<(Person, u64)>);
    // One action for both changes to a member: a new role (`Some`), or removal.
    let change = Action::new_local(move |(person, role): &(Person, Option<Role>)| {
        let (ws, person, role) = (ws.get_untracked(), person.clone(), *role);
        async move {
            let t = i18n.t();
            let done = match role {
                Some(role) => api::admin::set_member_role(ws.clone(), person.id.clone(), MemberRole { role })
                    .await
                    .map(|_| {
                        // Stepping down closes this page to them.
                        if session.me().is_some_and(|me| me.user.id == person.id) {
                            session.role_changed(&ws, role);
                        }
                        let word = if role == Role::Admin {
                            t.role_admin_short
                        } else {
                            t.role_member_short
                        };
                        (t.role_changed_toast)(&person.name, word)
                    }),
                None => api::admin::remove_member(ws, person.id.clone())
                    .await
                    .map(|done| (t.member_removed_toast)(&person.name, done.disabled)),
            };
            match done {
                Ok(said) => toasts.success(said),
                Err(api::ApiError::Aborted) => {}
                Err(e) => toasts.error(error_text(t, &e), vec![]),
            }
            leaving.set(None);
            members.refetch();
        }
    });
    let table = move || {
        members
            .with(|m| m.as_ref().and_then(|r| r.as_ref().ok()).cloned())
            .map(|list| {
                let t = i18n.t();
                let last_admin = list.admins.len() == 1;
                let rows = list
                .members
                .iter()
                .map(|person| {
                    let admin = list.admins.contains(&person.id);
                    let locked = admin && last_admin;
                    let open = list.open_tokens_of(&person.id);
                    let who = (person.clone(), open);
                    let changing = person.clone();
                    view! {
                        <tr>
                            <th scope="row" class="name">
                                <span dir="auto">{person.name.clone()}</span>
                                <span class="muted small" dir="auto">{person.email.clone()}</span>
                                {list.scim.as_ref().is_some_and(|s| s.provisioned.contains(&person.id)).then(|| view! {
                                    <span class="muted small">{t.scim_member}</span>
                                })}
                            </th>
                            <td data-label=t.role_label>
                                <select
                                    aria-label=(t.role_of)(&person.name)
                                    disabled=move || locked || change.pending().get()
                                    title=locked.then_some(t.last_admin_note)
                                    on:change:target=move |ev| {
                                        let role = ev.target().value().parse().unwrap_or(Role::Member);
                                        change.dispatch_local((changing.clone(), Some(role)));
                                    }
                                >
                                    <option value=Role::Member.as_str() selected=!admin>{t.role_member_short}</option>
                                    <option value=Role::Admin.as_str() selected=admin>{t.role_admin_short}</option>
                                </select>
                            </td>
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
    // How people sign in, where the workspace has an identity provider; its last error while
    // it is failing.
    let sso = move || {
        let c = members.with(|m| m.as_ref().and_then(|r| r.as_ref().ok()).and_then(|l| l.sso.clone()))?;
        let t = i18n.t();
        let mut line = format!("{}{}", t.sso_status, c.issuer);
        if c.required {
            line = format!("{line} · {}", t.sso_required_note);
        }
        // Provisioned by SCIM: the last push, and the last request the service refused.
        let scim = members
            .with(|m| m.as_ref().and_then(|r| r.as_ref().ok()).and_then(|l| l.scim.clone()))
            .map(|s| {
                let locale = i18n.locale.get();
                let when = s.last_used_at.map_or_else(|| t.never.to_owned(), |at| crate::format::date(locale, at));
                let refused = s.last_error.zip(s.last_error_at).map(|(e, at)| {
                    view! { <p class="muted small" dir="auto">{format!("{}{} · {e}", t.scim_refused, crate::format::date(locale, at))}</p> }
                });
                view! {
                    <p class="intro">{format!("{}{when}", t.scim_status)}</p>
                    {refused}
                }
            });
        let error = c
            .failing
            .map(|e| view! { <p class="form-error" role="alert">{t.sso_refusal(e)}</p> });
        Some(view! {
            <p class="intro">{line}</p>
            {error}
            {scim}
        })
    };
    view! {
        {sso}
        <Loaded resource=members>{table}</Loaded>
        <ConfirmDialog
            open=Signal::derive(move || leaving.with(Option::is_some))
            id="remove-member-title"
            title=Signal::derive(move || {
                leaving.with(|p| p.as_ref().map(|(p, _)| (i18n.t().remove_member_title)(&p.name, &workspace_name())).unwrap_or_default())
            })
            body=Signal::derive(move || (i18n.t().remove_member_body)(leaving.with(|p| p.as_ref().map_or(0, |(_, open)| *open))))
            confirm_label=Signal::derive(move || i18n.t().remove_member_confirm.to_owned())
            busy=change.pending()
            on_confirm=Callback::new(move |_| {
                if let Some((p, _)) = leaving.get_untracked() {
                    change.dispatch_local((p, None));
                }
            })
            on_cancel=Callback::new(move |_| {
                if !change.pending().get_untracked() {
                    leaving.set(None);
                }
            })
        />
    }
}
