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

/// `compress`: whether to write the compressed copies (release builds; a development build's
/// wasm is tens of MB and rebuilt at every edit).
pub fn finish(dir: &Path, compress: bool) -> Result<(), String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"));
    let mut index = read("index.html")?;
    if compress {
        minify_glue(dir, &mut index)?;
        index = without_comments(&index);
    }
    // Trunk names both files by a hash of cargo's output, before wasm-bindgen and wasm-opt, so
    // one name could hold other bytes after a change of tools; browsers keep these files for a
    // year under their names. Named again by the bytes served.
    let mut names = Vec::new();
    for suffix in ["_bg.wasm", ".js"] {
        let trunk_name = hashed_name(&index, suffix)?;
        let bytes = std::fs::read(dir.join(&trunk_name)).map_err(|e| format!("{trunk_name}: {e}"))?;
        let name = format!("token-console-{}{suffix}", content_hash(&bytes));
        if name != trunk_name {
            std::fs::rename(dir.join(&trunk_name), dir.join(&name)).map_err(|e| format!("{trunk_name}: {e}"))?;
            index = index.replace(&format!("/{trunk_name}"), &format!("/{name}"));
        }
        names.push(name);
    }
    write("index.html", &index)?;
    let (wasm, js) = (&names[0], &names[1]);
    let embed = read("embed.js")?;
    let embed = if embed.contains(STABLE_JS) && embed.contains(STABLE_WASM) {
        embed
            .replace(STABLE_JS, &format!("./{js}"))
            .replace(STABLE_WASM, &format!("./{wasm}"))
    } else if embed.contains(&format!("./{js}")) && embed.contains(&format!("./{wasm}")) {
        embed // finished already
    } else {
        return Err(format!(
            "embed.js names neither {STABLE_JS} and {STABLE_WASM} nor the built files"
        ));
    };
    write("embed.js", &embed)?;
    if compress {
        compress_all(dir)?;
    }
    Ok(())
}

/// Minifies the glue `index.html` loads (once: a minified file has no indented lines) and puts
/// the new bytes' SHA-384 in its `integrity` attribute.
fn minify_glue(dir: &Path, index: &mut String) -> Result<(), String> {
    use base64::Engine;
    use sha2::Digest;
    let name = hashed_name(index, ".js")?;
    let path = dir.join(&name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
    if !text.contains("\n    ") {
        return Ok(());
    }
    let esbuild = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/.bin/esbuild");
    let done = std::process::Command::new(&esbuild)
        .arg(&path)
        .args(["--minify", "--format=esm", "--log-level=warning", "--allow-overwrite"])
        .arg(format!("--outfile={}", path.display()))
        .status()
        .map_err(|e| format!("{}: {e} (cargo xtask setup installs it)", esbuild.display()))?;
    if !done.success() {
        return Err(format!("esbuild could not minify {name}"));
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
    let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&bytes));
    // The integrity attribute of the tag that loads it.
    let at = index
        .find(&format!("href=\"/{name}\""))
        .ok_or_else(|| format!("index.html has no link to {name}"))?;
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
        let index = "<script type=\"module\">import init from '/token-console-0a1b.js'; init('/token-console-0a1b_bg.wasm');</script>\n\
<link rel=\"modulepreload\" href=\"/token-console-0a1b.js\"><link rel=\"preload\" href=\"/token-console-0a1b_bg.wasm\">";
        std::fs::write(dir.join("index.html"), index).unwrap();
        std::fs::write(dir.join("token-console-0a1b.js"), "js bytes").unwrap();
        std::fs::write(dir.join("token-console-0a1b_bg.wasm"), "wasm bytes").unwrap();
        std::fs::write(
            dir.join("embed.js"),
            format!("import '{STABLE_JS}'; new URL('{STABLE_WASM}');"),
        )
        .unwrap();
        finish(&dir, false).unwrap();
        let (js, wasm) = (
            format!("token-console-{}.js", content_hash(b"js bytes")),
            format!("token-console-{}_bg.wasm", content_hash(b"wasm bytes")),
        );
        let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
        assert!(!index.contains("0a1b"), "{index}");
        assert_eq!(index.matches(&format!("/{js}")).count(), 2, "{index}");
        assert_eq!(index.matches(&format!("/{wasm}")).count(), 2, "{index}");
        assert!(dir.join(&js).exists() && dir.join(&wasm).exists());
        let embed = std::fs::read_to_string(dir.join("embed.js")).unwrap();
        assert_eq!(embed, format!("import './{js}'; new URL('./{wasm}');"));
        finish(&dir, false).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("index.html")).unwrap(), index);
        assert_eq!(std::fs::read_to_string(dir.join("embed.js")).unwrap(), embed);
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
