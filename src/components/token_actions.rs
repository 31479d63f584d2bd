//! The one way both token pages act on tokens: an action waiting for confirmation (`Pending`),
//! the dialog that confirms it (`ActionConfirm`), the Leptos action that runs it
//! (`use_token_actions`: its pending state is the busy state, and its requests end with the
//! page), and how the result is told: a toast, the tokens that failed named with the reason, and
//! an event for the host.
//!
//! A page brings only what differs: how a confirmed action is sent (a member's own tokens, or an
//! admin's with a reason), and what it does with the ids the action changed.

use std::future::Future;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use token_api::query::TokenFilter;
use token_api::tokens::{access_tokens_end, BatchAction, BatchOutcome, BatchResult, TokenView};

use crate::api::ApiError;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_panel::error_text;
use crate::embed::events::{use_events, Events, TokenRef};
use crate::format;
use crate::i18n::{use_i18n, Messages};
use crate::state::toasts::{use_toasts, Toasts};

/// A token's name in a toast, at most this long (names may be 100 characters).
const TOAST_NAME_CHARS: usize = 40;

/// Above this many tokens, the user types the count to confirm.
const TYPE_TO_CONFIRM_OVER: u64 = 100;

/// What an action applies to. One value at a time waits for confirmation, so a token held
/// inline (not boxed) costs nothing worth the indirection.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Target {
    /// One token, from its row's menu.
    One(TokenView),
    /// The selected tokens: ids and names.
    Many(Vec<(String, String)>),
    /// Every token a filter matches: as many as were counted at `as_of` (the Admins page's
    /// "select all matching"), and the names of those the page shows, for the result.
    Matching {
        filter: TokenFilter,
        count: u64,
        as_of: DateTime<Utc>,
        shown: Vec<(String, String)>,
    },
}

/// Where focus goes after an action on one token from its row's menu, so a keyboard or screen
/// reader user is not dropped at the top of the page: back to that row's menu button once the
/// row is built again (Disable), read by the token table as it builds rows; or, when the row is
/// gone (Delete), to the next row's (else the previous row's) menu button.
#[derive(Clone, Copy)]
pub struct RowFocus(StoredValue<Option<String>>);

impl RowFocus {
    /// The row of `id` takes focus when it is next built (the list being read again), if focus
    /// is nowhere then: a user who has moved on keeps their place (`RowMenu`'s
    /// `focus_on_mount`).
    fn expect(self, id: String) {
        self.0.set_value(Some(id));
    }

    /// Whether the row of `id`, being built, takes focus; asked once.
    pub fn take_if(self, id: &str) -> bool {
        let hit = self.0.with_value(|want| want.as_deref() == Some(id));
        if hit {
            self.0.set_value(None);
        }
        hit
    }
}

/// Moves focus from the menu button of a row about to go to its neighbour's: the next row's, or
/// the previous one's at the end. The confirmation dialog has just given focus back to the
/// button that opened it, so that is where it is read from.
fn focus_neighbouring_row() {
    use wasm_bindgen::JsCast;
    let row = crate::dom::focused().and_then(|f| f.closest("tr").ok().flatten());
    let Some(row) = row else { return };
    let menu_of = |r: Option<web_sys::Element>| {
        r.filter(|r| !r.class_name().split(' ').any(|c| c == "spacer"))
            .and_then(|r| r.query_selector(".row-menu > button").ok().flatten())
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
    };
    if let Some(button) = menu_of(row.next_element_sibling()).or_else(|| menu_of(row.previous_element_sibling())) {
        let _ = button.focus();
    }
}

/// An action waiting for the user's confirmation.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub action: BatchAction,
    pub target: Target,
    /// Selected tokens the action leaves alone, as it cannot change them (a disable skips the
    /// disabled and expired ones): told in the result, never counted as acted on.
    pub skipped: u64,
}

impl Pending {
    /// How many tokens it acts on.
    pub fn count(&self) -> u64 {
        match &self.target {
            Target::One(_) => 1,
            Target::Many(targets) => targets.len() as u64,
            Target::Matching { count, .. } => *count,
        }
    }

    /// The tokens it names, by id: one, or a selection (`None` for all that match a filter).
    pub fn ids(&self) -> Option<Vec<String>> {
        match &self.target {
            Target::One(token) => Some(vec![token.id.clone()]),
            Target::Many(targets) => Some(targets.iter().map(|(id, _)| id.clone()).collect()),
            Target::Matching { .. } => None,
        }
    }

