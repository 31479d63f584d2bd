//! A member of the workspace picked by typing part of a name or email: the ARIA 1.2 combobox
//! with a list popup (the input keeps focus; the highlighted option is its active descendant).
//! It matches case-insensitively anywhere in the name or the email, says when no member
//! matches, and answers the member's id, or `None` once the text is emptied. One for every
//! person filter on the Admins page.

use leptos::prelude::*;
use token_api::tokens::Person;

use crate::i18n::{use_i18n, Messages};
use crate::token_query::fold;

/// At most this many options are listed; past it the list says to keep typing.
const SHOWN: usize = 50;

fn label(p: &Person) -> String {
    format!("{} <{}>", p.name, p.email)
}

/// The members `typed` finds: in name or email, in any case. Everyone for no text.
fn matching<'a>(people: &'a [Person], typed: &str) -> Vec<&'a Person> {
    let q = fold(typed.trim());
    people
        .iter()
        .filter(|p| q.is_empty() || fold(&p.name).contains(&q) || fold(&p.email).contains(&q))
        .collect()
}

/// The picker.
#[component]
pub fn PersonPicker(
    /// The id its input, list and options are named after.
    id: &'static str,
    /// Its label.
    label_text: fn(&Messages) -> &'static str,
    /// The workspace's members.
    #[prop(into)]
    people: Signal<Vec<Person>>,
    /// The picked member's id.
    #[prop(into)]
    value: Signal<Option<String>>,
    /// A member was picked, or the text emptied (`None`).
    on_change: Callback<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let list_id = format!("{id}-list");
    let option_id = move |i: usize| format!("{id}-option-{i}");
    let current = move || {
        let v = value.get()?;
        Some(people.with(|all| all.iter().find(|p| p.id == v).map(label).unwrap_or(v)))
    };
    // What the input shows: the picked member, until the user types.
    let text = RwSignal::new(String::new());
    Effect::new(move |_| text.set(current().unwrap_or_default()));
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let found = Memo::new(move |_| {
        people.with(|all| {
            matching(all, &text.get())
                .into_iter()
                .map(|p| (p.id.clone(), label(p)))
                .collect::<Vec<_>>()
        })
    });
    let pick = move |choice: Option<String>| {
        open.set(false);
        active.set(None);
        if choice != value.get_untracked() {
            on_change.run(choice);
        } else {
            text.set(untrack(current).unwrap_or_default());
        }
    };
    // Leaving the field or pressing Enter with no option highlighted: empty text clears the
    // filter; text that is one member's email or label, in any case, picks them; anything else
    // is put back as it was, since it names nobody.
    let settle = move || {
        let typed = fold(text.get_untracked().trim());
        if typed.is_empty() {
            pick(None);
            return;
        }
        let exact = people.with_untracked(|all| {
            all.iter()
                .find(|p| fold(&p.email) == typed || fold(&label(p)) == typed)
                .map(|p| p.id.clone())
        });
        match exact {
            Some(id) => pick(Some(id)),
            None => {
                open.set(false);
                active.set(None);
                text.set(untrack(current).unwrap_or_default());
            }
        }
    };
    let shown = move || found.with(|f| f.len().min(SHOWN));
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let step = |by: isize| {
            let n = shown() as isize;
            if n == 0 {
                return;
            }
            open.set(true);
            let next = match active.get_untracked() {
                None if by > 0 => 0,
                None => n - 1,
                Some(i) => (i as isize + by).rem_euclid(n),
            };
            active.set(Some(next as usize));
        };
        match ev.key().as_str() {
            "ArrowDown" if ev.alt_key() => open.set(true),
            "ArrowUp" if ev.alt_key() => {
                open.set(false);
                active.set(None);
            }
            "ArrowDown" => step(1),
            "ArrowUp" => step(-1),
            "Enter" => {
                let only = found.with_untracked(|f| match f.as_slice() {
                    [(id, _)] if !text.with_untracked(|t| t.trim().is_empty()) => Some(id.clone()),
                    _ => None,
                });
                match (active.get_untracked().filter(|_| open.get_untracked()), only) {
                    (Some(i), _) => pick(found.with_untracked(|f| f.get(i).map(|(id, _)| id.clone()))),
                    // The one member the text finds.
                    (None, Some(id)) => pick(Some(id)),
                    (None, None) => settle(),
                }
            }
            "Escape" if open.get_untracked() => {
                open.set(false);
                active.set(None);
            }
            // With the list closed, Escape empties the field, and with it the filter.
            "Escape" => {
                text.set(String::new());
                pick(None);
            }
            _ => return,
        }
        // The caret stays put, and Escape does not also close a dialog around the field.
        ev.prevent_default();
    };
    // The highlighted option is kept in sight in a list that scrolls.
    let list = NodeRef::<leptos::html::Ul>::new();
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let (Some(i), Some(list)) = (active.get(), list.get()) else {
            return;
        };
        let Some(option) = list
            .query_selector(&format!("#{}", option_id(i)))
            .ok()
            .flatten()
            .and_then(|o| o.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        // Its offsets are the list's (positioned in the stylesheet).
        let (top, bottom) = (option.offset_top(), option.offset_top() + option.offset_height());
        if top < list.scroll_top() {
            list.set_scroll_top(top);
        } else if bottom > list.scroll_top() + list.client_height() {
            list.set_scroll_top(bottom - list.client_height());
        }
    });
    let expanded = move || open.get() && shown() > 0;
    let none_found = move || open.get() && !text.with(|t| t.trim().is_empty()) && shown() == 0;
    let more = move || found.with(Vec::len).saturating_sub(SHOWN);
    view! {
        <div class="field-inline picker">
            <label for=id>{move || label_text(i18n.t())}</label>
            <div class="picker-box">
                <input
                    id=id
                    type="text"
                    role="combobox"
                    autocomplete="off"
                    spellcheck="false"
                    aria-autocomplete="list"
                    aria-controls=list_id.clone()
                    aria-expanded=move || expanded().to_string()
                    aria-activedescendant=move || active.get().filter(|_| expanded()).map(option_id)
                    placeholder=move || i18n.t().owner_hint
                    prop:value=text
                    on:input:target=move |ev| {
                        text.set(ev.target().value());
                        active.set(None);
                        open.set(true);
                    }
                    on:click=move |_| open.update(|o| *o = !*o)
                    on:keydown=on_key
                    on:blur=move |_| settle()
                />
                // A press anywhere in the popup (an option, its scroll bar) keeps focus in the
                // field: the field's blur would settle the text and close the list first.
                <div class="picker-popup" hidden=move || !expanded() on:mousedown=|ev| ev.prevent_default()>
                    <ul id=list_id node_ref=list role="listbox" class="picker-list" aria-label=move || label_text(i18n.t())>
                        {move || {
                            found
                                .get()
                                .into_iter()
                                .take(SHOWN)
                                .enumerate()
                                .map(|(i, (person, text))| {
                                    let chosen = value.get().as_deref() == Some(person.as_str());
                                    view! {
                                        <li
                                            id=option_id(i)
                                            role="option"
                                            dir="auto"
                                            aria-selected=move || (active.get() == Some(i)).to_string()
                                            class:chosen=chosen
                                            on:click=move |_| pick(Some(person.clone()))
                                        >
                                            {text}
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <p class="picker-more" hidden=move || more() == 0>{move || (i18n.t().more_members)(more())}</p>
                </div>
                // Never `display: none`, so that a screen reader hears it when words arrive.
                <p class="picker-note" role="status">
                    {move || if none_found() { i18n.t().no_member_matches } else { "" }}
                </p>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::matching;
    use token_api::tokens::Person;

    fn person(id: &str, name: &str, email: &str) -> Person {
        Person {
            id: id.into(),
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn any_part_of_a_name_or_email_in_any_case_finds_the_member() {
        let people = [
            person("u-ben", "Ben Okafor", "ben@acme.test"),
            person("u-cy", "Cy Tanaka", "cy@acme.test"),
        ];
        let ids = |q: &str| matching(&people, q).iter().map(|p| p.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids("ben"), ["u-ben"]);
        assert_eq!(ids("Tanaka"), ["u-cy"]);
        assert_eq!(ids("BEN@ACME.TEST"), ["u-ben"]);
        assert_eq!(ids("  tanaka "), ["u-cy"]);
        assert_eq!(ids("acme"), ["u-ben", "u-cy"]);
        assert_eq!(ids(""), ["u-ben", "u-cy"]);
        assert!(ids("zed").is_empty());
    }
}
