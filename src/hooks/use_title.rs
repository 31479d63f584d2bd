//! The document's title for the page shown, in the reader's language: what a browser tab, a
//! bookmark, the history and a screen reader name the page by (WCAG 2.4.2). A panel mounted in
//! a host's page never touches the host's title.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::state::session::use_session;

/// Whether this root owns the document: the app and its `/embed` pages do, a mounted panel does not.
#[derive(Clone, Copy, Debug)]
pub struct OwnsDocument(pub bool);

/// `"{page} · {workspace} – Token Console"` (the workspace once someone is signed in), kept up
/// to date with the page, the workspace and the language while the calling component lives.
pub fn use_title(page: impl Fn() -> String + Send + Sync + 'static) {
    use_title_of(page, true);
}

/// The same, naming the current workspace or not.
pub fn use_title_of(page: impl Fn() -> String + Send + Sync + 'static, with_workspace: bool) {
    if !use_context::<OwnsDocument>().is_some_and(|owns| owns.0) {
        return;
    }
    let i18n = use_i18n();
    let session = use_session();
    Effect::new(move |_| {
        let app = i18n.t().app_name;
        let title = match session.workspace().filter(|_| with_workspace) {
            Some(workspace) => format!("{} · {} – {app}", page(), workspace.name),
            None => format!("{} – {app}", page()),
        };
        document().set_title(&title);
    });
}
