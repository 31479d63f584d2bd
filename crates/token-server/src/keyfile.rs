//! The operator's key file: the secret that seals the signing keys in the database. Read once
//! at start; its bytes never leave the process and are never logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::config::Config;
use crate::db::{self, Backend};

/// The fewest bytes a key file may hold: 256 bits.
pub const MIN_LEN: usize = 32;

/// The name of the file made beside a SQLite database when no `--key-file` is given.
pub const DEFAULT_NAME: &str = "token-console.key";

/// The key file's bytes: the configured file, or on SQLite one beside the database, made on the
/// first start. PostgreSQL deployments run several instances, which must share one file, so the
/// service cannot make it for them.
pub fn load(config: &Config, backend: Backend) -> anyhow::Result<Vec<u8>> {
    let path = match (&config.key_file, backend) {
        (Some(path), _) => path.clone(),
        (None, Backend::Postgres) => bail!(
            "--key-file (KEY_FILE) is required with PostgreSQL: it seals the signing keys in the database, and \\
             every instance of the deployment must be given the same file. Make one with \\
             `head -c 32 /dev/urandom > token-console.key`, make it readable by the service only, and keep a \\
             copy as safe as a database backup"
        ),
        (None, Backend::Sqlite) => {
            let path = db::sqlite_path(&config.database_url)
                .and_then(|db| db.parent().map(|dir| dir.join(DEFAULT_NAME)))
                .unwrap_or_else(|| PathBuf::from(DEFAULT_NAME));
            create_if_missing(&path)?;
            path
        }
    };
    let bytes = std::fs::read(&path).with_context(|| format!("reading the key file {}", path.display()))?;
    if bytes.len() < MIN_LEN {
        bail!(
            "the key file {} holds {} bytes; it must hold at least {MIN_LEN} random bytes \\
             (`head -c 32 /dev/urandom > FILE`)",
            path.display(),
            bytes.len()
        );
    }
    warn_if_readable_by_others(&path);
    Ok(bytes)
}

/// Makes a new key file of 32 random bytes, readable by this user only. `create_new` so two
/// instances starting together on one SQLite file never overwrite each other's.
fn create_if_missing(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&crate::secrets::random_bytes::<MIN_LEN>())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created the key file that seals the signing keys: back it up with the database");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating the key file {}", path.display())),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the key file is readable by other users: chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}
