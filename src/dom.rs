//! DOM look-ups that work the same on the stand-alone page and inside a host's shadow root,
//! where `document.activeElement` is the host element and `getElementById` cannot see in.

use leptos::prelude::document;
use wasm_bindgen::JsCast;

/// The focused element in the tree `near` belongs to.
pub fn active_element(near: &web_sys::Node) -> Option<web_sys::Element> {
    match near.get_root_node().dyn_ref::<web_sys::ShadowRoot>() {
        Some(shadow) => shadow.active_element(),
        None => document().active_element(),
    }
}

/// The focused element on the page, looked for inside shadow roots too (a panel's).
pub fn focused() -> Option<web_sys::Element> {
    let mut active = document().active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    Some(active)
}

/// The element with this id in the tree `near` belongs to.
pub fn element_by_id(near: &web_sys::Node, id: &str) -> Option<web_sys::Element> {
    match near.get_root_node().dyn_ref::<web_sys::ShadowRoot>() {
        Some(shadow) => shadow.get_element_by_id(id),
        None => document().get_element_by_id(id),
    }
}
