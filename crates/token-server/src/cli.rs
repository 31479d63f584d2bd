//! The administration commands: from an empty database to a signed-in admin without the demo.
//! Each reads the same `--database-url` and environment as the server, migrates first, refuses
//! bad input naming what is wrong (exit 2) before it writes anything, and prints what a script
//! needs on standard output, one `key=value` or tab-separated record per line.

use std::io::Read;

use token_api::auth::SET_PASSWORD_PATH;
use token_api::validate;

use crate::config::{
    Command, Config, HostKeyCommand, PermissionCommand, ScimCredentialCommand, SsoCommand, UserCommand,
    WorkspaceCommand,
};
use crate::db;
use crate::store::onboarding;

/// Why a command did not do its work.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The input is wrong; nothing was written. Exit status 2, as for a bad flag.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

fn bad(what: &str, invalid: validate::Invalid) -> CommandError {
    CommandError::Input(format!("{what} {}", invalid.message()))
}

/// Runs an administration command (`serve` is not one).
pub async fn run(config: &Config, command: Command) -> Result<(), CommandError> {
    // Checked before the database is touched.
    let checked = check(&command)?;
    let db = db::connect(&config.database_url).await?;
    let pool = &db.writer;
    match (command, checked) {
        (Command::Serve | Command::Migrate, _) => {}
        (Command::Backup { path }, _) => {
            if db.backend != db::Backend::Sqlite {
                return Err(CommandError::Input(
                    "backup copies a SQLite database; for PostgreSQL use pg_dump".to_owned(),
                ));
            }
            if path.exists() {
                return Err(CommandError::Input(format!("{} exists already", path.display())));
            }
            let target = path
                .to_str()
                .ok_or_else(|| CommandError::Input("the path must be UTF-8".to_owned()))?;
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(pool)
                .await
                .map_err(anyhow::Error::from)?;
            // The copy holds password hashes and emails: readable by its owner only.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(anyhow::Error::from)?;
            }
            println!("backup={}", path.display());
            eprintln!("Keep the key file with it: the copy's signing keys open with that file only.");
        }
        (Command::Workspace(WorkspaceCommand::Create { .. }), Checked::Name(name)) => {
            let (ws, new) = onboarding::create_workspace(pool, &name)
                .await
                .map_err(anyhow::Error::from)?;
            if !new {
                eprintln!("a workspace named “{}” exists already; these are its ids", ws.name);
            }
            println!("id={}\nclient_id={}", ws.id, ws.client_id);
        }
        (Command::Workspace(WorkspaceCommand::List), _) => {
            for ws in onboarding::workspaces(pool).await.map_err(anyhow::Error::from)? {
                println!("{}\t{}\t{}", ws.id, ws.name, ws.client_id);
            }
        }
        (
            Command::User(UserCommand::Add {
                workspace,
                role,
                password_stdin,
                take_over,
                keep_credential,
                ..
            }),
            Checked::Person { email, name },
        ) => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let person = (email.as_str(), name.as_str());
            let by = onboarding::AddedBy::Operator {
                take_over,
                keep_credential,
            };
            let added = onboarding::add_user(pool, person, &workspace, role, password.as_deref(), by)
                .await
                .map_err(|e| match e {
                    onboarding::AddError::NoSuchWorkspace(_) => CommandError::Input(e.to_string()),
                    onboarding::AddError::ManagedElsewhere(made) => CommandError::Input(format!(
                        "{email}'s account was made by {} on {} and is managed by the workspace “{}”: \
                         whoever made it may know its password, so it joins no other workspace as it is. \
                         Add --take-over to give it a new credential (a link, or --password-stdin) and end \
                         every session, token, calendar feed and link it had; nothing was written",
                        made.by,
                        when(made.at),
                        made.managed_by.unwrap_or_default()
                    )),
                    onboarding::AddError::MakerUnknown(made) => CommandError::Input(format!(
                        "{email}'s account was made on {} by {}: a workspace's admin may have set its password, \
                         so it joins no further workspace as it is. Add --take-over to give it a new credential, \
                         or --keep-credential if you know its password is the person's own; nothing was written",
                        when(made.at),
                        made.by
                    )),
                    onboarding::AddError::Lookalike(other) => CommandError::Input(format!(
                        "EMAIL looks like {other}'s address (the same letters to the eye, Unicode TS #39): \
                         check it; nothing was written"
                    )),
                    other => CommandError::Failed(other.into()),
                })?;
            println!("user_id={}", added.user_id);
            if let Some(made) = &added.existing {
                println!("made_by={}\nmade_at={}", made.by, when(made.at));
                match added.taken_over {
                    Some(ended) => eprintln!(
                        "{email} had an account, made by {} on {}: taken over. It has a new credential, and \
                         what it had is ended (tokens disabled: {}; sessions: {}; calendar feeds: {}).",
                        made.by,
                        when(made.at),
                        ended.tokens,
                        ended.sessions,
                        ended.feeds
                    ),
                    None if password.is_some() => eprintln!(
                        "{email} had an account, made by {} on {}: its password is now the one given, and its sessions ended.",
                        made.by,
                        when(made.at)
                    ),
                    None => eprintln!(
                        "{email} had an account, made by {} on {}: it keeps its password and sessions. \
                         If someone else may know its password, run this again with --take-over.",
                        made.by,
                        when(made.at)
                    ),
                }
            }
            if let Some(secret) = added.setup_secret {
                // After the `#`: a browser never sends it, so no server's log or `Referer` keeps it.
                println!("link={}{SET_PASSWORD_PATH}#{secret}", config.issuer());
                eprintln!(
                    "Give {email} the link: it sets their password once, within {} hours, and is shown only now.",
                    onboarding::SETUP_LINK_HOURS
                );
            }
        }
        (Command::User(UserCommand::List), _) => {
            for person in onboarding::people(pool).await.map_err(anyhow::Error::from)? {
                let memberships: Vec<String> = person
                    .memberships
                    .iter()
                    .map(|(ws, role)| format!("{ws}:{}", role.as_str()))
                    .collect();
                println!("{}\t{}\t{}", person.email, person.name, memberships.join(","));
            }
        }
        (Command::Sso(command), checked) => sso(config, &db, command, checked).await?,
        (Command::HostKey(command), _) => host_key(&db, command).await?,
        (Command::ScimCredential(command), _) => scim_credential(&db, command).await?,
        (Command::Permission(command), _) => permission(&db, command).await?,
        (command, _) => unreachable!("{command:?} was checked"),
    }
    Ok(())
}

