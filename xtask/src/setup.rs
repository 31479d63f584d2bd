//! Installs what the commands need, each step skipped when already satisfied, so a second run
//! takes seconds. Versions are pinned where a mismatch breaks the build.

use std::path::Path;

use crate::sh::{cmd, Result};

const TRUNK_VERSION: &str = "0.21";
const APT_PACKAGES: [(&str, &str); 4] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    ("postgresql-15", "/usr/lib/postgresql/15/bin/initdb"),
    // A CJK font, so Chinese renders in headless screenshots.
    ("fonts-wqy-microhei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
];

/// What `run` needs: the wasm target, Trunk, wasm-bindgen and wasm-opt.
pub fn for_run(root: &Path) -> Result {
    wasm_target()?;
    trunk()?;
    wasm_bindgen(root)?;
    npm_packages(root)
}

/// What `bench` needs besides: wrk, the load generator.
pub fn for_bench(root: &Path) -> Result {
    all(root)?;
    if Path::new("/usr/bin/wrk").exists() {
        return Ok(());
    }
    apt_install(&["wrk"])
}

/// What `test` needs besides: Chromium and its driver, PostgreSQL, a CJK font, and the Python
/// test tools.
pub fn all(root: &Path) -> Result {
    for_run(root)?;
    apt()?;
    python_packages(root)
}

/// The Python test tools of `end2end/requirements.txt` (schemathesis, oidc-provider-mock, Authlib,
/// aiosmtpd), in a virtual environment at `end2end/.venv`; skipped when each pinned version is there.
fn python_packages(root: &Path) -> Result {
    let e2e = root.join("end2end");
    let venv = e2e.join(".venv");
    let requirements = e2e.join("requirements.txt");
    let pip = venv.join("bin/pip");
    let pinned: Vec<String> = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let installed = cmd(&pip.to_string_lossy(), &["freeze"]).output().unwrap_or_default();
    let have = |pin: &String| installed.lines().any(|l| l.eq_ignore_ascii_case(pin));
    if pinned.iter().all(have) {
        return Ok(());
    }
    let venv_path = venv.to_string_lossy().into_owned();
    if !venv.join("bin/python").exists() && cmd("python3", &["-m", "venv", &venv_path]).run().is_err() {
        // Debian keeps `venv`'s pip bootstrap in a package of its own.
        apt_install(&["python3-venv"])?;
        cmd("python3", &["-m", "venv", &venv_path]).run()?;
    }
    let requirements = requirements.to_string_lossy().into_owned();
    cmd(
        &pip.to_string_lossy(),
        &["install", "-q", "--disable-pip-version-check", "-r", &requirements],
    )
    .run()
}

fn wasm_target() -> Result {
    let installed = cmd("rustup", &["target", "list", "--installed"])
        .output()
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    cmd("rustup", &["target", "add", "wasm32-unknown-unknown"]).run()
}

fn trunk() -> Result {
    let version = cmd("trunk", &["--version"]).output().unwrap_or_default();
    if version.starts_with(&format!("trunk {TRUNK_VERSION}.")) {
        return Ok(());
    }
    // 0.22 needs a newer rustc than this toolchain.
    cmd(
        "cargo",
        &[
            "install",
            "trunk",
            "--version",
            &format!("~{TRUNK_VERSION}"),
            "--locked",
        ],
    )
    .run()
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen(root: &Path) -> std::result::Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".to_owned())
}

fn wasm_bindgen(root: &Path) -> Result {
    let want = locked_wasm_bindgen(root)?;
    let have = cmd("wasm-bindgen", &["--version"]).output().unwrap_or_default();
    if have.trim() == format!("wasm-bindgen {want}") {
        return Ok(());
    }
    // Its --locked install can fail on a newer toolchain; then resolve afresh.
    cmd(
        "cargo",
        &["install", "wasm-bindgen-cli", "--version", &want, "--locked"],
    )
    .run()
    .or_else(|_| cmd("cargo", &["install", "wasm-bindgen-cli", "--version", &want]).run())
}

/// Playwright, axe-core, binaryen (wasm-opt 132) and esbuild (which minifies the wasm-bindgen
/// glue) from end2end/package-lock.json.
fn npm_packages(root: &Path) -> Result {
    let e2e = root.join("end2end");
    let wasm_opt = e2e.join("node_modules/.bin/wasm-opt");
    let version = cmd(&wasm_opt.to_string_lossy(), &["--version"])
        .output()
        .unwrap_or_default();
    if version.contains("version_132")
        && e2e.join("node_modules/@playwright/test").is_dir()
        && e2e.join("node_modules/.bin/esbuild").exists()
    {
        return Ok(());
    }
    if cmd("npm", &["--version"]).output().is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    cmd("npm", &["ci", "--no-audit", "--no-fund"]).dir(&e2e).run()
}

fn apt() -> Result {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(pkg, _)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

fn apt_install(packages: &[&str]) -> Result {
    let root = cmd("id", &["-u"]).output().is_some_and(|id| id.trim() == "0");
    let (program, mut update, mut install) = if root {
        ("apt-get", vec![], vec![])
    } else {
        ("sudo", vec!["apt-get"], vec!["apt-get"])
    };
    update.extend_from_slice(&["update", "-q"]);
    install.extend_from_slice(&["install", "-y", "-q", "--no-install-recommends"]);
    install.extend_from_slice(packages);
    cmd(program, &update).run()?;
    cmd(program, &install).env("DEBIAN_FRONTEND", "noninteractive").run()
}
