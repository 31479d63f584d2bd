//! What the notices say, in each language: one table of texts per language (`Texts`), so a
//! language that misses one does not compile, and no notice's words are written anywhere else.
//! Times are in UTC (the service does not know the reader's zone), written the language's way.
//! No text has a place for a secret: a notice names the workspace, the token, when and why,
//! and links to the page, never to anything that carries a credential.

use chrono::{DateTime, Utc};

use crate::locale::Locale;

/// A notice, written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// What an expiry notice tells.
#[derive(Clone, Debug)]
pub struct Expiry<'a> {
    /// The owner's name.
    pub person: &'a str,
    pub token: &'a str,
    pub workspace: &'a str,
    pub expires_at: DateTime<Utc>,
    /// Whole days left, a part of a day counted as one.
    pub days: i64,
    /// The owner's tokens page in that workspace.
    pub link: &'a str,
}

/// Who or what disabled a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause<'a> {
    /// A person: an admin of the workspace (name, email).
    Person(&'a str, &'a str),
    /// The operator, with the command line (an account taken over).
    Operator,
    /// The workspace's identity provider (its owner deprovisioned).
    Provider,
    /// Reuse detection: a rotated-out refresh token came back.
    Reuse,
    /// A secret scanning service found it public.
    Leak,
}

/// What a disable notice tells.
#[derive(Clone, Debug)]
pub struct Disable<'a> {
    pub person: &'a str,
    pub token: &'a str,
    pub workspace: &'a str,
    pub at: DateTime<Utc>,
    pub cause: Cause<'a>,
    /// The reason recorded in the audit trail, if any.
    pub reason: Option<&'a str>,
    pub link: &'a str,
}

/// The texts of one language.
pub struct Texts {
    pub expiry_subject: fn(&Expiry) -> String,
    pub expiry_body: fn(&Expiry, &str) -> String,
    pub disabled_subject: fn(&Disable) -> String,
    pub disabled_body: fn(&Disable, &str, &str) -> String,
    /// Who or why, as a disable notice's sentence continues.
    pub cause: fn(Cause) -> String,
    /// A time.
    pub when: fn(DateTime<Utc>) -> String,
    /// The closing lines: why this email came, and how to stop them for the workspace.
    pub footer: fn(&str) -> String,
}

/// English.
pub const EN: Texts = Texts {
    expiry_subject: |e| {
        format!(
            "Your token “{}” in {} expires in {}",
            e.token,
            e.workspace,
            en_days(e.days)
        )
    },
    expiry_body: |e, when| {
        format!(
            "Hello {},\n\n\
             Your API token “{}” in the workspace {} expires on {when}, in {}. \
             After that, apps that use it can no longer get access with it.\n\n\
             If it is still needed, regenerate it on your tokens page before then, \
             and give the apps its successor:\n{}\n",
            e.person,
            e.token,
            e.workspace,
            en_days(e.days),
            e.link
        )
    },
    disabled_subject: |d| format!("Your token “{}” in {} was disabled", d.token, d.workspace),
    disabled_body: |d, when, cause| {
        let reason = d.reason.map(|r| format!("Reason: {r}\n\n")).unwrap_or_default();
        format!(
            "Hello {},\n\n\
             Your API token “{}” in the workspace {} was disabled on {when} {cause}. \
             Apps that use it can no longer get access with it.\n\n{reason}\
             If you still need a token there, generate a new one on your tokens page:\n{}\n",
            d.person, d.token, d.workspace, d.link
        )
    },
    cause: |c| match c {
        Cause::Person(name, email) => format!("by {name} ({email})"),
        Cause::Operator => "by the service's operator".to_owned(),
        Cause::Provider => "by the workspace's identity provider".to_owned(),
        Cause::Reuse => "by the service: one of its refresh tokens was used a second time, \
                         so someone else may have a copy"
            .to_owned(),
        Cause::Leak => "by the service: GitHub secret scanning found it in public".to_owned(),
    },
    when: |t| t.format("%b %-d, %Y, %H:%M UTC").to_string(),
    footer: |workspace| {
        format!(
            "\n--\nToken Console. You get this email because the token is yours. \
             To stop these emails for {workspace}, turn off email notices on that page.\n"
        )
    },
};