/// The `sso` commands.
async fn sso(config: &Config, db: &db::Db, command: SsoCommand, checked: Checked) -> Result<(), CommandError> {
    use crate::store::sso as store;
    let pool = &db.writer;
    let failed = |e: sqlx::Error| CommandError::Failed(e.into());
    match (command, checked) {
        (
            SsoCommand::Set {
                workspace,
                issuer,
                client_id,
                admin_group,
                required,
                trust_emails,
                sign_out_at_provider,
                ..
            },
            Checked::Domains(domains),
        ) => {
            let secret = read_line("the client secret")?;
            let rp = crate::oidc::RelyingParty::new(std::time::Duration::from_secs(10))?;
            rp.check(&issuer).await.map_err(|failure| {
                CommandError::Input(format!(
                    "the provider at {issuer} could not be discovered ({}): check the issuer URL; nothing was written",
                    failure.detail
                ))
            })?;
            let key = crate::keyfile::load(config, db.backend)?;
            let sealed = crate::secrets::seal(
                &crate::secrets::derive_key(crate::SSO_KEY_PURPOSE, &key),
                secret.as_bytes(),
            );
            let settings = store::Settings {
                issuer,
                client_id,
                client_secret_sealed: sealed,
                admin_group: admin_group.filter(|g| !g.trim().is_empty()),
                domains,
                required,
                trust_emails,
                sign_out_at_provider,
            };
            store::set(pool, &workspace, &settings).await.map_err(|e| match e {
                store::SetError::Db(e) => failed(e),
                other => CommandError::Input(format!("{other}; nothing was written")),
            })?;
            println!(
                "redirect_uri={}{}",
                config.issuer(),
                token_api::sso::callback_path(&workspace)
            );
            if settings.sign_out_at_provider {
                println!("post_logout_redirect_uri={}", config.post_logout_uri());
            }
            eprintln!(
                "Register the {} with the provider for client {}.",
                if settings.sign_out_at_provider {
                    "redirect URI and the post-logout redirect URI"
                } else {
                    "redirect URI"
                },
                settings.client_id
            );
        }
        (SsoCommand::Show { workspace }, _) => {
            let summary = store::summary(pool, &workspace).await.map_err(failed)?;
            let Some(c) = summary else {
                return Err(CommandError::Input(format!(
                    "the workspace {workspace} has no identity provider"
                )));
            };
            let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
            println!(
                "issuer={}\nclient_id={}\nadmin_group={}\ndomains={}\nrequired={}\nsign_out_at_provider={}\nstate={}\nlast_sign_in_at={}\nlast_error={}\nlast_error_at={}",
                c.issuer,
                c.client_id,
                c.admin_group.unwrap_or_default(),
                c.domains.join(" "),
                c.required,
                c.sign_out_at_provider,
                c.state.as_str(),
                at(c.last_sign_in_at),
                c.last_error.map(|e| e.as_str()).unwrap_or_default(),
                at(c.last_error_at)
            );
        }
        (SsoCommand::Remove { workspace }, _) => {
            if !store::remove(pool, &workspace).await.map_err(failed)? {
                return Err(CommandError::Input(format!(
                    "the workspace {workspace} has no identity provider"
                )));
            }
            println!("removed={workspace}");
        }
        (SsoCommand::BreakGlass { workspace, off, .. }, Checked::Person { email, .. }) => {
            if !store::set_break_glass(pool, &workspace, &email, !off)
                .await
                .map_err(failed)?
            {
                return Err(CommandError::Input(format!(
                    "{email} is no member of the workspace {workspace}"
                )));
            }
            println!("break_glass={}", !off);
        }
        (command, _) => unreachable!("{command:?} was checked"),
    }
    Ok(())
}

