//! Mounting: the stand-alone page, a host's element by `data-*` attributes, or the exported
//! `mount(element, options)`; and `unmount()`, which takes away everything a mount added.
//!
//! A host's panel lives in an open shadow root on the host's element, so the host's CSS cannot
//! reach in and the panel's cannot leak out; only custom properties (the theme) and the few
//! inherited properties the panel's root resets cross the boundary. The stylesheet is compiled
//! in and adopted as a constructed stylesheet: no `<style>` element, no extra request, nothing
//! a strict CSP has to allow.

pub mod events;
pub mod frame;
pub mod options;

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::reactive::owner::Owner;
use leptos::tachys::view::{any_view::AnyViewState, Mountable, Render};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::{Mode, Root};
use options::MountOptions;

/// The panel's whole stylesheet, as `build.rs` minifies it.
const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/main.min.css"));

/// The attribute that marks an element to mount into; `="standalone"` on the app's own page.
pub const MARKER: &str = "data-token-console";

thread_local! {
    static SHEET: RefCell<Option<web_sys::CssStyleSheet>> = const { RefCell::new(None) };
    /// Panels nobody holds a handle to (mounted by attributes, or whose handle the host let
    /// go of without `unmount()`): they live as long as the page.
    static KEPT: RefCell<Vec<Live>> = const { RefCell::new(Vec::new()) };
}

/// The stylesheet, built once and shared by every mount.
fn stylesheet() -> Result<web_sys::CssStyleSheet, JsValue> {
    SHEET.with(|cell| {
        if let Some(sheet) = cell.borrow().as_ref() {
            return Ok(sheet.clone());
        }
        let sheet = web_sys::CssStyleSheet::new()?;
        sheet.replace_sync(STYLESHEET)?;
        *cell.borrow_mut() = Some(sheet.clone());
        Ok(sheet)
    })
}

/// Adds or removes the stylesheet from a document's or shadow root's adopted list.
fn adopt(list: js_sys::Array, sheet: &web_sys::CssStyleSheet, add: bool) -> js_sys::Array {
    let kept: js_sys::Array = list.iter().filter(|s| s != AsRef::<JsValue>::as_ref(sheet)).collect();
    if add {
        kept.push(sheet);
    }
    kept
}

/// Where a mount's stylesheet was adopted.
enum Scope {
    Document(web_sys::Document),
    Shadow(web_sys::ShadowRoot),
}

impl Scope {
    fn adopt(&self, add: bool) -> Result<(), JsValue> {
        let sheet = stylesheet()?;
        match self {
            Scope::Document(d) => d.set_adopted_style_sheets(&adopt(d.adopted_style_sheets(), &sheet, add)),
            Scope::Shadow(s) => s.set_adopted_style_sheets(&adopt(s.adopted_style_sheets(), &sheet, add)),
        }
        Ok(())
    }
}

/// A mounted panel or app. Dropping it does not unmount (see its `Drop`); `unmount()` does.
#[wasm_bindgen]
pub struct Mounted {
    live: Option<Live>,
}

struct Live {
    owner: Owner,
    view: AnyViewState,
    container: web_sys::HtmlElement,
    scope: Scope,
}

/// A handle dropped (by Rust, or collected by JavaScript once the host lets go of it) does not
/// unmount, and must not stop the panel either: the reactive owner would go with it, and the
/// panel would stop answering (a panel mounted with a used ticket stayed "Loading…" whenever
/// the collector came before the service's answer).
impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            KEPT.with(|k| k.borrow_mut().push(live));
        }
    }
}

#[wasm_bindgen]
impl Mounted {
    /// Removes the panel: its DOM, its stylesheet, and, by disposing its reactive owner, every
    /// listener, timer and request it started. Calling it again does nothing.
    pub fn unmount(&mut self) {
        let Some(mut live) = self.live.take() else { return };
        live.view.unmount();
        live.owner.cleanup();
        live.container.remove();
        let _ = live.scope.adopt(false);
    }

    /// Whether `unmount()` has not been called yet.
    #[wasm_bindgen(getter)]
    pub fn mounted(&self) -> bool {
        self.live.is_some()
    }
}

/// Builds `view` in a fresh reactive owner inside `container`.
fn mount_view(
    container: web_sys::HtmlElement,
    scope: Scope,
    view: impl FnOnce() -> AnyView,
) -> Result<Mounted, JsValue> {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    scope.adopt(true)?;
    let owner = Owner::new();
    let parent = container.clone();
    let view = owner.with(move || {
        let mut state = view().build();
        state.mount(&parent, None);
        state
    });
    Ok(Mounted {
        live: Some(Live {
            owner,
            view,
            container,
            scope,
        }),
    })
}

/// Mounts a panel into a host's element, inside its shadow root.
fn mount_panel(host: web_sys::HtmlElement, options: MountOptions) -> Result<Mounted, JsValue> {
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?,
    };
    let container: web_sys::HtmlElement = document().create_element("div")?.unchecked_into();
    shadow.append_child(&container)?;
    crate::api::set_base(&options.api_base);
    mount_view(container, Scope::Shadow(shadow), move || {
        view! { <Root mode=Mode::Panel { options, host } /> }.into_any()
    })
}

/// Mounts the stand-alone app into its own page's element.
fn mount_standalone(element: web_sys::HtmlElement) -> Result<Mounted, JsValue> {
    // The frame index.html paints while the code loads gives way to the app.
    element.set_inner_html("");
    let container: web_sys::HtmlElement = document().create_element("div")?.unchecked_into();
    element.append_child(&container)?;
    mount_view(container, Scope::Document(document()), || {
        view! { <Root mode=Mode::Standalone /> }.into_any()
    })
}

/// Mounts a Token Console panel into `element`. `options` is an object with any of `page`
/// (`"users"` or `"admin"`), `apiBase`, `basePath`, `locale` (`"en"` or `"zh-CN"`), `theme`
/// (`"auto"`, `"light"` or `"dark"`) and `workspace`. Throws, naming the option, when one is
/// invalid. Returns a handle whose `unmount()` removes the panel.
#[wasm_bindgen(js_name = mount)]
pub fn mount_js(element: web_sys::HtmlElement, options: JsValue) -> Result<Mounted, JsValue> {
    let get = |key: &'static str| {
        if options.is_object() {
            js_sys::Reflect::get(&options, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
        } else {
            None
        }
    };
    let options = MountOptions::parse(get).map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    mount_panel(element, options)
}

/// At load: mounts into every element marked `data-token-console`, reading its `data-*` options.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let Ok(found) = document().query_selector_all(&format!("[{MARKER}]")) else {
        return;
    };
    for index in 0..found.length() {
        let Some(element) = found
            .item(index)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            continue;
        };
        let mounted = if element.get_attribute(MARKER).as_deref() == Some("standalone") {
            mount_standalone(element)
        } else {
            let data = element.dataset();
            match MountOptions::parse(|key| data.get(key)) {
                Ok(options) => mount_panel(element, options),
                Err(e) => Err(JsValue::from_str(&e.to_string())),
            }
        };
        match mounted {
            Ok(mounted) => drop(mounted),
            Err(e) => web_sys::console::error_1(&e),
        }
    }
}
