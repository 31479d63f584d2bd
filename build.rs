//! The stylesheet as the app carries it: `style/main.css` without its comments and its
//! layout whitespace (1.3 KiB of the brotli bundle). The source stays commented and readable;
//! strings are copied as written, and only whitespace that cannot matter is dropped (beside
//! `{`, `}`, `;`, `,` and `>`, and after `:`, which no selector or value needs a space after);
//! a run of it elsewhere becomes one space, as a selector's descendant combinator needs.

use std::path::Path;

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                space = true;
            }
            '"' | '\'' => {
                push_space(&mut out, &mut space);
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    if s == '\\' {
                        out.extend(chars.next());
                    } else if s == c {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => space = true,
            '{' | '}' | ';' | ',' | '>' | ':' => {
                // Before `:` a space is a descendant combinator (`.a :focus`): kept.
                if c == ':' {
                    push_space(&mut out, &mut space);
                }
                space = false;
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                out.push(c);
            }
            c => {
                push_space(&mut out, &mut space);
                out.push(c);
            }
        }
    }
    out
}

/// A pending run of whitespace, as one space, unless the start or one of `{};,>:` is before it.
fn push_space(out: &mut String, space: &mut bool) {
    if std::mem::take(space) && !out.is_empty() && !out.ends_with(['{', '}', ';', ',', '>', ':']) {
        out.push(' ');
    }
}

fn main() {
    let source = "style/main.css";
    println!("cargo:rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).expect("style/main.css");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("main.min.css");
    std::fs::write(out, minify(&css)).expect("write the stylesheet");
}
