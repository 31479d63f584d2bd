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
        api::set_csrf_token(Some(me.csrf_token.clone()));
        self.me.set(Some(me));
        self.phase.set(Phase::SignedIn);
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
        me.set(None);
        phase.set(Phase::SignedOut);
    };
    let session = Session {
        me,
        phase,
        chosen_workspace: RwSignal::new(local_storage().and_then(|s| s.get_item(WORKSPACE_KEY).ok().flatten())),
        sign_out: Action::new_local(move |_: &()| async move {
            let _ = api::session::sign_out().await;
            ended();
        }),
    };
    provide_context(session);
    provide_context(OnUnauthorized(Callback::new(move |_| ended())));
    // Taken by the first run: a ticket works once.
    let ticket = std::cell::Cell::new(ticket);
    let who = Action::new_local(move |_: &()| {
        let ticket = ticket.take();
        async move {
            // A ticket used or late opens nothing; whoever the browser is signed in as, if anyone, stays.
            let opened = match ticket {
                Some(ticket) => api::session::exchange_ticket(ticket).await.ok(),
                None => None,
            };
            match opened {
                Some(who) => session.signed_in(who),
                None => match api::session::me().await {
                    Ok(who) => session.signed_in(who),
                    Err(_) => ended(),
                },
            }
        }
    });
    who.dispatch_local(());
    session
}

/// The session, from context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
