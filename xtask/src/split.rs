//! The app's wasm, built from cargo's output for the pages that are loaded when first used.
//!
//! Trunk runs cargo, wasm-bindgen and wasm-opt in one step and has no place for a split between
//! them (trunk#1022), so Trunk's own wasm step only compiles (`data-wasm-opt="0"` in
//! `index.html`), and this, run by its `post_build` hook, takes cargo's output from there:
//!
//! 1. split at the `#[lazy]` functions by `wasm_split_cli_support`, the splitter `cargo leptos
//!    --split` runs (the output must be linked with `--emit-relocs`: `.cargo/config.toml`): a
//!    main module, a module per lazy page, chunks the lazy pages share, and the JavaScript that
//!    fetches them ("the link module");
//! 2. the main module through wasm-bindgen (keeping the exports the lazy modules import);
//! 3. every module through wasm-opt, in a release build.
//!
//! `dist.rs` names the files by their bytes and points `index.html` and `embed.js` at them.

use std::path::{Path, PathBuf};

/// The names the built files import each other by, before `dist.rs` names them by their bytes.
pub const GLUE: &str = "./token-console.js";
pub const LINK: &str = "./token-console-split.js";

/// The cargo profile Trunk builds a release with (`data-cargo-profile-release` in `index.html`).
const RELEASE_PROFILE: &str = "wasm-release";

/// wasm-opt's settings for every module: smallest code (`-Oz`), and the rest measured one by one
/// (the README's table of cuts). The lazy modules carry no `target_features` section for wasm-opt
/// to read the features from, so they are named: those this code uses (wasm-opt refuses a module
/// that uses one it was not given, loudly).
const WASM_OPT: &[&str] = &[
    // Control flow flattened and rebuilt by the Relooper before `-Oz`: 1.5 KiB brotli off the
    // main module and 0.7 off the Admins page's, measured on 2026-12-07 (README's table).
    "--flatten",
    "--rereloop",
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--low-memory-unused",
    "--zero-filled-memory",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
    "--one-caller-inline-max-function-size=20",
    "--converge",
];

/// The app as built: the wasm-bindgen glue, the main module, and where there are lazy pages,
/// the link module and the lazy modules (file stem, bytes), which the link module names as
/// `./<stem>.wasm`.
pub struct Built {
    pub glue: String,
    pub main: Vec<u8>,
    pub link: Option<String>,
    pub lazy: Vec<(String, Vec<u8>)>,
}

/// Cargo's output for the profile Trunk built.
pub fn cargo_output(root: &Path, release: bool) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .or_else(|_| std::env::var("CARGO_BUILD_TARGET_DIR"))
        .map_or_else(|_| root.join("target"), PathBuf::from);
    let profile = if release { RELEASE_PROFILE } else { "debug" };
    target
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("token-console.wasm")
}

/// Builds the app's files from cargo's output `raw`, in `work` (emptied first).
pub fn build(raw: &Path, work: &Path, release: bool) -> Result<Built, String> {
    let input = std::fs::read(raw).map_err(|e| format!("{}: {e}", raw.display()))?;
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let has_lazy = contains(&input, b"__wasm_split_00");
    let (main_in, lazy_paths) = if has_lazy {
        let main = work.join("main.wasm");
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = work;
        options.main_out_path = &main;
        options.main_module = GLUE;
        options.link_name = LINK;
        let split =
            wasm_split_cli_support::transform(options).map_err(|e| format!("splitting {}: {e:#}", raw.display()))?;
        (main, split.split_modules)
    } else {
        (raw.to_path_buf(), Vec::new())
    };
    let bindgen = work.join("bindgen");
    let mut args = vec!["--target", "web", "--out-name", "token-console", "--no-typescript"];
    if has_lazy {
        // The lazy modules import the main module's functions by their linker names.
        args.extend(["--keep-lld-exports"]);
    }
    run(
        std::process::Command::new("wasm-bindgen")
            .args(&args)
            .arg("--out-dir")
            .arg(&bindgen)
            .arg(&main_in),
        "wasm-bindgen",
    )?;
    let main = bindgen.join("token-console_bg.wasm");
    let mut modules = vec![main.clone()];
    modules.extend(lazy_paths.iter().cloned());
    if release {
        let wasm_opt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/.bin/wasm-opt");
        for module in &modules {
            // `XTASK_WASM_NAMES=1`: keep the functions' names, for a profiler (more bytes).
            let names = std::env::var("XTASK_WASM_NAMES").is_ok_and(|v| v == "1");
            let flags = WASM_OPT.iter().filter(|f| !(names && **f == "--strip-debug"));
            run(
                std::process::Command::new(&wasm_opt)
                    .args(flags)
                    .args(names.then_some("-g"))
                    .arg(module)
                    .arg("-o")
                    .arg(module),
                "wasm-opt (cargo xtask setup installs it)",
            )?;
        }
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let read_text = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let link = work.join(LINK);
    let mut lazy = Vec::new();
    for path in &lazy_paths {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        lazy.push((stem, read(path)?));
    }
    Ok(Built {
        glue: read_text(&bindgen.join("token-console.js"))?,
        main: read(&main)?,
        link: if has_lazy { Some(read_text(&link)?) } else { None },
        lazy,
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn run(command: &mut std::process::Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// twiggy's largest items of the app's code before the split (cargo's output, one module) and
/// of the main module after it, with their names (no wasm-opt, which drops them): what the
/// first visit no longer carries. Custom sections (names, relocations) are left out.
pub fn twiggy_report(root: &Path) -> Result<String, String> {
    let raw = cargo_output(root, true);
    let work = std::env::temp_dir().join(format!("token-console-twiggy-{}", std::process::id()));
    build(&raw, &work, false)?;
    let main = work.join("main.wasm");
    let mut report = String::new();
    for (label, file) in [
        ("before the split (cargo's output: every page)", &raw),
        ("after the split (the main module: the first visit)", &main),
    ] {
        let out = std::process::Command::new("twiggy")
            .args(["top", "-n", "60"])
            .arg(file)
            .output()
            .map_err(|e| format!("twiggy: {e} (cargo install twiggy)"))?;
        if !out.status.success() {
            return Err(format!("twiggy: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let out = out.stdout;
        report.push_str(&format!("{label}:\n"));
        let text = String::from_utf8_lossy(&out);
        let items = text
            .lines()
            .filter(|l| !l.contains("section") && !l.contains("reloc.") && !l.contains("linking"));
        for line in items.take(22) {
            report.push_str(&line.chars().take(150).collect::<String>());
            report.push('\n');
        }
        report.push('\n');
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(report)
}
