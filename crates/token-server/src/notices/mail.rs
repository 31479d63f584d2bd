//! The mail server the notices go through (`--smtp-url`, `--smtp-from`), by lettre's SMTP
//! client: its URL checked at start (TLS to anything but loopback), a timeout on every step,
//! and each notice a plain-text message with a Message-ID of its own, so a notice sent twice
//! (an instance that stopped between sending and recording it) is one message to mail clients.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::text::Letter;
use crate::config::Config;
use crate::locale::Locale;

/// How long one step with the mail server may take (connecting, each command and answer).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one whole message may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The configured mail server and sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The public URL's host: the messages' Message-ID domain.
    host: String,
}

/// The transport's own `Debug` would show the relay's credentials.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The mail server of `--smtp-url`, sending as `--smtp-from`; `None` without `--smtp-url`.
    /// A URL that is not `smtp://`/`smtps://` with a host, or that would send in the clear (or
    /// with STARTTLS left optional) beyond loopback, is refused, without repeating it (it may
    /// hold a password).
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = &config.smtp_url else {
            return Ok(None);
        };
        let from = config
            .smtp_from
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("--smtp-url needs --smtp-from, the notices' sender"))?;
        let from: Mailbox = from.parse().map_err(|e| {
            anyhow::anyhow!("--smtp-from `{from}` is not an address such as `Token Console <tokens@example.com>`: {e}")
        })?;
        let issuer = config.issuer();
        let host = reqwest::Url::parse(&issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned());
        let mut transport = checked(url.expose())?.timeout(Some(STEP_TIMEOUT));
        // The name to greet the server with: the URL's path names one, else the public host
        // (lettre's default is the address literal [127.0.0.1], which relays may refuse).
        if reqwest::Url::parse(url.expose()).is_ok_and(|u| u.path().len() <= 1)
            && host.parse::<std::net::IpAddr>().is_err()
        {
            transport = transport.hello_name(ClientId::Domain(host.clone()));
        }
        Ok(Some(Mailer {
            transport: transport.build(),
            from,
            host,
        }))
    }

    /// Sends `letter` to `to` (with their name), in `locale`; `id` makes its Message-ID. The
    /// error says what went wrong, never the URL.
    pub async fn send(&self, id: &str, to: (&str, &str), locale: Locale, letter: Letter) -> Result<(), String> {
        let address =
            to.1.parse()
                .map_err(|e| format!("the address is not one to send to: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(to.0.to_owned()), address))
            .subject(letter.subject)
            .message_id(Some(format!("<notice-{id}@{}>", self.host)))
            // RFC 3834: an automatic message; out-of-office replies leave it alone.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                locale.tag().to_owned(),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body)
            .map_err(|e| format!("the message could not be made: {e}"))?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("the mail server: {e}")),
            Err(_) => Err(format!("the mail server took longer than {} s", SEND_TIMEOUT.as_secs())),
        }
    }
}

/// lettre's builder for a URL this service accepts. Errors name the rule, never the URL.
fn checked(url: &str) -> anyhow::Result<lettre::transport::smtp::AsyncSmtpTransportBuilder> {
    let refused = |why: &str| anyhow::anyhow!("--smtp-url: {why}");
    let parsed = reqwest::Url::parse(url).map_err(|_| refused("not a URL such as smtps://user:password@host:465"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| refused("no host"))?;
    let tls = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None) | ("smtp", Some("required")) => {}
        ("smtp", None | Some("opportunistic")) if loopback => {}
        ("smtp", None | Some("opportunistic")) => {
            return Err(refused(
                "beyond loopback, mail goes over TLS: smtps://… or smtp://…?tls=required",
            ))
        }
        _ => return Err(refused("the scheme is smtp or smtps, and tls= is required if given")),
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| refused("not one the mail client takes"))
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn mail_leaves_loopback_over_tls_only() {
        for good in [
            "smtps://user:secret@mail.example.com:465",
            "smtps://mail.example.com",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
            "smtp://localhost:25",
            "smtp://[::1]:2525",
        ] {
            assert!(checked(good).is_ok(), "{good}");
        }
        for bad in [
            "smtp://user:secret@mail.example.com:25",
            "smtp://mail.example.com:587?tls=opportunistic",
            "smtps://mail.example.com?tls=nope",
            "http://mail.example.com",
            "mail.example.com:25",
            "smtp://",
        ] {
            let error = checked(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} was taken"))
                .to_string();
            assert!(!error.contains("secret") && !error.contains("mail.example"), "{error}");
        }
    }
}
