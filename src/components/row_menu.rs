//! A menu button: `aria-haspopup`, arrow keys, Home and End, Escape, and it closes when focus
//! or a click goes elsewhere.

use std::cell::Cell;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// One item of a menu.
#[derive(Clone)]
pub struct MenuItem {
    pub label: String,
    /// Destructive: shown as such.
    pub danger: bool,
    pub on_select: Callback<()>,
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

fn items_of(menu: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let Ok(nodes) = menu.query_selector_all("[role=menuitem]") else {
        return vec![];
    };
    (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into().ok())
        .collect()
}

/// The "⋮" button of a row and its menu.
#[component]
pub fn RowMenu(
    /// The button's accessible name, naming whose menu it is.
    #[prop(into)]
    label: Signal<String>,
    /// What the menu offers.
    #[prop(into)]
    items: Signal<Vec<MenuItem>>,
    /// Take focus as soon as the button is in the page, if nothing else has it: the row was
    /// built again after an action from this menu, and focus goes back where the user left it.
    #[prop(optional)]
    focus_on_mount: bool,
) -> impl IntoView {
    let id = NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        format!("row-menu-{}", n.get())
    });
    let open = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let menu = NodeRef::<leptos::html::Div>::new();
    let focus_item = move |pick: &dyn Fn(usize, Option<usize>) -> usize| {
        let Some(menu) = menu.get() else { return };
        let items = items_of(&menu);
        if items.is_empty() {
            return;
        }
        let active = crate::dom::active_element(&menu);
        let current = items.iter().position(|i| {
            active
                .as_ref()
                .is_some_and(|a| a == i.unchecked_ref::<web_sys::Element>())
        });
        let _ = items[pick(items.len(), current) % items.len()].focus();
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus {
            if let Some(b) = button.get() {
                let _ = b.focus();
            }
        }
    };
    // Only while focus is nowhere, lost with the old row: a user who has moved on meanwhile (a
    // menu opened on another row before the list was read again) keeps their place.
    Effect::new(move |_| {
        if let Some(b) = button.get().filter(|_| focus_on_mount) {
            // Nothing focused is the body, or no element in a panel's shadow root.
            let elsewhere = crate::dom::active_element(&b).and_then(|a| a.closest(":not(html, body)").ok().flatten());
            if elsewhere.is_none() {
                let _ = b.focus();
            }
        }
    });
    // Focus the first item once the menu is in the DOM.
    Effect::new(move |_| {
        if open.get() && menu.get().is_some() {
            focus_item(&|_, _| 0);
        }
    });
    let on_menu_key = move |ev: leptos::ev::KeyboardEvent| {
        let handled = match ev.key().as_str() {
            "ArrowDown" => {
                focus_item(&|_, c| c.map_or(0, |c| c + 1));
                true
            }
            "ArrowUp" => {
                focus_item(&|n, c| c.map_or(n - 1, |c| c + n - 1));
                true
            }
            "Home" => {
                focus_item(&|_, _| 0);
                true
            }
            "End" => {
                focus_item(&|n, _| n - 1);
                true
            }
            "Escape" => {
                close(true);
                true
            }
            "Tab" => {
                open.set(false);
                false
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    let on_focus_out = move |ev: leptos::ev::FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(menu.get())
            .is_some_and(|(t, m)| m.contains(Some(&t)));
        let on_button = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(button.get())
            .is_some_and(|(t, b)| b.is_same_node(Some(&t)));
        if !inside && !on_button {
            open.set(false);
        }
    };
    let menu_id = id.clone();
    view! {
        <div class="row-menu" on:focusout=on_focus_out>
            <button
                node_ref=button
                type="button"
                class="button button-icon"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=id.clone()
                aria-label=label
                on:click=move |_| open.update(|o| *o = !*o)
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "ArrowDown" || ev.key() == "ArrowUp" {
                        ev.prevent_default();
                        open.set(true);
                    }
                }
            >
                <span aria-hidden="true">"⋮"</span>
            </button>
            <Show when=move || open.get()>
                <div node_ref=menu id=menu_id.clone() class="menu" role="menu" aria-label=label on:keydown=on_menu_key>
                    {move || {
                        items
                            .get()
                            .into_iter()
                            .map(|item| {
                                let select = item.on_select;
                                view! {
                                    <button
                                        type="button"
                                        role="menuitem"
                                        tabindex="-1"
                                        class="menu-item"
                                        class:menu-item-danger=item.danger
                                        on:click=move |_| {
                                            close(true);
                                            select.run(());
                                        }
                                    >
                                        {item.label}
                                    </button>
                                }
                            })
                            .collect::<Vec<_>>()
                    }}
                </div>
            </Show>
        </div>
    }
}
