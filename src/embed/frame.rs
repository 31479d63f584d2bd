//! The `/embed/...` page in a host's iframe, signed in by the host. A cross-site frame never
//! gets the service's session cookie (`SameSite=Strict`), so the page, each time it becomes
//! signed out, asks its parent for a one-time ticket (`{ source: "token-console", event:
//! "ticket-wanted", tokens: [] }`, posted to the `?parent=` origin only) and takes the ticket the
//! parent posts back (a string, from that origin only). The service answers the exchange with
//! the session itself, which lives in this page's memory and nowhere else.

use std::cell::RefCell;

use token_api::host::TICKET_PREFIX;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::events::{payload, EventKind};
use crate::state::session::Session;

thread_local! {
    /// The origin of the host framing this page, once it listens for the host's tickets.
    static PARENT: RefCell<Option<String>> = const { RefCell::new(None) };
    /// When the page last asked (ms since the epoch).
    static ASKED_AT: std::cell::Cell<f64> = const { std::cell::Cell::new(f64::NEG_INFINITY) };
}

/// The least time between two asks: a session that ends as soon as a ticket opens it (a proxy
/// that drops the session's header) must not have the host mint tickets in a loop.
const ASK_AT_MOST_EVERY_MS: f64 = 30_000.0;

/// Signs the frame in with the tickets the host at `parent` posts. Nothing when the page is
/// not in a frame.
pub fn sign_in_with_host_tickets(parent: String, session: Session) {
    let Some(window) = web_sys::window().filter(|_| framing_window().is_some()) else {
        return;
    };
    PARENT.with(|p| *p.borrow_mut() = Some(parent.clone()));
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        // From the window that frames this page, at the origin it was told: not another window
        // of that origin, nor one that got hold of the frame.
        let from_parent = event.origin() == parent
            && event.source().map(wasm_bindgen::JsValue::from) == framing_window().map(wasm_bindgen::JsValue::from);
        let ticket = event.data().as_string().filter(|t| t.starts_with(TICKET_PREFIX));
        if let Some(ticket) = ticket.filter(|_| from_parent) {
            session.open_with_ticket(ticket, Some(parent.clone()));
        }
    });
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    // The page's listener for as long as the page lives.
    on_message.forget();
}

/// Asks the framing host for a ticket, if this page listens for one and did not ask lately.
pub fn ask_for_ticket() {
    let now = js_sys::Date::now();
    if now - ASKED_AT.with(std::cell::Cell::get) < ASK_AT_MOST_EVERY_MS {
        return;
    }
    ASKED_AT.with(|a| a.set(now));
    PARENT.with(|p| {
        if let (Some(parent), Some(host)) = (p.borrow().as_deref(), framing_window()) {
            let _ = host.post_message(&payload(EventKind::TicketWanted, &[]), parent);
        }
    });
}

/// The window that frames this page, if one does.
fn framing_window() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    window.parent().ok().flatten().filter(|parent| *parent != window)
}
