//! One routed page per file. A page owns its resources.

mod admin;
mod not_found;
mod set_password;
mod sign_in;
mod users;

pub use not_found::NotFoundPage;
pub use sign_in::{SignInForm, SignInPage};
pub use users::UsersPage;

use leptos::prelude::*;

/// The builder of a page whose code comes when it is first shown (`Deferred`).
pub type PageBuilder = fn() -> AnyView;

/// The Admins page, whose code (its four tabs, the person picker, the audit cards, the policy
/// form) a member's visit never downloads: in a split build (`--features split`, what Trunk
/// builds) it is its own wasm module, fetched the first time the page is shown.
#[cfg_attr(feature = "split", leptos::lazy)]
pub async fn admin_page() -> PageBuilder {
    fn build() -> AnyView {
        view! { <admin::AdminPage /> }.into_any()
    }
    build as PageBuilder
}

/// The set-password page: opened once per invitation or reset.
#[cfg_attr(feature = "split", leptos::lazy)]
pub async fn set_password_page() -> PageBuilder {
    fn build() -> AnyView {
        view! { <set_password::SetPasswordPage /> }.into_any()
    }
    build as PageBuilder
}