/// The `host-key` commands.
async fn host_key(db: &db::Db, command: HostKeyCommand) -> Result<(), CommandError> {
    use crate::store::host;
    let failed = |e: sqlx::Error| CommandError::Failed(e.into());
    match command {
        HostKeyCommand::Create { workspace, origin } => {
            let Some((id, secret)) = host::create_key(&db.writer, &workspace, &origin)
                .await
                .map_err(failed)?
            else {
                return Err(CommandError::Input(format!("no workspace has the id {workspace}")));
            };
            println!("id={id}\nhost_key={secret}");
            eprintln!("Give the key to the host's backend only: it is shown now and never again.");
        }
        HostKeyCommand::List { workspace } => {
            for k in host::keys(&db.writer, &workspace).await.map_err(failed)? {
                let revoked = k.revoked_at.map(when).unwrap_or_default();
                println!("{}\t{}\t{}\t{revoked}", k.id, k.origin, when(k.created_at));
            }
        }
        HostKeyCommand::Revoke { id } => {
            if !host::revoke_key(&db.writer, &id).await.map_err(failed)? {
                return Err(CommandError::Input(format!("no standing host key has the id {id}")));
            }
            println!("revoked={id}");
        }
    }
    Ok(())
}

/// The `scim-credential` commands.
async fn scim_credential(db: &db::Db, command: ScimCredentialCommand) -> Result<(), CommandError> {
    use crate::store::scim;
    let failed = |e: sqlx::Error| CommandError::Failed(e.into());
    match command {
        ScimCredentialCommand::Create { workspace } => {
            let (id, secret) = scim::issue(&db.writer, &workspace).await.map_err(|e| match e {
                scim::IssueError::Db(e) => failed(e),
                refused => CommandError::Input(refused.to_string()),
            })?;
            println!("id={id}\nscim_credential={secret}");
            eprintln!("Give it to the identity provider's SCIM settings only: it is shown now and never again.");
        }
        ScimCredentialCommand::List { workspace } => {
            for c in scim::credentials(&db.writer, &workspace).await.map_err(failed)? {
                let revoked = c.revoked_at.map(when).unwrap_or_default();
                let used = c.last_used_at.map(when).unwrap_or_default();
                println!("{}\t{}\t{revoked}\t{used}", c.id, when(c.created_at));
            }
        }
        ScimCredentialCommand::Revoke { id } => {
            if !scim::revoke(&db.writer, &id).await.map_err(failed)? {
                return Err(CommandError::Input(format!(
                    "no standing SCIM credential has the id {id}"
                )));
            }
            println!("revoked={id}");
        }
    }
    Ok(())
}

