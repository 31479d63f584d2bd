//! What the panel tells its host: a token was created, disabled or deleted, with ids and names
//! only. The payload's type holds nothing else, so no secret can ride along.
//!
//! A panel mounted into a host's element dispatches a `CustomEvent` named `token-console:EVENT`
//! on that element (bubbling, payload in `detail`). The `/embed/...` page in an iframe posts the
//! payload to its parent window, only when the host named its own origin (`?parent=ORIGIN`), and
//! only to that origin.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// The kinds of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Created,
    Disabled,
    Deleted,
    /// The iframe page is signed out and asks its host for a sign-in ticket (`embed::frame`).
    TicketWanted,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Created => "token-created",
            EventKind::Disabled => "token-disabled",
            EventKind::Deleted => "token-deleted",
            EventKind::TicketWanted => "ticket-wanted",
        }
    }
}

/// A token named in an event: never its secret, which the panel does not keep anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef {
    pub id: String,
    pub name: String,
}

/// Where events go.
#[derive(Clone, Debug, Default)]
pub enum Sink {
    /// Nobody listens: the stand-alone app.
    #[default]
    Nowhere,
    /// The host element the panel was mounted into.
    Element(web_sys::HtmlElement),
    /// The parent window, at exactly this origin.
    Parent(String),
}

/// The validated `parent` origin of the iframe page: `scheme://host[:port]` and nothing more.
pub fn parent_origin(value: &str) -> Option<String> {
    token_api::validate::bare_origin(value).map(str::to_owned)
}

/// The event sink, shared through context.
#[derive(Clone, Copy)]
pub struct Events(StoredValue<Sink, LocalStorage>);

/// Provides where this panel's events go.
pub fn provide_events(sink: Sink) {
    provide_context(Events(StoredValue::new_local(sink)));
}

/// The panel's event sink, from context: read it while the component is set up (an async
/// block has no owner to look it up from). Components mounted without one (tests) emit nothing.
pub fn use_events() -> Events {
    use_context::<Events>().unwrap_or_else(|| Events(StoredValue::new_local(Sink::Nowhere)))
}

impl Events {
    /// Tells the host, if anyone listens.
    pub fn emit(self, kind: EventKind, tokens: &[TokenRef]) {
        self.0.with_value(|sink| {
            if tokens.is_empty() {
                return;
            }
            match sink {
                Sink::Nowhere => {}
                Sink::Element(element) => {
                    let init = web_sys::CustomEventInit::new();
                    init.set_bubbles(true);
                    init.set_composed(true);
                    init.set_detail(&payload(kind, tokens));
                    let name = format!("token-console:{}", kind.name());
                    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(&name, &init) {
                        let _ = element.dispatch_event(&event);
                    }
                }
                Sink::Parent(origin) => {
                    let Some(window) = web_sys::window() else { return };
                    let Ok(Some(parent)) = window.parent() else { return };
                    if parent != window {
                        let _ = parent.post_message(&payload(kind, tokens), origin);
                    }
                }
            }
        });
    }

    /// Tells the host about one token.
    pub fn emit_one(self, kind: EventKind, id: &str, name: &str) {
        self.emit(
            kind,
            &[TokenRef {
                id: id.to_owned(),
                name: name.to_owned(),
            }],
        );
    }
}

impl From<token_api::tokens::BatchAction> for EventKind {
    fn from(action: token_api::tokens::BatchAction) -> EventKind {
        match action {
            token_api::tokens::BatchAction::Disable => EventKind::Disabled,
            token_api::tokens::BatchAction::Delete => EventKind::Deleted,
        }
    }
}

/// `{ source: "token-console", event, tokens: [{ id, name }] }`.
pub(super) fn payload(kind: EventKind, tokens: &[TokenRef]) -> JsValue {
    let set = |object: &js_sys::Object, key: &str, value: &JsValue| {
        let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
    };
    let list = js_sys::Array::new();
    for token in tokens {
        let item = js_sys::Object::new();
        set(&item, "id", &JsValue::from_str(&token.id));
        set(&item, "name", &JsValue::from_str(&token.name));
        list.push(&item);
    }
    let object = js_sys::Object::new();
    set(&object, "source", &JsValue::from_str("token-console"));
    set(&object, "event", &JsValue::from_str(kind.name()));
    set(&object, "tokens", &list);
    object.unchecked_into()
}

#[cfg(test)]
mod tests {
    use super::parent_origin;

    #[test]
    fn only_a_bare_origin_is_a_parent() {
        assert_eq!(
            parent_origin("http://127.0.0.1:18182").as_deref(),
            Some("http://127.0.0.1:18182")
        );
        assert_eq!(
            parent_origin("https://app.example.com").as_deref(),
            Some("https://app.example.com")
        );
        for bad in [
            "*",
            "",
            "javascript:alert(1)",
            "https://a.example/path",
            "ftp://a.example",
            "https://",
        ] {
            assert_eq!(parent_origin(bad), None, "{bad}");
        }
    }
}
