//! CSV for the exports: RFC 4180 quoting, a UTF-8 byte-order mark so spreadsheet programs read
//! names in any script correctly, and cells that a spreadsheet would run as a formula defused.

/// What a file starts with: the byte-order mark.
pub const BOM: &str = "\u{feff}";

/// What makes a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// What spreadsheet programs split cells on, by locale and by guess: comma, semicolon, tab; and
/// what ends a row, since a reader that ignores quotes starts a new row at a line break.
const SEPARATORS: [char; 5] = [',', ';', '\t', '\n', '\r'];

/// One field, so a token name cannot become a formula in whoever opens the export (CWE-1236),
/// whichever separator the program splits on: a `'` goes before the value when it starts like a
/// formula, and before every part that would start a cell if the program split inside the value
/// (`x;=1+1` for a program that splits on `;` and ignores quotes). A field holding a separator,
/// quote or line break is quoted (RFC 4180).
pub fn field(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut cell_start = true;
    for c in value.chars() {
        if cell_start && FORMULA_START.contains(&c) {
            out.push('\'');
        }
        out.push(c);
        // A part may start after spaces or a quote too: "; =1+1", `,"=1+1`.
        cell_start = SEPARATORS.contains(&c) || (cell_start && matches!(c, ' ' | '"'));
    }
    if out.contains([',', ';', '\t', '"', '\n', '\r']) {
        format!("\"{}\"", out.replace('"', "\"\""))
    } else {
        out
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

    /// Read as a program that splits on `sep` and knows nothing of quotes would read it.
    fn naive_cells(line: &str, sep: char) -> Vec<String> {
        line.trim_end_matches("\r\n")
            .split(['\n', '\r', sep])
            .map(|c| c.trim_start_matches([' ', '"']).to_owned())
            .collect()
    }

    #[test]
    fn no_separator_can_expose_a_formula() {
        let names = [
            "x;=1+1;y",
            "a,=HYPERLINK(\"x\")",
            "tab\t@SUM(A1)",
            "semi; -2+3",
            "plain name",
            "=1",
        ];
        for name in names {
            let row = line([name, "ok"]);
            for sep in [',', ';', '\t'] {
                for cell in naive_cells(&row, sep) {
                    assert!(
                        !cell.starts_with(FORMULA_START),
                        "{name:?} split on {sep:?} gives cell {cell:?}"
                    );
                }
            }
            // A reader that honours quotes gets the name back, with the marks that defuse it.
            let mut reader = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(row.as_bytes());
            let record = reader.records().next().unwrap().unwrap();
            assert_eq!(record.get(0).unwrap().replace('\'', ""), name);
        }
        assert_eq!(field("x;=1+1;y"), "\"x;'=1+1;y\"");
        assert_eq!(field("plain name"), "plain name");
    }
}
