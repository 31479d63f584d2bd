//! Who is signed in, and which of their workspaces the pages show.

use leptos::prelude::*;
use token_api::auth::{Me, Role, WorkspaceSummary};

use crate::api::{self, OnUnauthorized};

/// Whether anyone is signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Still asking the service.
    Loading,
    SignedOut,
    SignedIn,
}

/// The session, shared through context.
#[derive(Clone, Copy)]
pub struct Session {
    me: RwSignal<Option<Me>>,
    phase: RwSignal<Phase>,
    /// The workspace the user picked; the first one when they have not picked.
    chosen_workspace: RwSignal<Option<String>>,
    /// Ends the session at the service, then here.
    sign_out: Action<(), ()>,
    /// Asks the service who is signed in, exchanging the waiting ticket (`TICKET`) first.
    who: Action<(), ()>,
}

thread_local! {
    /// A host's one-time ticket waiting for its exchange, with the origin of the host that
    /// framed the page for a frame's: taken by the next `who`, so it is tried once.
    static TICKET: std::cell::Cell<Option<(String, Option<String>)>> = const { std::cell::Cell::new(None) };
}

const WORKSPACE_KEY: &str = "token-console.workspace";

impl Session {
    /// Loading, signed out, or signed in.
    pub fn phase(self) -> Phase {
        self.phase.get()
    }

    /// The signed-in user, if any.
    pub fn me(self) -> Option<Me> {
        self.me.get()
    }

    /// Records a successful sign-in (or a fresh `/api/me`).
    pub fn signed_in(self, me: Me) {
        record_sign_in(self.me, self.phase, me);
    }

    /// A workspace's policy changed (its admin saved it): the pages follow at once.
    pub fn policy_changed(self, workspace_id: &str, policy: token_api::policy::WorkspacePolicy) {
        self.update_workspace(workspace_id, |w| w.policy = policy);
    }

    /// The user's role in a workspace changed (they stepped down): the pages follow at once.
    pub fn role_changed(self, workspace_id: &str, role: Role) {
        self.update_workspace(workspace_id, |w| w.role = role);
    }

    fn update_workspace(self, workspace_id: &str, change: impl FnOnce(&mut WorkspaceSummary)) {
        self.me.update(|me| {
            if let Some(w) = me
                .as_mut()
                .and_then(|m| m.workspaces.iter_mut().find(|w| w.id == workspace_id))
            {
                change(w);
            }
        });
    }

    /// Signs in with a host's one-time ticket (`parent`: the host that framed this page); one
    /// that opens nothing leaves whoever is signed in, if anyone.
    pub fn open_with_ticket(self, ticket: String, parent: Option<String>) {
        TICKET.with(|t| t.set(Some((ticket, parent))));
        self.who.dispatch_local(());
    }

    /// Ends the session at the service, then here, whatever the service answered.
    pub fn sign_out(self) {
        self.sign_out.dispatch_local(());
    }

    /// The workspace the pages show.
    pub fn workspace(self) -> Option<WorkspaceSummary> {
        let chosen = self.chosen_workspace.get();
        self.me.with(|me| {
            let workspaces = &me.as_ref()?.workspaces;
            chosen
                .and_then(|id| workspaces.iter().find(|w| w.id == id))
                .or_else(|| workspaces.first())
                .cloned()
        })
    }

    /// Whether the user is an admin of the workspace the pages show.
    pub fn is_admin(self) -> bool {
        self.workspace().is_some_and(|w| w.role == Role::Admin)
    }

    /// Switches the pages to another of the user's workspaces, and remembers it (an id, no secret).
    pub fn choose_workspace(self, id: String) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(WORKSPACE_KEY, &id);
        }
        self.chosen_workspace.set(Some(id));
    }

    /// Shows this workspace without remembering it: a host chose it for the panel.
    pub fn pin_workspace(self, id: String) {
        self.chosen_workspace.set(Some(id));
    }
}

/// A sign-in, kept: the CSRF token (and a frame's session) for the requests, the person for the
/// pages.
fn record_sign_in(signal: RwSignal<Option<Me>>, phase: RwSignal<Phase>, mut me: Me) {
    api::set_csrf_token(Some(me.csrf_token.clone()));
    if let Some(frame_session) = me.frame_session.take() {
        api::set_frame_session(Some(frame_session));
    }
    signal.set(Some(me));
    phase.set(Phase::SignedIn);
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Provides the session, asks the service who is signed in (a panel with a host's `ticket`
/// exchanges it first), and hears every 401 the pages' requests get: the session ended.
pub fn provide_session(ticket: Option<String>) -> Session {
    let me = RwSignal::new(None);
    let phase = RwSignal::new(Phase::Loading);
    let ended = move || {
        api::set_csrf_token(None);
        api::set_frame_session(None);
        // Told once: several 401s end one session.
        if phase.get_untracked() == Phase::SignedOut {
            return;
        }
        // Each time it becomes signed out, a host's frame asks its host for a ticket.
        crate::embed::frame::ask_for_ticket();
        me.set(None);
        phase.set(Phase::SignedOut);
    };
    let who = Action::new_local(move |_: &()| {
        let ticket = TICKET.with(std::cell::Cell::take);
        async move {
            if let Some((ticket, parent)) = ticket {
                match api::session::exchange_ticket(ticket, parent).await {
                    Ok(who) => return record_sign_in(me, phase, who),
                    // A ticket that opens nothing (used, late) leaves a signed-in page as it is.
                    Err(_) if phase.get_untracked() == Phase::SignedIn => return,
                    // Else the form, unless the browser is signed in already (asked below).
                    Err(_) => ended(),
                }
            }
            match api::session::me().await {
                Ok(who) => record_sign_in(me, phase, who),
                // Unless a ticket signed the page in meanwhile.
                Err(_) if phase.get_untracked() == Phase::SignedIn => {}
                Err(_) => ended(),
            }
        }
    });
    let session = Session {
        me,
        phase,
        chosen_workspace: RwSignal::new(local_storage().and_then(|s| s.get_item(WORKSPACE_KEY).ok().flatten())),
        sign_out: Action::new_local(move |_: &()| async move {
            let provider = api::session::sign_out().await.ok().flatten();
            ended();
            // The identity provider's session ends there, and it sends the browser back.
            if let Some(out) = provider {
                let _ = window().location().set_href(&out.provider_sign_out_url);
            }
        }),
        who,
    };
    provide_context(session);
    provide_context(OnUnauthorized(Callback::new(move |_| ended())));
    match ticket {
        Some(ticket) => session.open_with_ticket(ticket, None),
        None => {
            who.dispatch_local(());
        }
    }
    session
}

/// The session, from context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
