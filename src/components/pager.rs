//! The pager of every list: what the list holds, what else it offers (an export, a page size),
//! and the steps through it.

use leptos::prelude::*;

use crate::i18n::use_i18n;

/// A step through a list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    First,
    Previous,
    Next,
}

/// The count, the extras given as children, then First (where offered), Previous and Next.
#[component]
pub fn Pager(
    /// What the list holds, told to screen readers as it changes.
    #[prop(into)]
    status: Signal<String>,
    /// On the first page: First and Previous are off.
    #[prop(into)]
    at_first: Signal<bool>,
    /// On the last page: Next is off.
    #[prop(into)]
    at_last: Signal<bool>,
    /// Offer First: in a list read by cursor, Previous goes back one page of possibly many.
    #[prop(optional)]
    first: bool,
    on_step: Callback<Step>,
    /// Offered between the count and the steps.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let i18n = use_i18n();
    let step = move |s: Step, label: fn(&crate::i18n::Messages) -> &'static str, off: Signal<bool>| {
        view! {
            <button type="button" class="button" disabled=off on:click=move |_| on_step.run(s)>
                {move || label(i18n.t())}
            </button>
        }
    };
    view! {
        <div class="pager">
            <span aria-live="polite">{status}</span>
            {children.map(|c| c())}
            {first.then(|| step(Step::First, |t| t.first_page, at_first))}
            {step(Step::Previous, |t| t.previous_page, at_first)}
            {step(Step::Next, |t| t.next_page, at_last)}
        </div>
    }
}
