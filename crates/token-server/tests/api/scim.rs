//! SCIM provisioning: the credentials the operator issues a workspace's identity provider.

use serde_json::Value;
use token_server::store::scim;
use token_server::store::sso::{self, Settings};

use crate::onboarding::{cli, value};
use crate::support::TestApp;

/// Connects a workspace to a provider, as `token-server sso set` does.
async fn connect(app: &TestApp, ws: &str, domain: &str) {
    let settings = Settings {
        issuer: format!("https://idp.{domain}"),
        client_id: "token-console".to_owned(),
        client_secret_sealed: token_server::secrets::seal(&app.state.sso_key, b"secret"),
        admin_group: Some("token-admins".to_owned()),
        domains: vec![domain.to_owned()],
        required: false,
        trust_emails: false,
        sign_out_at_provider: false,
    };
    sso::set(&app.state.db.writer, ws, &settings).await.unwrap();
}

/// A workspace's audit events of `action`, newest first, read by its admin.
async fn audit(app: &TestApp, ws: &str, admin: &str, action: &str) -> Vec<Value> {
    let browser = app.sign_in(admin).await;
    let reply = app
        .get(&format!("/api/workspaces/{ws}/admin/audit?action={action}"), &browser)
        .await;
    reply.body["events"].as_array().unwrap().clone()
}

async fn the_operator_issues_lists_and_revokes_scim_credentials(app: TestApp) {
    // Refused, naming why, before anything is written: no such workspace, or one that is not
    // connected to its provider (provisioning joins the provider's identities).
    let (code, _, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-nowhere"], None);
    assert_eq!((code, err.contains("no workspace")), (2, true), "{err}");
    let (code, _, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-acme"], None);
    assert_eq!((code, err.contains("sso set")), (2, true), "{err}");
    assert!(audit(&app, "ws-acme", "ada@acme.test", "scim_credential_changed")
        .await
        .is_empty());

    connect(&app, "ws-acme", "acme.test").await;
    let (code, out, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-acme"], None);
    assert_eq!(code, 0, "{err}");
    let (id, secret) = (value(&out, "id").to_owned(), value(&out, "scim_credential").to_owned());
    assert!(id.starts_with("sc-") && secret.starts_with("tcsc_"), "{out}");
    assert!(err.contains("shown now and never again"), "{err}");

    // The secret opens Acme's credential, and is kept only as a digest.
    let found = scim::credential_of(&app.state.db.writer, &secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id.as_str(), found.workspace_id.as_str()),
        (id.as_str(), "ws-acme")
    );
    let (stored,): (String,) = sqlx::query_as("SELECT digest FROM scim_credentials WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    assert!(!stored.contains(&secret) && !stored.contains(&secret["tcsc_".len()..]));
    // Its first use is recorded, and the listing shows it, never the secret.
    let (_, listed, _) = cli(&app, &["scim-credential", "list", "--workspace", "ws-acme"], None);
    let fields: Vec<&str> = listed.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 4, "{listed}");
    assert_eq!(fields[0], id);
    assert!(fields[2].is_empty(), "not revoked: {listed}");
    assert!(!fields[3].is_empty(), "used once: {listed}");
    assert!(!listed.contains(&secret));

    // Nothing else opens it: another workspace's listing, a made-up secret, a host key's shape.
    let (_, elsewhere, _) = cli(&app, &["scim-credential", "list", "--workspace", "ws-globex"], None);
    assert!(elsewhere.is_empty(), "{elsewhere}");
    for other in [
        "tcsc_made-up",
        "",
        &secret[..secret.len() - 1],
        &secret.replace("tcsc_", "tchk_"),
    ] {
        assert!(
            scim::credential_of(&app.state.db.writer, other)
                .await
                .unwrap()
                .is_none(),
            "{other}"
        );
    }

    let (code, out, _) = cli(&app, &["scim-credential", "revoke", &id], None);
    assert_eq!((code, value(&out, "revoked")), (0, id.as_str()));
    let (code, _, err) = cli(&app, &["scim-credential", "revoke", &id], None);
    assert_eq!(
        (code, err.contains("no standing SCIM credential")),
        (2, true),
        "revoked already: {err}"
    );
    assert!(scim::credential_of(&app.state.db.writer, &secret)
        .await
        .unwrap()
        .is_none());

    // Both audited in Acme as the operator's, naming the credential; nothing in Globex.
    let changed = audit(&app, "ws-acme", "ada@acme.test", "scim_credential_changed").await;
    let reasons: Vec<&str> = changed.iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, [format!("{id} revoked"), format!("{id} issued")]);
    assert!(changed.iter().all(|e| e["by_operator"] == true), "{changed:?}");
    assert!(audit(&app, "ws-globex", "gus@globex.test", "scim_credential_changed")
        .await
        .is_empty());
}

crate::on_both_databases!(the_operator_issues_lists_and_revokes_scim_credentials);
