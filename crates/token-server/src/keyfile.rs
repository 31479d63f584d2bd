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
    refuse_if_readable_by_others(&path)?;
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

/// A key file that other users may read (or write) is refused: whoever reads it opens every
/// signing key in a copy of the database.
#[cfg(unix)]
fn refuse_if_readable_by_others(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("reading the key file {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "the key file {} has mode {:o}: other users of this machine could read it and open every signing key \
             in a copy of the database. Make it readable by the service only (`chmod 600 {}`) and start again",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_readable_by_others(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Writes a new key file of random bytes, readable by this user only: for tests, examples and
/// benchmarks that start services on a shared key.
pub fn write_new(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)?
        .write_all(&crate::secrets::random_bytes::<MIN_LEN>())
}