/// The `permission` commands: the operator keeps a workspace's catalogue, audited as a policy
/// change by the operator.
async fn permission(db: &db::Db, command: PermissionCommand) -> Result<(), CommandError> {
    use crate::store::audit::Actor;
    use crate::store::policy;
    use token_api::permissions::Permission;
    let failed = |e: sqlx::Error| CommandError::Failed(e.into());
    let workspace = match &command {
        PermissionCommand::List { workspace }
        | PermissionCommand::Add { workspace, .. }
        | PermissionCommand::Remove { workspace, .. } => workspace.clone(),
    };
    let mut tx = db::begin_write(&db.writer).await.map_err(failed)?;
    let Some(mut next) = policy::of(&mut tx, &workspace).await.map_err(failed)? else {
        return Err(CommandError::Input(format!("no workspace has the id {workspace}")));
    };
    match command {
        PermissionCommand::List { .. } => {
            for p in &next.permissions {
                println!("{}\t{}", p.name, p.description.as_deref().unwrap_or_default());
            }
            return Ok(());
        }
        PermissionCommand::Add { name, description, .. } => {
            let permission = Permission { name, description };
            match next.permissions.iter_mut().find(|p| p.name == permission.name) {
                Some(p) => *p = permission,
                None => next.permissions.push(permission),
            }
        }
        PermissionCommand::Remove { name, .. } => {
            if !next.knows(&name) {
                return Err(CommandError::Input(format!("the catalogue has no permission {name}")));
            }
            next.permissions.retain(|p| p.name != name);
            if let Some(members) = &mut next.member_permissions {
                members.retain(|m| *m != name);
            }
        }
    }
    next.check().map_err(|(field, why)| bad(field, why))?;
    policy::set(&mut tx, &workspace, Actor::Operator, &next, None)
        .await
        .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    for p in &next.permissions {
        println!("{}\t{}", p.name, p.description.as_deref().unwrap_or_default());
    }
    Ok(())
}

/// Whether an issuer URL may be trusted to name a provider: https, or http on a loopback address
/// (a provider on the same machine, as in tests); no query or fragment.
fn issuer_ok(issuer: &str) -> bool {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            issuer
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    (issuer.starts_with("https://") || loopback) && !issuer.contains(['?', '#', ' '])
}

/// An email domain as claimed, spelt as accounts' addresses are (the contract's email rule:
/// lower case, an internationalised domain in the form its addresses are kept in, so a claim
/// made as `xn--…` or in Unicode matches the same addresses).
fn domain(raw: &str) -> Result<String, CommandError> {
    let trimmed = raw.trim().trim_end_matches('.');
    validate::email(&format!("x@{trimmed}"))
        .ok()
        .and_then(|e| e.split_once('@').map(|(_, d)| d.to_owned()))
        .filter(|d| d.contains('.'))
        .ok_or_else(|| CommandError::Input(format!("--domain {raw} is not a domain such as example.com")))
}

/// A time for the operator: UTC, to the minute.
fn when(ms: i64) -> String {
    crate::db::to_time(ms).format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A command's input, checked.
enum Checked {
    Nothing,
    Name(String),
    Person { email: String, name: String },
    Domains(Vec<String>),
}

fn check(command: &Command) -> Result<Checked, CommandError> {
    Ok(match command {
        Command::Workspace(WorkspaceCommand::Create { name }) => {
            Checked::Name(validate::display_name(name).map_err(|e| bad("the workspace's name", e))?)
        }
        Command::User(UserCommand::Add { email, name, .. }) => {
            let (email, name) = validate::person(email, name.as_deref())
                .map_err(|(field, e)| bad(if field == "email" { "EMAIL" } else { "--name" }, e))?;
            Checked::Person { email, name }
        }
        Command::Sso(SsoCommand::Set { issuer, domains, .. }) => {
            if !issuer_ok(issuer) {
                return Err(CommandError::Input(format!(
                    "--issuer {issuer} must be an https URL (http only on a loopback address)"
                )));
            }
            let mut checked = domains.iter().map(|d| domain(d)).collect::<Result<Vec<_>, _>>()?;
            checked.sort();
            checked.dedup();
            Checked::Domains(checked)
        }
        Command::HostKey(HostKeyCommand::Create { origin, .. }) => {
            if validate::bare_origin(origin).is_none() {
                return Err(CommandError::Input(format!(
                    "--origin {origin} must be an origin such as https://app.example.com (scheme, host and port only)"
                )));
            }
            Checked::Nothing
        }
        Command::Sso(SsoCommand::BreakGlass { email, .. }) => {
            let email = validate::email(email).map_err(|e| bad("EMAIL", e))?;
            Checked::Person {
                email,
                name: String::new(),
            }
        }
        _ => Checked::Nothing,
    })
}

/// The password on standard input: one line, its line ending dropped, checked by the rules the
/// set-password page uses.
fn read_password() -> Result<String, CommandError> {
    let password = read_line("the password")?;
    validate::password(&password).map_err(|e| bad("the password", e))?;
    Ok(password)
}

/// One line of standard input, its line ending dropped; refused when empty.
fn read_line(what: &str) -> Result<String, CommandError> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .map_err(|e| CommandError::Input(format!("standard input could not be read: {e}")))?;
    let password = input
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&input)
        .to_owned();
    if password.is_empty() {
        return Err(CommandError::Input(format!("{what} must be given on standard input")));
    }
    Ok(password)
}
