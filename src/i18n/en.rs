//! English.

use super::Messages;

pub static MESSAGES: Messages = Messages {
    language_name: "English",
    app_name: "Token Console",
    language_label: "Language",
    workspace_label: "Workspace",
    nav_label: "Main",
    nav_tokens: "My tokens",
    nav_admin: "Admin",
    sign_out: "Sign out",
    signed_in_as: |email| format!("Signed in as {email}"),
    loading: "Loading…",
    retry: "Retry",

    sign_in_title: "Sign in to Token Console",
    sign_in_intro: "Create and manage the API tokens of your workspaces.",
    email_label: "Email",
    password_label: "Password",
    sign_in_button: "Sign in",
    signing_in: "Signing in…",
    wrong_credentials: "The email or password is wrong.",
    session_expired: "Your session has ended. Sign in again.",

    users_title: "API tokens",
    users_intro: "A token lets a program call the API as you, in this workspace only. Each one is a refresh token that lasts the lifetime you choose and gets access tokens that last one hour.",
    no_workspace: "You are not a member of any workspace yet.",
    empty_tokens: "You have no tokens in this workspace yet.",
    col_name: "Name",
    col_status: "Status",
    col_created: "Created",
    col_expires: "Expires",
    col_last_used: "Last used",
    col_hint: "Ends with",
    status_active: "Active",
    status_disabled: "Disabled",
    status_expired: "Expired",
    never: "Never",

    admin_title: "Workspace tokens",
    admin_intro: "Every member's API tokens in this workspace.",
    not_allowed_title: "Not allowed",
    not_allowed_body: "Only admins of this workspace can open this page.",

    not_found_title: "Page not found",
    not_found_body: "There is nothing at this address.",
    back_to_tokens: "Back to my tokens",

    error_title: "Something went wrong",
    error_network: "The service could not be reached. Check your connection and retry.",
    error_server: |status| format!("The service answered with an error ({status})."),
    error_decode: "The service sent an answer this page does not understand.",
};
