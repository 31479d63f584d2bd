//! The app as Trunk leaves it, finished for serving: `cargo xtask finish-dist`, run by Trunk's
//! `post_build` hook (Trunk.toml) on its staging directory, so a plain `trunk build` gives a
//! complete `dist/` too.
//!
//! - `embed.js` keeps its stable name (host pages load it by that name; the service has browsers
//!   revalidate it) and is pointed at the app's content-hashed files, which browsers may keep.
//! - Beside every file worth compressing, a brotli (quality 11) and a gzip (level 9) copy, which
//!   the service sends to browsers that accept them: made once here, never per request.
//! - In a release build, the wasm-bindgen glue minified by esbuild (Trunk's own minifier fails
//!   on it and leaves it as it is), its integrity in `index.html` computed again: 2.1 KiB of the
//!   brotli bundle.

use std::io::Write;
use std::path::Path;

use crate::split::{Built, GLUE, LINK};

/// `html` without its comments: they document `index.html` for its readers, not its visitors.
/// The inline style and script keep their bytes, so their CSP hashes hold.
fn without_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--") {
        out.push_str(rest[..at].trim_end_matches([' ', '\t']));
        rest = rest[at..].find("-->").map_or("", |end| &rest[at + end + 3..]);
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

/// Smaller files gain less from compression than its framing and a second file cost.
const WORTH_COMPRESSING: u64 = 1024;

/// The names `embed.js` uses in the source tree, before the build knows the hashed ones.
const STABLE_JS: &str = "./token-console.js";
const STABLE_WASM: &str = "./token-console_bg.wasm";

/// Finishes Trunk's `dir`: the app's files built from cargo's output (`split.rs`), named by their
/// bytes, and pointed at by `index.html` and `embed.js`. `release`: minified, with compressed
/// copies (a development build's wasm is tens of MB and rebuilt at every edit).
pub fn finish(dir: &Path, release: bool) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let raw = crate::split::cargo_output(&root, release);
    // A folder of this run's own: a `trunk serve` rebuild and a release build may run at once.
    let work = std::env::temp_dir().join(format!("token-console-split-{}", std::process::id()));
    let built = crate::split::build(&raw, &work, release);
    let _ = std::fs::remove_dir_all(&work);
    place(dir, built?, release)?;
    if release {
        compress_all(dir)?;
    }
    Ok(())
}

