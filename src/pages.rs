//! One routed page per file. A page owns its resources.

mod admin;
mod not_found;
mod set_password;
mod sign_in;
mod users;

pub use admin::AdminPage;
pub use not_found::NotFoundPage;
pub use set_password::SetPasswordPage;
pub use sign_in::{SignInForm, SignInPage};
pub use users::UsersPage;
