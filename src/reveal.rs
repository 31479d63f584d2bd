//! The Generate dialog as a state machine: the form, the one request, the one-time reveal, and
//! the close that drops the secrets. Pure, so every path is tested without a browser.

/// Which secret a Copy button copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    Access,
    Refresh,
    /// Both, as a `.env` snippet or inside the `curl` command.
    Both,
}

/// The secrets while they are shown, and what the user did with them.
#[derive(Clone, PartialEq, Eq)]
pub struct Revealed {
    pub access_token: String,
    pub refresh_token: String,
    pub copied_access: bool,
    pub copied_refresh: bool,
    /// The user asked to close without copying, and is being asked to confirm.
    pub confirming_close: bool,
}

// Never print a secret, not even in a debug log.
impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("copied_access", &self.copied_access)
            .field("copied_refresh", &self.copied_refresh)
            .field("confirming_close", &self.confirming_close)
            .finish_non_exhaustive()
    }
}

/// Where the dialog is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Flow {
    #[default]
    Closed,
    /// The form; `pending` while the one request is in flight.
    Editing {
        pending: bool,
    },
    Revealed(Revealed),
}

impl Flow {
    /// Opens the form. A dialog already open stays as it is.
    pub fn open(&mut self) {
        if *self == Flow::Closed {
            *self = Flow::Editing { pending: false };
        }
    }

    /// Asks to send the request; `true` only the first time, so a second click never creates a
    /// second token.
    pub fn submit(&mut self) -> bool {
        if *self == (Flow::Editing { pending: false }) {
            *self = Flow::Editing { pending: true };
            true
        } else {
            false
        }
    }

    /// The request failed: back to the form, with its input kept by the form itself.
    pub fn failed(&mut self) {
        if *self == (Flow::Editing { pending: true }) {
            *self = Flow::Editing { pending: false };
        }
    }

    /// The token was created: reveal its secrets.
    pub fn created(&mut self, access_token: String, refresh_token: String) {
        *self = Flow::Revealed(Revealed {
            access_token,
            refresh_token,
            copied_access: false,
            copied_refresh: false,
            confirming_close: false,
        });
    }

    /// A Copy button succeeded.
    pub fn copied(&mut self, secret: Secret) {
        if let Flow::Revealed(r) = self {
            r.copied_access |= matches!(secret, Secret::Access | Secret::Both);
            r.copied_refresh |= matches!(secret, Secret::Refresh | Secret::Both);
            r.confirming_close = false;
        }
    }

    /// Asks to close. Closing a reveal whose refresh token was not copied asks for confirmation
    /// first (the access token alone is gone within the hour; the refresh token is the one that
    /// lasts); asked again, it closes. Returns whether the dialog is now closed; the secrets go
    /// with it.
    pub fn close(&mut self) -> bool {
        match self {
            Flow::Editing { pending: true } => false,
            Flow::Revealed(r) if !(r.copied_refresh || r.confirming_close) => {
                r.confirming_close = true;
                false
            }
            _ => {
                *self = Flow::Closed;
                true
            }
        }
    }

    /// Escape dismisses the innermost thing: the close confirmation if one is shown (the reveal
    /// stays), else the dialog as `close` would.
    pub fn escape(&mut self) {
        match self {
            Flow::Revealed(r) if r.confirming_close => r.confirming_close = false,
            _ => {
                self.close();
            }
        }
    }

    /// The user chose to stay on the reveal rather than close it.
    pub fn keep_open(&mut self) {
        if let Flow::Revealed(r) = self {
            r.confirming_close = false;
        }
    }

    /// Whether leaving the page now would lose secrets (the browser should ask).
    pub fn holds_secrets(&self) -> bool {
        matches!(self, Flow::Revealed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revealed() -> Flow {
        let mut f = Flow::default();
        f.open();
        assert!(f.submit());
        f.created("at".into(), "rt".into());
        f
    }

    #[test]
    fn a_second_submit_sends_nothing() {
        let mut f = Flow::default();
        f.open();
        assert!(f.submit());
        assert!(!f.submit(), "a double click must not create a second token");
        f.failed();
        assert_eq!(f, Flow::Editing { pending: false });
        assert!(f.submit(), "after a failure the user may try again");
    }

    #[test]
    fn closing_an_uncopied_reveal_asks_once() {
        let mut f = revealed();
        assert!(!f.close());
        assert!(matches!(&f, Flow::Revealed(r) if r.confirming_close));
        assert!(f.close(), "asked again, it closes");
        assert_eq!(f, Flow::Closed);
        assert!(!f.holds_secrets());
    }

    #[test]
    fn closing_after_copying_the_refresh_token_closes_at_once() {
        for secret in [Secret::Refresh, Secret::Both] {
            let mut f = revealed();
            f.copied(secret);
            assert!(f.close(), "{secret:?}");
            assert_eq!(f, Flow::Closed);
        }
    }

    #[test]
    fn copying_only_the_access_token_still_asks_before_closing() {
        let mut f = revealed();
        f.copied(Secret::Access);
        assert!(!f.close(), "the refresh token would be lost");
        assert!(matches!(&f, Flow::Revealed(r) if r.confirming_close));
    }

    #[test]
    fn escape_never_closes_an_uncopied_reveal() {
        let mut f = revealed();
        f.escape();
        assert!(
            matches!(&f, Flow::Revealed(r) if r.confirming_close),
            "first Escape asks"
        );
        f.escape();
        assert!(
            matches!(&f, Flow::Revealed(r) if !r.confirming_close),
            "second Escape dismisses the question"
        );
        f.copied(Secret::Refresh);
        f.escape();
        assert_eq!(f, Flow::Closed, "once copied, Escape closes");
    }

    #[test]
    fn keeping_it_open_cancels_the_confirmation() {
        let mut f = revealed();
        f.close();
        f.keep_open();
        assert!(matches!(&f, Flow::Revealed(r) if !r.confirming_close));
        assert!(f.holds_secrets());
    }

    #[test]
    fn a_form_closes_freely_but_not_mid_request() {
        let mut f = Flow::default();
        f.open();
        assert!(f.close());
        f.open();
        f.submit();
        assert!(!f.close(), "the request's answer must not land in a closed dialog");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let f = revealed();
        let printed = format!("{f:?}");
        assert!(!printed.contains("\"at\"") && !printed.contains("\"rt\""), "{printed}");
    }

    #[test]
    fn reopening_after_close_starts_from_an_empty_form() {
        let mut f = revealed();
        f.copied(Secret::Both);
        f.close();
        f.open();
        assert_eq!(f, Flow::Editing { pending: false });
    }
}