/// Writes `built` into `dir` in place of the files Trunk left there.
fn place(dir: &Path, built: Built, release: bool) -> Result<(), String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"));
    let minify = |text: String| if release { minify(&text) } else { Ok(text) };
    let mut index = read("index.html")?;
    if release {
        index = without_comments(&index);
    }
    let trunk_js = hashed_name(&index, ".js")?;
    let trunk_wasm = hashed_name(&index, "_bg.wasm")?;
    // Browsers keep these files for a year under their names, so each is named by its bytes.
    // The lazy modules first: the link module names them.
    let mut link = built.link.map(minify).transpose()?;
    for (stem, bytes) in &built.lazy {
        let name = format!("token-console-{}-{}.wasm", part_name(stem), content_hash(bytes));
        write(&name, bytes)?;
        if let Some(link) = &mut link {
            *link = link.replace(&format!("./{stem}.wasm"), &format!("./{name}"));
        }
    }
    // The glue and the link module import each other: both are named by one hash of the two.
    let glue = minify(built.glue)?;
    let hash = content_hash(format!("{glue}{}", link.as_deref().unwrap_or_default()).as_bytes());
    let js = format!("token-console-{hash}.js");
    let link_js = format!("token-console-split-{hash}.js");
    let glue = retarget_imports(&glue, LINK, &format!("./{link_js}"));
    let link = link.map(|link| retarget_imports(&link, GLUE, &format!("./{js}")));
    write(&js, glue.as_bytes())?;
    if let Some(link) = &link {
        write(&link_js, link.as_bytes())?;
    }
    let wasm = format!("token-console-{}_bg.wasm", content_hash(&built.main));
    write(&wasm, &built.main)?;
    for (old, new) in [(&trunk_js, &js), (&trunk_wasm, &wasm)] {
        if old != new {
            let _ = std::fs::remove_file(dir.join(old));
            index = index.replace(&format!("/{old}"), &format!("/{new}"));
        }
    }
    set_integrity(&mut index, &js, glue.as_bytes())?;
    set_integrity(&mut index, &wasm, &built.main)?;
    // The glue imports the link module: asked for beside it, not after it has arrived. A link
    // module of an earlier run in this folder goes from the page.
    index = without_tags(
        &index,
        "<link rel=\"modulepreload\" href=\"/token-console-split-",
        &link_js,
    );
    if let Some(link) = &link {
        let tag = format!("<link rel=\"modulepreload\" href=\"/{link_js}\" crossorigin=\"anonymous\" integrity=\"\">");
        if !index.contains(&format!("href=\"/{link_js}\"")) {
            let head = index.find("</head>").ok_or("index.html has no </head>")?;
            index.insert_str(head, &tag);
        }
        set_integrity(&mut index, &link_js, link.as_bytes())?;
    }
    write("index.html", index.as_bytes())?;
    // Its names in the source, or those of the last build where this runs again.
    let mut embed = read("embed.js")?;
    for (old, new) in [
        (STABLE_JS, &js),
        (STABLE_WASM, &wasm),
        (&format!("./{trunk_js}"), &js),
        (&format!("./{trunk_wasm}"), &wasm),
    ] {
        embed = embed.replace(old, &format!("./{new}"));
    }
    if !embed.contains(&format!("./{js}")) || !embed.contains(&format!("./{wasm}")) {
        return Err(format!(
            "embed.js names neither {STABLE_JS} and {STABLE_WASM} nor the built files"
        ));
    }
    write("embed.js", embed.as_bytes())?;
    // The app's files of an earlier run in this folder: nothing names them any more.
    let mut keep = vec![js, wasm, link_js];
    keep.extend(
        built
            .lazy
            .iter()
            .map(|(stem, bytes)| format!("token-console-{}-{}.wasm", part_name(stem), content_hash(bytes))),
    );
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry
            .map_err(|e| e.to_string())?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let file = name.trim_end_matches(".br").trim_end_matches(".gz");
        if name.starts_with("token-console-") && !keep.iter().any(|k| k == file) {
            std::fs::remove_file(dir.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(())
}

/// `html` without the tags that start with `start`, except the one naming `keep`.
fn without_tags(html: &str, start: &str, keep: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(start) {
        let end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        out.push_str(&rest[..at]);
        if rest[at..end].contains(keep) {
            out.push_str(&rest[at..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with its `import ... from "<old>"` statements importing `new` instead. Only those: the
/// glue's imports object keeps the module names the wasm imports from as keys.
fn retarget_imports(text: &str, old: &str, new: &str) -> String {
    let mut out = text.to_owned();
    for (space, quote) in [("", '"'), (" ", '"'), ("", '\''), (" ", '\'')] {
        out = out.replace(
            &format!("from{space}{quote}{old}{quote}"),
            &format!("from{space}{quote}{new}{quote}"),
        );
    }
    out
}

/// A lazy module's name without the splitter's decorations: `admin_page` for
/// `split_admin_page_13826941118763421013`, `chunk_3` for itself.
fn part_name(stem: &str) -> &str {
    let stem = stem.strip_prefix("split_").unwrap_or(stem);
    match stem.rsplit_once('_') {
        Some((name, n)) if n.len() > 8 && n.chars().all(|c| c.is_ascii_digit()) => name,
        _ => stem,
    }
}

/// JavaScript minified by esbuild (Trunk's own minifier fails on wasm-bindgen's glue).
fn minify(text: &str) -> Result<String, String> {
    let esbuild = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/.bin/esbuild");
    let mut child = std::process::Command::new(&esbuild)
        // wasm-bindgen's imports object names the link module once per import of it: the same
        // module each time, which esbuild would warn about.
        .args([
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--loader=js",
            "--log-override:duplicate-object-key=silent",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e} (cargo xtask setup installs it)", esbuild.display()))?;
    let mut stdin = child.stdin.take().ok_or("esbuild: no stdin")?;
    let input = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| format!("esbuild: {e}"))?;
    writer
        .join()
        .map_err(|_| "esbuild: writing failed")?
        .map_err(|e| format!("esbuild: {e}"))?;
    if !out.status.success() {
        return Err("esbuild could not minify the app's JavaScript".to_owned());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("esbuild: {e}"))
}

/// Puts the SHA-384 of `bytes` in the `integrity` attribute of the tag that loads `/name`, where
/// it has one.
fn set_integrity(index: &mut String, name: &str, bytes: &[u8]) -> Result<(), String> {
    use base64::Engine;
    use sha2::Digest;
    let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes));
    let Some(at) = index.find(&format!("href=\"/{name}\"")) else {
        return Ok(());
    };
    let end = at + index[at..].find('>').ok_or("index.html: an unclosed tag")?;
    let tag = &index[at..end];
    let Some(start) = tag.find("integrity=\"") else {
        return Ok(());
    };
    let value = at + start + "integrity=\"".len();
    let value_end = value + index[value..].find('"').ok_or("index.html: an unclosed integrity")?;
    index.replace_range(value..value_end, &format!("sha384-{digest}"));
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file `index.html` loads as `/token-console-<hash><suffix>`.
fn hashed_name(index: &str, suffix: &str) -> Result<String, String> {
    index
        .split('"')
        .filter_map(|attr| attr.strip_prefix('/'))
        .find(|name| {
            name.strip_prefix("token-console-")
                .and_then(|rest| rest.strip_suffix(suffix))
                .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("index.html loads no content-hashed token-console-*{suffix} (is filehash on in Trunk.toml?)")
        })
}

fn compress_all(dir: &Path) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let compressible = matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("html" | "js" | "wasm" | "css" | "svg" | "json")
        );
        let size = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
        if !compressible || size < WORTH_COMPRESSING {
            continue;
        }
        let body = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // The copies carry the original's time, so `Last-Modified` is one value whichever copy
        // a browser is sent.
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(|e| e.to_string())?;
        let write = |name: std::ffi::OsString, bytes: Vec<u8>| {
            let file = std::fs::File::create(&name).and_then(|mut f| f.write_all(&bytes).map(|()| f));
            file.and_then(|f| f.set_modified(modified))
                .map_err(|e| format!("{}: {e}", Path::new(&name).display()))
        };
        let with = |ext: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(ext);
            name
        };
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut body.as_slice(), &mut br, &params).map_err(|e| e.to_string())?;
        write(with(".br"), br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&body).map_err(|e| e.to_string())?;
        write(with(".gz"), gz.finish().map_err(|e| e.to_string())?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_the_bytes_served_and_a_second_run_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("token-console-dist-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let index = "<head><script type=\"module\">import init from '/token-console-0a1b.js'; init('/token-console-0a1b_bg.wasm');</script>\n\
<link rel=\"modulepreload\" href=\"/token-console-0a1b.js\" integrity=\"sha384-old\"><link rel=\"preload\" href=\"/token-console-0a1b_bg.wasm\" integrity=\"sha384-old\"></head>";
        std::fs::write(dir.join("index.html"), index).unwrap();
        std::fs::write(dir.join("token-console-0a1b.js"), "Trunk's glue").unwrap();
        std::fs::write(dir.join("token-console-0a1b_bg.wasm"), "Trunk's wasm").unwrap();
        std::fs::write(
            dir.join("embed.js"),
            format!("import '{STABLE_JS}'; new URL('{STABLE_WASM}');"),
        )
        .unwrap();
        // What wasm-bindgen and the splitter write: the glue imports the link module, whose name
        // also keys the wasm's imports; the link module imports the glue and fetches the parts.
        let built = || {
            Built {
            glue: format!("import * as m from \"{LINK}\"; const imports = {{ \"{LINK}\": m }};"),
            main: b"main wasm".to_vec(),
            link: Some(format!(
                "import {{ initSync }} from \"{GLUE}\"; fetch(\"./split_admin_page_13826941118763421013.wasm\"); fetch(\"./chunk_3.wasm\");"
            )),
            lazy: vec![
                ("split_admin_page_13826941118763421013".to_owned(), b"admin wasm".to_vec()),
                ("chunk_3".to_owned(), b"chunk wasm".to_vec()),
            ],
        }
        };
        place(&dir, built(), false).unwrap();
        let file = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let index = file("index.html");
        let named = |suffix: &str| hashed_name(&index, suffix).unwrap();
        let (js, wasm) = (named(".js"), named("_bg.wasm"));
        assert_eq!(wasm, format!("token-console-{}_bg.wasm", content_hash(b"main wasm")));
        assert!(!dir.join("token-console-0a1b.js").exists() && !dir.join("token-console-0a1b_bg.wasm").exists());
        let link = js.replace("token-console-", "token-console-split-");
        let admin = format!("token-console-admin_page-{}.wasm", content_hash(b"admin wasm"));
        let chunk = format!("token-console-chunk_3-{}.wasm", content_hash(b"chunk wasm"));
        assert_eq!(file(&admin), "admin wasm");
        assert_eq!(file(&chunk), "chunk wasm");
        // Each import names the other's file; the imports object's key stays what the wasm asks.
        assert_eq!(
            file(&js),
            format!("import * as m from \"./{link}\"; const imports = {{ \"{LINK}\": m }};")
        );
        assert_eq!(
            file(&link),
            format!("import {{ initSync }} from \"./{js}\"; fetch(\"./{admin}\"); fetch(\"./{chunk}\");")
        );
        // index.html loads all three with the integrity of the bytes served, the link module
        // beside the glue.
        for name in [&js, &wasm, &link] {
            use base64::Engine;
            use sha2::Digest;
            let digest = base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha384::digest(std::fs::read(dir.join(name)).unwrap()));
            assert!(index.contains(&format!("href=\"/{name}\"")), "{name} in {index}");
            assert!(
                index.contains(&format!("sha384-{digest}")),
                "{name}'s integrity in {index}"
            );
        }
        assert!(!index.contains("0a1b") && !index.contains("sha384-old"), "{index}");
        assert_eq!(file("embed.js"), format!("import './{js}'; new URL('./{wasm}');"));
        // Again, as Trunk's hook may: nothing changes, nothing is added twice.
        place(&dir, built(), false).unwrap();
        assert_eq!(file("index.html"), index);
        assert_eq!(file("embed.js"), format!("import './{js}'; new URL('./{wasm}');"));
        // Another glue is another name for both JavaScript files.
        let mut other = built();
        other.glue.push_str(" // changed");
        place(&dir, other, false).unwrap();
        let index = file("index.html");
        assert!(!index.contains(&js) && !index.contains(&link), "{index}");
        assert_eq!(index.matches("modulepreload").count(), 2, "{index}");
        assert!(!dir.join(&js).exists() && !dir.join(&link).exists());
        // The lazy modules did not change: still there, still named.
        assert!(dir.join(&admin).exists() && dir.join(&chunk).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn comments_go_and_everything_else_stays() {
        let html = "<head>\n    <!-- why -->\n    <style>a{}</style>\n<!-- two\nlines -->\n</head>";
        assert_eq!(without_comments(html), "<head>\n    <style>a{}</style>\n</head>");
        assert_eq!(without_comments("no comments"), "no comments");
    }

    #[test]
    fn the_hashed_names_are_read_from_index_html() {
        let index = r#"<script type="module">import init from '/token-console-0a1b2c.js';</script>
<link rel="modulepreload" href="/token-console-0a1b2c.js" integrity="sha384-x">
<link rel="preload" href="/token-console-0a1b2c_bg.wasm" as="fetch">"#;
        assert_eq!(hashed_name(index, ".js").unwrap(), "token-console-0a1b2c.js");
        assert_eq!(hashed_name(index, "_bg.wasm").unwrap(), "token-console-0a1b2c_bg.wasm");
        // Unhashed names (filehash off) are an error, not a silent embed.js pointing nowhere.
        assert!(hashed_name(r#"<link href="/token-console.js">"#, ".js").is_err());
    }
}
