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

/// A page whose code comes when it is first shown (`Deferred`): its builder, or the failure to
/// fetch its code (offline), which a later call tries again.
pub type LazyPage = Result<fn() -> AnyView, leptos::wasm_split::SplitLoaderError>;

/// `pub async fn $name() -> LazyPage` builds `$page`, and `pub async fn $prefetch()` fetches
/// its code ahead of need. In a split build (`--features split`, what Trunk builds) the page's
/// code is its own wasm module, fetched the first time either is awaited (the split is done
/// by `cargo xtask finish-dist`); otherwise it is here and both answer at once. Leptos's
/// `#[lazy]` would abort the app when a fetch fails; this is its `fallible` form.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident, $prefetch:ident, $page:ident) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible, preload($prefetch))]
        pub fn $name() -> LazyPage {
            fn build() -> AnyView {
                view! { <$page /> }.into_any()
            }
            Ok(build)
        }

        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        pub async fn $name() -> LazyPage {
            fn build() -> AnyView {
                view! { <$page /> }.into_any()
            }
            Ok(build)
        }

        #[cfg(not(feature = "split"))]
        pub async fn $prefetch() -> Result<(), leptos::wasm_split::SplitLoaderError> {
            Ok(())
        }
    };
}

use admin::AdminPage;
use set_password::SetPasswordPage;

lazy_page!(
    /// The Admins page: its four tabs, the person picker, the audit cards, the policy form. A
    /// member's visit never downloads it; an admin's fetches it when idle (`Shell`).
    admin_page,
    prefetch_admin_page,
    AdminPage
);

lazy_page!(
    /// The set-password page: opened once per invitation or reset.
    set_password_page,
    prefetch_set_password_page,
    SetPasswordPage
);
