//! Add member: an admin brings a person new to the service into the workspace with a role, and
//! is shown once the link that sets their password, to pass on; or brings back a former member,
//! who keeps their own password. Anyone else who has an account is refused: the operator adds
//! existing accounts.

use leptos::prelude::*;
use token_api::admin::{AddMemberRequest, AddedMember};
use token_api::auth::Role;
use token_api::validate::{self, Invalid};

use crate::api;
use crate::components::copy_field::CopyField;
use crate::components::error_panel::error_text;
use crate::components::error_panel::invalid_text;
use crate::components::modal::Modal;
use crate::i18n::{use_i18n, Messages};
use crate::state::session::use_session;

/// An email's fault in words.
fn email_fault(t: &Messages, invalid: Invalid) -> String {
    match invalid {
        Invalid::Required | Invalid::NotAnEmail => t.email_invalid.to_owned(),
        Invalid::AlreadyMember => t.member_exists_here.to_owned(),
        Invalid::HasAccount => t.member_has_account.to_owned(),
        Invalid::Lookalike => t.email_lookalike.to_owned(),
        other => invalid_text(t, other),
    }
}

/// The button and its dialog; `on_added` runs when someone joined.
#[component]
pub fn AddMember(on_added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let open = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let tried = RwSignal::new(false);
    let add = Action::new_local(move |request: &AddMemberRequest| {
        let (ws, request) = (session.workspace().map(|w| w.id).unwrap_or_default(), request.clone());
        async move {
            let added = api::admin::add_member(ws, request).await;
            if added.is_ok() {
                on_added.run(());
            }
            added
        }
    });
    let added = move || add.value().get().and_then(Result::ok);
    let fault = move || {
        let t = i18n.t();
        if !tried.get() {
            return None;
        }
        if let Err(invalid) = validate::email_shape(&email.get()) {
            return Some(email_fault(t, invalid));
        }
        match add.value().get()? {
            Err(e) => Some(match e.field_errors().next() {
                Some(("email", invalid)) => email_fault(t, invalid),
                Some((_, invalid)) => invalid_text(t, invalid),
                None => error_text(t, &e),
            }),
            Ok(_) => None,
        }
    };
    let start = move |_| {
        email.set(String::new());
        name.set(String::new());
        role.set(Role::Member);
        tried.set(false);
        add.clear();
        open.set(true);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if validate::email_shape(&email.get_untracked()).is_ok() && !add.pending().get_untracked() {
            let name = Some(name.get_untracked()).filter(|n| !n.trim().is_empty());
            add.dispatch_local(AddMemberRequest {
                email: email.get_untracked(),
                name,
                role: role.get_untracked(),
            });
        }
    };
    let result = move |AddedMember {
                           member,
                           set_password_link,
                           ..
                       }: AddedMember| {
        let who = format!("{} <{}>", member.name, member.email);
        match set_password_link {
            Some(link) => view! {
                <p role="status">{move || (i18n.t().member_added_new)(&who)}</p>
                <CopyField id="set-password-link" label=Signal::derive(move || i18n.t().set_password_link_label.to_owned()) value=Signal::stored(link) />
            }
            .into_any(),
            None => view! { <p role="status">{move || (i18n.t().member_back)(&who)}</p> }.into_any(),
        }
    };
    view! {
        <button type="button" class="button" on:click=start>{move || i18n.t().add_member}</button>
        <Modal open on_escape=Callback::new(move |_| open.set(false)) labelled_by="add-member-title">
            <h2 id="add-member-title">{move || i18n.t().add_member_title}</h2>
            {move || match added() {
                Some(done) => result(done).into_any(),
                None => view! {
                    <form on:submit=submit novalidate>
                        <label class="field">
                            <span>{move || i18n.t().email_label}</span>
                            <input type="email" autocomplete="off" required prop:value=email on:input:target=move |ev| email.set(ev.target().value()) />
                        </label>
                        <label class="field">
                            <span>{move || i18n.t().member_name_label}</span>
                            <input type="text" autocomplete="off" maxlength="100" prop:value=name on:input:target=move |ev| name.set(ev.target().value()) />
                        </label>
                        <label class="field">
                            <span>{move || i18n.t().role_label}</span>
                            <select on:change:target=move |ev| role.set(ev.target().value().parse().unwrap_or(Role::Member))>
                                <option value="member" selected=move || role.get() == Role::Member>{move || i18n.t().role_member}</option>
                                <option value="admin" selected=move || role.get() == Role::Admin>{move || i18n.t().role_admin}</option>
                            </select>
                        </label>
                        <p class="form-error" role="alert">{fault}</p>
                        <div class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| open.set(false)>{move || i18n.t().cancel}</button>
                            <button type="submit" class="button button-primary" disabled=move || add.pending().get()>{move || i18n.t().add_member}</button>
                        </div>
                    </form>
                }
                .into_any(),
            }}
            <Show when=move || added().is_some()>
                <div class="dialog-actions">
                    <button type="button" class="button button-primary" on:click=move |_| open.set(false)>{move || i18n.t().close}</button>
                </div>
            </Show>
        </Modal>
    }
}
