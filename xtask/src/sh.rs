//! Running commands: echoed before they run, failing loudly with the command named.

use std::path::{Path, PathBuf};
use std::process::Command;

pub type Result = std::result::Result<(), String>;

/// A command to run.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    dir: Option<PathBuf>,
    pub(crate) envs: Vec<(String, String)>,
}

/// A command with its arguments.
pub fn cmd(program: &str, args: &[&str]) -> Cmd {
    Cmd {
        program: program.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        dir: None,
        envs: vec![],
    }
}

impl Cmd {
    /// Runs it in `dir`.
    pub fn dir(mut self, dir: &Path) -> Cmd {
        self.dir = Some(dir.to_path_buf());
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        if let Some(dir) = &self.dir {
            c.current_dir(dir);
        }
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        c
    }

    fn line(&self) -> String {
        format!("{} {}", self.program, self.args.join(" "))
    }

    /// Runs it, inheriting the terminal; an error names the command.
    pub fn run(&self) -> Result {
        println!("$ {}", self.line());
        let status = self.command().status().map_err(|e| format!("{}: {e}", self.line()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.line()))
        }
    }

    /// Runs it, showing its output, and returns its standard output as well.
    pub fn run_captured(&self) -> std::result::Result<String, String> {
        println!("$ {}", self.line());
        let out = self
            .command()
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("{}: {e}", self.line()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        print!("{stdout}");
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!("`{}` failed ({})", self.line(), out.status))
        }
    }

    /// Runs it quietly and returns its standard output, or `None` if it could not run or failed.
    pub fn output(&self) -> Option<String> {
        let out = self.command().output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The size of a file after `gzip -9`.
pub fn gzip_size(file: &Path) -> std::result::Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

/// The size of a file after brotli at its highest quality, by Node's built-in zlib (Node is
/// here anyway for the end2end suite, and Debian's brotli is not).
pub fn brotli_size(file: &Path) -> std::result::Result<u64, String> {
    let script = "const z=require('zlib');const b=require('fs').readFileSync(process.argv[1]);\
        process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))";
    let out = Command::new("node")
        .args(["-e", script])
        .arg(file)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("brotli size of {}: {e}", file.display()))
}
