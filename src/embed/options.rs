//! What a host configures, read the same way from `data-*` attributes and from the options
//! object given to `mount()`: both are looked up by the same camelCase keys (`data-api-base` is
//! `dataset.apiBase`).

use crate::i18n::Locale;

/// Which page the panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The member's own tokens.
    Users,
    /// Every token in the workspace, for its admins.
    Admin,
}

/// The panel's colours: the user's system preference, or the one the host forces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    /// The value of the root's `data-theme` attribute, if any.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::Auto => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }
}

/// A panel's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountOptions {
    pub page: Page,
    /// Prefix of the service's paths on the host's origin (`/api/...` becomes
    /// `{api_base}/api/...`); empty when the host serves them at its root.
    pub api_base: String,
    /// The path of the host's route under which the panel's own routes live; empty for the root.
    pub base_path: String,
    /// The language; the browser's when the host does not say.
    pub locale: Option<Locale>,
    pub theme: Theme,
    /// The workspace to show; the user's first (or last chosen) when the host does not say.
    pub workspace: Option<String>,
    /// A one-time sign-in ticket the host's backend asked for (`POST /api/host/tickets`): the
    /// panel exchanges it for its session, with no form.
    pub ticket: Option<String>,
}

/// A configuration value the panel cannot use, named by its key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Token Console: option `{key}` {problem}")]
pub struct OptionError {
    pub key: &'static str,
    pub problem: &'static str,
}

fn invalid(key: &'static str, problem: &'static str) -> OptionError {
    OptionError { key, problem }
}

/// A same-origin path: `""` or `/a/b`, without a trailing slash, a scheme, a host, `..`, a query
/// or a fragment. An absolute URL is refused: the session cookie and the CSRF header only work
/// on the host's own origin (cross-origin hosts embed the `/embed/...` page in an iframe).
fn path_prefix(key: &'static str, value: Option<String>) -> Result<String, OptionError> {
    let Some(value) = value else { return Ok(String::new()) };
    let value = value.trim().trim_end_matches('/');
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad_char = |c: char| matches!(c, '?' | '#' | '\\' | '"' | '<' | '>') || c.is_whitespace() || c.is_control();
    if !value.starts_with('/') || value.starts_with("//") {
        return Err(invalid(key, "must be a path on this origin starting with `/`"));
    }
    if value.chars().any(bad_char) || value.split('/').any(|s| s == "..") {
        return Err(invalid(
            key,
            "may not hold `..`, `?`, `#`, quotes, angle brackets or spaces",
        ));
    }
    Ok(value.to_owned())
}

impl MountOptions {
    /// Reads the options through `get`, which answers for a camelCase key.
    pub fn parse(get: impl Fn(&'static str) -> Option<String>) -> Result<MountOptions, OptionError> {
        let page = match get("page").as_deref().map(str::trim) {
            None | Some("") | Some("users") => Page::Users,
            Some("admin") => Page::Admin,
            Some(_) => return Err(invalid("page", "must be `users` or `admin`")),
        };
        let locale = match get("locale").as_deref().map(str::trim) {
            None | Some("") => None,
            Some(tag) if tag.eq_ignore_ascii_case("en") || tag.to_ascii_lowercase().starts_with("en-") => {
                Some(Locale::En)
            }
            Some(tag) if tag.to_ascii_lowercase().starts_with("zh") => Some(Locale::ZhCn),
            Some(_) => return Err(invalid("locale", "must be `en` or `zh-CN`")),
        };
        let theme = match get("theme").as_deref().map(str::trim) {
            None | Some("") | Some("auto") => Theme::Auto,
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            Some(_) => return Err(invalid("theme", "must be `auto`, `light` or `dark`")),
        };
        let workspace = get("workspace").map(|w| w.trim().to_owned()).filter(|w| !w.is_empty());
        let ticket = get("ticket").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(MountOptions {
            page,
            api_base: path_prefix("apiBase", get("apiBase"))?,
            base_path: path_prefix("basePath", get("basePath"))?,
            locale,
            theme,
            workspace,
            ticket,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&'static str, &str)]) -> Result<MountOptions, OptionError> {
        MountOptions::parse(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn nothing_given_means_the_users_page_at_the_root() {
        assert_eq!(
            parse(&[]).unwrap(),
            MountOptions {
                page: Page::Users,
                api_base: String::new(),
                base_path: String::new(),
                locale: None,
                theme: Theme::Auto,
                workspace: None,
                ticket: None,
            }
        );
    }

    #[test]
    fn every_option_is_read() {
        let o = parse(&[
            ("page", "admin"),
            ("apiBase", "/token-console/"),
            ("basePath", "/settings/tokens"),
            ("locale", "zh-CN"),
            ("theme", "dark"),
            ("workspace", " ws_1 "),
        ])
        .unwrap();
        assert_eq!(o.page, Page::Admin);
        assert_eq!(o.api_base, "/token-console");
        assert_eq!(o.base_path, "/settings/tokens");
        assert_eq!(o.locale, Some(Locale::ZhCn));
        assert_eq!(o.theme, Theme::Dark);
        assert_eq!(o.workspace.as_deref(), Some("ws_1"));
    }

    #[test]
    fn a_bad_value_names_its_key() {
        assert_eq!(parse(&[("page", "settings")]).unwrap_err().key, "page");
        assert_eq!(parse(&[("theme", "blue")]).unwrap_err().key, "theme");
        assert_eq!(parse(&[("locale", "fr")]).unwrap_err().key, "locale");
        for base in [
            "https://tokens.example",
            "//evil.example",
            "api",
            "/a/../b",
            "/a?x=1",
            "/a b",
        ] {
            assert_eq!(parse(&[("apiBase", base)]).unwrap_err().key, "apiBase", "{base}");
            assert_eq!(parse(&[("basePath", base)]).unwrap_err().key, "basePath", "{base}");
        }
        let message = parse(&[("basePath", "settings")]).unwrap_err().to_string();
        assert!(message.contains("basePath"), "{message}");
    }
}