fn en_days(days: i64) -> String {
    match days {
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// Simplified Chinese.
pub const ZH_CN: Texts = Texts {
    expiry_subject: |e| format!("您在 {} 的令牌“{}”将在 {} 天后到期", e.workspace, e.token, e.days),
    expiry_body: |e, when| {
        format!(
            "{}，您好：\n\n\
             您在工作区 {} 的 API 令牌“{}”将于 {when}到期（{} 天后）。\
             到期后，使用它的程序将无法再用它获得访问。\n\n\
             如仍需使用，请在此之前到您的令牌页面重新生成，并把新令牌交给这些程序：\n{}\n",
            e.person, e.workspace, e.token, e.days, e.link
        )
    },
    disabled_subject: |d| format!("您在 {} 的令牌“{}”已被停用", d.workspace, d.token),
    disabled_body: |d, when, cause| {
        let reason = d.reason.map(|r| format!("原因：{r}\n\n")).unwrap_or_default();
        format!(
            "{}，您好：\n\n\
             您在工作区 {} 的 API 令牌“{}”已于 {when}{cause}停用。\
             使用它的程序将无法再用它获得访问。\n\n{reason}\
             如仍需在该工作区使用令牌，请到您的令牌页面生成新令牌：\n{}\n",
            d.person, d.workspace, d.token, d.link
        )
    },
    cause: |c| match c {
        Cause::Person(name, email) => format!("被 {name}（{email}）"),
        Cause::Operator => "被本服务的运维人员".to_owned(),
        Cause::Provider => "被工作区的身份提供方".to_owned(),
        Cause::Reuse => "因其刷新令牌被重复使用（可能有他人持有副本）而由系统自动".to_owned(),
        Cause::Leak => "因 GitHub 密钥扫描发现其已被公开而由系统自动".to_owned(),
    },
    when: |t| t.format("%Y年%-m月%-d日 %H:%M（UTC）").to_string(),
    footer: |workspace| {
        format!("\n--\n令牌控制台。您收到此邮件是因为该令牌属于您。如不想再收到 {workspace} 的此类邮件，请在该页面关闭邮件通知。\n")
    },
};

impl Locale {
    /// This language's texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::En => &EN,
            Locale::ZhCn => &ZH_CN,
        }
    }
}

/// An expiry notice in `locale`.
pub fn expiry(locale: Locale, e: &Expiry) -> Letter {
    let t = locale.texts();
    Letter {
        subject: (t.expiry_subject)(e),
        body: format!(
            "{}{}",
            (t.expiry_body)(e, &(t.when)(e.expires_at)),
            (t.footer)(e.workspace)
        ),
    }
}

/// A disable notice in `locale`.
pub fn disabled(locale: Locale, d: &Disable) -> Letter {
    let t = locale.texts();
    let body = (t.disabled_body)(d, &(t.when)(d.at), &(t.cause)(d.cause));
    Letter {
        subject: (t.disabled_subject)(d),
        body: format!("{body}{}", (t.footer)(d.workspace)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-14T09:05:00Z").unwrap().into()
    }

    fn expiring(days: i64) -> Expiry<'static> {
        Expiry {
            person: "Ben",
            token: "CI deploy",
            workspace: "Acme",
            expires_at: at(),
            days,
            link: "https://tokens.example/w/ws-acme/tokens",
        }
    }

    #[test]
    fn an_expiry_notice_names_the_token_the_workspace_when_and_the_page() {
        let en = expiry(Locale::En, &expiring(7));
        assert_eq!(en.subject, "Your token “CI deploy” in Acme expires in 7 days");
        for part in [
            "Hello Ben",
            "Dec 14, 2026, 09:05 UTC",
            "in 7 days",
            "https://tokens.example/w/ws-acme/tokens",
            "turn off email notices",
        ] {
            assert!(en.body.contains(part), "{part} in {}", en.body);
        }
        assert_eq!(
            expiry(Locale::En, &expiring(1)).subject,
            "Your token “CI deploy” in Acme expires in 1 day"
        );
        let zh = expiry(Locale::ZhCn, &expiring(1));
        assert_eq!(zh.subject, "您在 Acme 的令牌“CI deploy”将在 1 天后到期");
        for part in [
            "Ben，您好",
            "2026年12月14日 09:05（UTC）",
            "https://tokens.example/w/ws-acme/tokens",
            "关闭邮件通知",
        ] {
            assert!(zh.body.contains(part), "{part} in {}", zh.body);
        }
    }

    #[test]
    fn a_disable_notice_says_who_or_why_and_the_reason_when_there_is_one() {
        let mut d = Disable {
            person: "Cy",
            token: "leaky",
            workspace: "Acme",
            at: at(),
            cause: Cause::Person("Ada Lovelace", "ada@acme.test"),
            reason: Some("posted in #general"),
            link: "https://tokens.example/w/ws-acme/tokens",
        };
        let en = disabled(Locale::En, &d);
        assert_eq!(en.subject, "Your token “leaky” in Acme was disabled");
        assert!(
            en.body
                .contains("disabled on Dec 14, 2026, 09:05 UTC by Ada Lovelace (ada@acme.test)."),
            "{}",
            en.body
        );
        assert!(en.body.contains("Reason: posted in #general"), "{}", en.body);
        let zh = disabled(Locale::ZhCn, &d);
        assert!(
            zh.body
                .contains("已于 2026年12月14日 09:05（UTC）被 Ada Lovelace（ada@acme.test）停用。"),
            "{}",
            zh.body
        );
        assert!(zh.body.contains("原因：posted in #general"), "{}", zh.body);
        d.cause = Cause::Reuse;
        d.reason = None;
        let en = disabled(Locale::En, &d);
        assert!(en.body.contains("used a second time"), "{}", en.body);
        assert!(!en.body.contains("Reason:"), "{}", en.body);
        for cause in [Cause::Operator, Cause::Provider, Cause::Leak] {
            d.cause = cause;
            for locale in [Locale::En, Locale::ZhCn] {
                let text = (locale.texts().cause)(cause);
                assert!(disabled(locale, &d).body.contains(&text));
            }
        }
    }
}
