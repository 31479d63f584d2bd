//! A throw-away PostgreSQL cluster for the server tests: made in a temp dir, on a spare loopback
//! port, stopped and removed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;

use crate::sh::cmd;

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running cluster.
pub struct TempCluster {
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl TempCluster {
    /// Creates and starts it. As root, the server runs as the `postgres` user (it refuses root).
    pub fn start() -> Result<TempCluster, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!("token-console-pg-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let as_postgres = cmd("id", &["-u"]).output().is_some_and(|id| id.trim() == "0");
        let cluster = TempCluster { dir, port, as_postgres };
        if as_postgres {
            cmd("chown", &["-R", "postgres:postgres", &cluster.dir.to_string_lossy()]).run()?;
        }
        let data = cluster.dir.join("data").to_string_lossy().into_owned();
        cluster.pg(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            cluster.dir.display()
        );
        let log = cluster.dir.join("log").to_string_lossy().into_owned();
        cluster.pg("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-w", "start"])?;
        Ok(cluster)
    }

    /// Where tests connect; each test makes its own database there.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = format!("{BIN}/{tool}");
        if self.as_postgres {
            let mut all = vec!["-u", "postgres", "--", program.as_str()];
            all.extend_from_slice(args);
            cmd("runuser", &all).run()
        } else {
            cmd(&program, args).run()
        }
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