    /// A token's name, where the action knows it.
    fn name_of(&self, id: &str) -> Option<String> {
        match &self.target {
            Target::One(token) => (token.id == id).then(|| token.name.clone()),
            Target::Many(names) | Target::Matching { shown: names, .. } => {
                names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone())
            }
        }
    }

    fn title(&self, t: &Messages) -> String {
        match (&self.target, self.action) {
            (Target::One(token), BatchAction::Disable) => (t.confirm_disable_title)(&token.name),
            (Target::One(token), BatchAction::Delete) => (t.confirm_delete_title)(&token.name),
            (_, BatchAction::Disable) => (t.confirm_bulk_disable_title)(self.count() as usize),
            (_, BatchAction::Delete) => (t.confirm_bulk_delete_title)(self.count() as usize),
        }
    }

    fn body(&self, t: &Messages, until: &str) -> String {
        match (&self.target, self.action) {
            (Target::One(_), BatchAction::Disable) => (t.confirm_disable_body)(until),
            (Target::One(_), BatchAction::Delete) => (t.confirm_delete_body)(until),
            _ => (t.confirm_bulk_body)(until),
        }
    }

    /// The confirm button says the verb and count of the title.
    fn confirm_label(&self, t: &Messages) -> String {
        let n = self.count() as usize;
        match self.action {
            BatchAction::Disable => (t.disable_confirm)(n),
            BatchAction::Delete => (t.delete_confirm)(n),
        }
    }
}

/// A page's actions on tokens; `Copy`.
#[derive(Clone, Copy)]
pub struct TokenActions {
    /// The action waiting for confirmation, if any.
    pending: RwSignal<Option<Pending>>,
    run: Action<(Pending, Option<String>), ()>,
}

impl TokenActions {
    /// Asks the user to confirm `action` on `target`, out of `selected` tokens: those it leaves
    /// alone (`crate::bulk::left_alone`) are told in the result.
    pub fn ask(self, action: BatchAction, target: Target, selected: usize) {
        let mut p = Pending {
            action,
            target,
            skipped: 0,
        };
        p.skipped = crate::bulk::left_alone(selected, p.count());
        self.pending.set(Some(p));
    }

    /// Row-menu handlers for one token.
    pub fn one(self, action: BatchAction) -> Callback<TokenView> {
        Callback::new(move |token| self.ask(action, Target::One(token), 1))
    }
}

/// The page's actions: `send` sends a confirmed action (with the reason given, where one was
/// asked) and answers each id's outcome; `changed` hears the ids the action settled, after the
/// user and the host have been told, and an empty list after a failure: either way the page
/// reads its list again, since something may have changed under it.
pub fn use_token_actions<F, Sent>(send: F, changed: impl Fn(BatchAction, &[String]) + 'static) -> TokenActions
where
    F: Fn(Pending, Option<String>) -> Sent + 'static,
    Sent: Future<Output = Result<BatchResult, ApiError>> + 'static,
{
    let i18n = use_i18n();
    let toasts = use_toasts();
    let events = use_events();
    let pending = RwSignal::new(None::<Pending>);
    let row_focus = RowFocus(StoredValue::new(None));
    provide_context(row_focus);
    let changed = Rc::new(changed);
    let run = Action::new_local(move |(p, reason): &(Pending, Option<String>)| {
        let sent = send(p.clone(), reason.clone());
        let (p, changed) = (p.clone(), Rc::clone(&changed));
        async move {
            match sent.await {
                Ok(result) => {
                    let done = report(i18n.t(), (toasts, events), &p, &result);
                    if let Target::One(token) = &p.target {
                        if done.contains(&token.id) {
                            match p.action {
                                BatchAction::Disable => row_focus.expect(token.id.clone()),
                                // After the dialog has closed and given focus back to the row.
                                BatchAction::Delete => set_timeout(focus_neighbouring_row, std::time::Duration::ZERO),
                            }
                        }
                    }
                    changed(p.action, &done);
                }
                // The session ended: the sign-in form says so in the page's place.
                Err(e) if e.status() == Some(401) => {}
                Err(e) => {
                    toasts.error(error_text(i18n.t(), &e), vec![]);
                    changed(p.action, &[]);
                }
            }
            pending.set(None);
        }
    });
    TokenActions { pending, run }
}

/// Tells what an action did, to the user and to the host; returns the ids it changed, and those
/// it found already as asked.
fn report(t: &Messages, (toasts, events): (Toasts, Events), p: &Pending, result: &BatchResult) -> Vec<String> {
    let name_of = |id: &str| format::shorten(&p.name_of(id).unwrap_or_else(|| id.to_owned()), TOAST_NAME_CHARS);
    let done: Vec<String> = result
        .results
        .iter()
        .filter(|r| r.outcome == BatchOutcome::Done)
        .map(|r| r.id.clone())
        .collect();
    // Disabled by someone else in the meantime: what the user wanted is so, and is told with
    // the tokens the action skipped, not as a failure.
    let already = result
        .results
        .iter()
        .filter(|r| r.outcome == BatchOutcome::AlreadyDisabled)
        .count();
    let failed: Vec<String> = result
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, BatchOutcome::Done | BatchOutcome::AlreadyDisabled))
        .map(|r| format!("{}: {}", name_of(&r.id), t.outcome_not_found))
        .collect();
    let left_alone = p.skipped as usize + already;
    if !done.is_empty() {
        let message = match (&p.target, p.action) {
            (Target::One(token), BatchAction::Disable) => {
                (t.disabled_toast)(&format::shorten(&token.name, TOAST_NAME_CHARS))
            }
            (Target::One(token), BatchAction::Delete) => {
                (t.deleted_toast)(&format::shorten(&token.name, TOAST_NAME_CHARS))
            }
            (_, BatchAction::Disable) => (t.bulk_disabled_toast)(done.len(), left_alone),
            (_, BatchAction::Delete) => (t.bulk_deleted_toast)(done.len()),
        };
        toasts.success(message);
        let refs: Vec<TokenRef> = done
            .iter()
            .map(|id| TokenRef {
                id: id.clone(),
                name: p.name_of(id).unwrap_or_default(),
            })
            .collect();
        events.emit(p.action.into(), &refs);
    }
    if done.is_empty() && left_alone > 0 && p.action == BatchAction::Disable {
        toasts.success((t.bulk_disabled_toast)(0, left_alone));
    }
    if !failed.is_empty() {
        toasts.error((t.bulk_failed)(failed.len()), failed);
    }
    // Those found already disabled are as the user asked: they leave the selection too.
    let settled = result
        .results
        .iter()
        .filter(|r| r.outcome == BatchOutcome::AlreadyDisabled)
        .map(|r| r.id.clone());
    done.into_iter().chain(settled).collect()
}

