//! CSV for the exports: RFC 4180 quoting, a UTF-8 byte-order mark so spreadsheet programs read
//! names in any script correctly, and cells that a spreadsheet would run as a formula defused.

/// What a file starts with: the byte-order mark.
pub const BOM: &str = "\u{feff}";

/// One field. A value starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
/// `'`, so a token name cannot become a formula in whoever opens the export (CWE-1236).
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One line, ended by CRLF as RFC 4180 has it.
pub fn line<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = fields.into_iter().map(field).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_quoting_and_nothing_else() {
        assert_eq!(line(["a", "b c", "部署 🚀"]), "a,b c,部署 🚀\r\n");
        assert_eq!(field("x,y"), "\"x,y\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("-"), "'-");
    }
}