/// Confirms the page's pending action, saying what it means; asks the admin's reason where
/// `ask_reason`, and the count typed back for a big action.
#[component]
pub fn ActionConfirm(
    actions: TokenActions,
    /// Ask why, for the audit trail (admins).
    #[prop(optional)]
    ask_reason: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let pending = actions.pending;
    let busy = actions.run.pending();
    let reason = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let count = move || pending.with(|p| p.as_ref().map(Pending::count).unwrap_or(0));
    let must_type = move || count() > TYPE_TO_CONFIRM_OVER;
    let ready = Signal::derive(move || !must_type() || typed.get().trim() == count().to_string());
    let until = move || format::time_zoned(access_tokens_end(Utc::now()));
    let text = move |f: fn(&Pending, &Messages) -> String| {
        Signal::derive(move || pending.with(|p| p.as_ref().map(|p| f(p, i18n.t())).unwrap_or_default()))
    };
    view! {
        <ConfirmDialog
            open=Signal::derive(move || pending.with(Option::is_some))
            id="action-confirm-title"
            title=text(Pending::title)
            body=Signal::derive(move || pending.with(|p| p.as_ref().map(|p| p.body(i18n.t(), &until())).unwrap_or_default()))
            confirm_label=text(Pending::confirm_label)
            busy
            ready
            on_confirm=Callback::new(move |_| {
                if let Some(p) = pending.get_untracked() {
                    let why = Some(reason.get_untracked()).filter(|r| ask_reason && !r.trim().is_empty());
                    reason.set(String::new());
                    typed.set(String::new());
                    actions.run.dispatch_local((p, why));
                }
            })
            on_cancel=Callback::new(move |_| {
                if !busy.get_untracked() {
                    pending.set(None);
                    reason.set(String::new());
                    typed.set(String::new());
                }
            })
        >
            <Show when=move || ask_reason>
                <div class="field">
                    <label for="action-reason">{move || i18n.t().reason_label}</label>
                    <textarea id="action-reason" rows="2" maxlength="500" prop:value=reason on:input:target=move |ev| reason.set(ev.target().value())></textarea>
                </div>
            </Show>
            <Show when=must_type>
                <div class="field">
                    <label for="action-count">{move || (i18n.t().type_count)(count())}</label>
                    <input id="action-count" type="text" inputmode="numeric" autocomplete="off" prop:value=typed on:input:target=move |ev| typed.set(ev.target().value()) />
                </div>
            </Show>
        </ConfirmDialog>
    }
}
