//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): parsed into a small tree, then
//! evaluated against a resource as JSON. Input is bounded in length and in nesting, so a hostile
//! filter is refused cheaply and cannot exhaust the stack.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

/// The longest filter or path accepted, in bytes: far more than any real query needs.
pub const MAX_LEN: usize = 4096;

/// The deepest nesting accepted (parentheses, `not`, value paths), which bounds the recursion.
pub const MAX_DEPTH: usize = 16;

/// What the core schemas' URNs start with: their attributes sit at the top level of a resource,
/// where an extension's sit in an object under the extension's URN (RFC 7643 §3.3).
const CORE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:";

/// An attribute as a filter or path names it: `userName`, `name.givenName`, or fully qualified,
/// `urn:ietf:params:scim:schemas:core:2.0:User:userName`. Names keep the case they were written
/// in, since SCIM compares them case-insensitively (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN of a fully qualified name, without the `:` before the attribute.
    pub schema: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Whether this names `name` ("userName", "name.givenName"), in any case and any schema.
    pub fn is(&self, name: &str) -> bool {
        let (attr, sub) = split_dot(name);
        self.attr.eq_ignore_ascii_case(attr)
            && match (self.sub.as_deref(), sub) {
                (Some(mine), Some(sub)) => mine.eq_ignore_ascii_case(sub),
                (mine, sub) => mine.is_none() && sub.is_none(),
            }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator: equal, not equal, contains, starts with, ends with, and the orderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`, the value as JSON: a string, a number, true, false or null.
    Compare(AttrPath, CompareOp, Value),
    /// `attrPath pr`.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// `attrPath[filter]`: the inner filter names the sub-attributes of one element.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH operation's target: `attrPath`, `attrPath[filter]` or `attrPath[filter].subAttr`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    /// Which elements of a multi-valued attribute the operation applies to.
    pub filter: Option<Filter>,
    /// The sub-attribute of the selected elements, after a filter.
    pub sub: Option<String>,
}

/// Why a filter or path was refused, with the byte offset where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// Parses a filter (RFC 7644 §3.4.2.2). `not` binds tighter than `and`, and `and` than `or`.
pub fn parse(filter: &str) -> Result<Filter, Invalid> {
    let mut parser = Parser::new(filter, "filter")?;
    let parsed = parser.or()?;
    parser.end()?;
    Ok(parsed)
}

/// Parses a PATCH path (RFC 7644 §3.5.2).
pub fn parse_path(path: &str) -> Result<PatchPath, Invalid> {
    let mut parser = Parser::new(path, "path")?;
    let attr = parser.attr_path()?;
    let (mut filter, mut sub) = (None, None);
    if parser.peek() == Some(b'[') {
        filter = Some(parser.value_filter(&attr)?);
        if parser.peek() == Some(b'.') {
            parser.pos += 1;
            let at = parser.pos;
            let name = parser.take_while(is_name_char);
            if !is_name(name) {
                return invalid("expected a sub-attribute name", at);
            }
            sub = Some(name.to_owned());
        }
    }
    parser.end()?;
    Ok(PatchPath { attr, filter, sub })
}

impl Filter {
    /// Whether `resource` (a SCIM resource as JSON) satisfies the filter. Strings compare
    /// case-insensitively unless `case_exact` says the attribute is `caseExact` (RFC 7643 §2.2);
    /// inside a value path it is asked about the full name, `emails.value`.
    pub fn matches(&self, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        match self {
            // `ne` holds when no value is equal, so also when the attribute is absent.
            Filter::Compare(path, CompareOp::Ne, expected) => {
                !compare(resource, path, CompareOp::Eq, expected, case_exact(path))
            }
            Filter::Compare(path, op, expected) => compare(resource, path, *op, expected, case_exact(path)),
            Filter::Present(path) => values(resource, path).into_iter().any(is_present),
            Filter::And(a, b) => a.matches(resource, case_exact) && b.matches(resource, case_exact),
            Filter::Or(a, b) => a.matches(resource, case_exact) || b.matches(resource, case_exact),
            Filter::Not(inner) => !inner.matches(resource, case_exact),
            Filter::ValuePath(path, inner) => {
                let within = |sub: &AttrPath| {
                    let mut full = path.clone();
                    full.sub = Some(sub.attr.clone());
                    case_exact(&full)
                };
                let mut elements = values(resource, path).into_iter();
                elements.any(|element| inner.matches(element, &within))
            }
        }
    }
}

/// Whether any value `path` names satisfies `op` against `expected`.
fn compare(resource: &Value, path: &AttrPath, op: CompareOp, expected: &Value, exact: bool) -> bool {
    let mut values = values(resource, path).into_iter();
    if expected.is_null() {
        // Null and unassigned are the same state (RFC 7643 §2.5): only equality means anything.
        return op == CompareOp::Eq && !values.any(is_present);
    }
    values.any(|actual| compare_one(actual, op, expected, exact))
}

fn compare_one(actual: &Value, op: CompareOp, expected: &Value, exact: bool) -> bool {
    // An element of a complex multi-valued attribute (`emails`) compares by its `value`.
    let actual = match actual {
        Value::Object(_) => field(actual, "value").unwrap_or(&Value::Null),
        _ => actual,
    };
    match (actual, expected) {
        (Value::String(a), Value::String(b)) if exact => compare_strings(a, b, op),
        (Value::String(a), Value::String(b)) => compare_strings(&a.to_lowercase(), &b.to_lowercase(), op),
        (Value::Number(a), Value::Number(b)) => number_order(a, b).is_some_and(|order| ordered(op, order)),
        (Value::Bool(a), Value::Bool(b)) => op == CompareOp::Eq && a == b,
        _ => false,
    }
}

/// Orders strings by their bytes, which puts RFC 3339 timestamps of one offset in time order.
fn compare_strings(a: &str, b: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        _ => ordered(op, a.cmp(b)),
    }
}

/// Whether `order` (the attribute's value against the filter's) satisfies `op`.
fn ordered(op: CompareOp, order: Ordering) -> bool {
    match op {
        CompareOp::Eq => order.is_eq(),
        CompareOp::Ne => order.is_ne(),
        CompareOp::Gt => order.is_gt(),
        CompareOp::Ge => order.is_ge(),
        CompareOp::Lt => order.is_lt(),
        CompareOp::Le => order.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Integers exactly, anything else as floating point.
fn number_order(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// RFC 7644's `pr`: a value that is not null, an empty string or an empty array.
fn is_present(value: &Value) -> bool {
    !(value.is_null() || value.as_str() == Some("") || value.as_array().is_some_and(Vec::is_empty))
}

/// The values `path` names in `resource`, each element of a multi-valued attribute on its own.
/// An unqualified name is looked up at the top level only.
fn values<'v>(resource: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let container = match &path.schema {
        Some(schema) if !starts_with_ignore_case(schema, CORE_SCHEMA) => field(resource, schema),
        _ => Some(resource),
    };
    let mut found = Vec::new();
    for item in each(container.and_then(|c| field(c, &path.attr))) {
        match &path.sub {
            None => found.push(item),
            Some(sub) => found.extend(each(field(item, sub))),
        }
    }
    found
}

/// An array's elements, or a single value on its own.
fn each(value: Option<&Value>) -> std::slice::Iter<'_, Value> {
    match value {
        Some(Value::Array(items)) => items.iter(),
        Some(one) => std::slice::from_ref(one).iter(),
        None => [].iter(),
    }
}

/// An object's member by name in any case, as SCIM names attributes.
fn field<'v>(object: &'v Value, name: &str) -> Option<&'v Value> {
    let object = object.as_object()?;
    let mut members = object.iter();
    object
        .get(name)
        .or_else(|| members.find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|m| m.1))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

fn invalid<T>(what: impl fmt::Display, at: usize) -> Result<T, Invalid> {
    Err(Invalid(format!("{what} at {at}")))
}

/// What an attribute path is written with: names, `.`, and the `:` of a schema URN.
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':' | b'$')
}

/// RFC 7644's ATTRNAME: a letter, then letters, digits, `-` and `_`. A `$` may start it too, for
/// `$ref`, which RFC 7643 names attributes with although the grammar leaves it out.
fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'$')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn split_dot(name: &str) -> (&str, Option<&str>) {
    name.split_once('.')
        .map_or((name, None), |(attr, sub)| (attr, Some(sub)))
}

/// Splits `urn:…:User:name.givenName` into schema, attribute and sub-attribute; the schema is
/// everything before the last `:`, since URNs hold `:` and `.` (`2.0`) themselves.
fn split_attr_path(word: &str) -> Option<AttrPath> {
    let (schema, name) = word
        .rsplit_once(':')
        .map_or((None, word), |(schema, name)| (Some(schema), name));
    let (attr, sub) = split_dot(name);
    let schema_ok = schema.is_none_or(|schema| starts_with_ignore_case(schema, "urn:"));
    (schema_ok && is_name(attr) && sub.is_none_or(is_name)).then(|| AttrPath {
        schema: schema.map(str::to_owned),
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// A recursive-descent parser over the input's bytes; every token it needs is ASCII, so each
/// offset it stops at is a character boundary.
#[derive(Default)]
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    /// Inside `[…]`, where RFC 7644's `valFilter` allows no further value path.
    in_value_path: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, what: &str) -> Result<Parser<'a>, Invalid> {
        if text.len() > MAX_LEN {
            return Err(Invalid(format!("the {what} is longer than {MAX_LEN} bytes")));
        }
        Ok(Parser {
            text,
            ..Parser::default()
        })
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        self.take_while(|c| c.is_ascii_whitespace());
    }

    /// Consumes and returns the run of bytes that `keep` accepts.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// Consumes `keyword`, in any case, when it is the next word.
    fn keyword(&mut self, keyword: &str) -> bool {
        self.skip_spaces();
        let start = self.pos;
        let found = self.take_while(is_name_char).eq_ignore_ascii_case(keyword);
        if !found {
            self.pos = start;
        }
        found
    }

    /// Fails on anything left after a complete filter or path.
    fn end(&mut self) -> Result<(), Invalid> {
        self.skip_spaces();
        match self.text[self.pos..].chars().next() {
            None => Ok(()),
            Some(c) => invalid(format!("unexpected {c}"), self.pos),
        }
    }

    fn or(&mut self) -> Result<Filter, Invalid> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, Invalid> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// A parenthesized filter, `not (…)`, a value path or an attribute expression.
    fn unary(&mut self) -> Result<Filter, Invalid> {
        self.skip_spaces();
        if self.peek() == Some(b'(') {
            return self.nested(b')');
        }
        let start = self.pos;
        if self.keyword("not") {
            self.skip_spaces();
            if self.peek() == Some(b'(') {
                return Ok(Filter::Not(Box::new(self.nested(b')')?)));
            }
            self.pos = start; // An attribute that happens to be called `not`.
        }
        let path = self.attr_path()?;
        if self.peek() != Some(b'[') {
            return self.attr_expression(path);
        }
        let inner = self.value_filter(&path)?;
        if self.peek() == Some(b'.') {
            return invalid("a sub-attribute after a value path (PATCH paths only)", self.pos);
        }
        Ok(Filter::ValuePath(path, Box::new(inner)))
    }

    /// The filter between the opening character here and `close`, one level deeper.
    fn nested(&mut self, close: u8) -> Result<Filter, Invalid> {
        let opened = self.pos;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return invalid(format!("nesting deeper than {MAX_DEPTH} levels"), opened);
        }
        self.pos += 1;
        let inner = self.or()?;
        self.skip_spaces();
        if self.peek() != Some(close) {
            let (open, close) = (self.text.as_bytes()[opened] as char, close as char);
            let message = format!("expected {close} at {} to close the {open}", self.pos);
            return invalid(message, opened);
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(inner)
    }

    /// `[filter]` after `path`, the `[` next.
    fn value_filter(&mut self, path: &AttrPath) -> Result<Filter, Invalid> {
        if self.in_value_path {
            return invalid("a value path inside another", self.pos);
        }
        if path.sub.is_some() {
            return invalid(format!("a value filter after the sub-attribute {path}"), self.pos);
        }
        self.in_value_path = true;
        let inner = self.nested(b']')?;
        self.in_value_path = false;
        Ok(inner)
    }

    fn attr_path(&mut self) -> Result<AttrPath, Invalid> {
        self.skip_spaces();
        let start = self.pos;
        match self.take_while(is_name_char) {
            "" => invalid("expected an attribute name", start),
            word => split_attr_path(word).map_or_else(|| invalid(format!("invalid attribute name {word}"), start), Ok),
        }
    }

    /// `pr`, or an operator and its value, after `path`.
    fn attr_expression(&mut self, path: AttrPath) -> Result<Filter, Invalid> {
        self.skip_spaces();
        let at = self.pos;
        let word = self.take_while(is_name_char);
        let op = match word.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            "" => return invalid(format!("expected an operator after {path}"), at),
            _ => return invalid(format!("unknown operator {word} after {path}"), at),
        };
        self.skip_spaces();
        let start = self.pos;
        // A JSON string, number, true, false or null: serde_json decodes it, escapes and all.
        let text = if self.peek() == Some(b'"') {
            self.string_literal()?
        } else {
            self.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
        };
        match serde_json::from_str(text) {
            Ok(value) => Ok(Filter::Compare(path, op, value)),
            Err(_) if text.is_empty() => invalid(format!("expected a value after {word}"), start),
            Err(_) => invalid(format!("invalid value {text}"), start),
        }
    }

    /// The string from the `"` here to the next unescaped `"`, both quotes included.
    fn string_literal(&mut self) -> Result<&'a str, Invalid> {
        let start = self.pos;
        let mut i = start + 1;
        while let Some(&c) = self.text.as_bytes().get(i) {
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(&self.text[start..self.pos]);
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        invalid("unterminated string", start)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn cmp(name: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare(split_attr_path(name).unwrap(), op, value)
    }

    fn error(filter: &str) -> String {
        parse(filter).unwrap_err().0
    }

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "externalId": "BJ-701", "userName": "BJensen", "title": "", "active": true, "phoneNumbers": [],
            "name": { "familyName": "Jensen", "givenName": "Barbara" },
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "meta": { "lastModified": "2011-05-13T04:42:34Z" },
            ENTERPRISE: { "employeeNumber": "701984", "costCenter": 4130 }
        })
    }

    fn check(filter: &str) -> bool {
        parse(filter).unwrap().matches(&user(), &|_| false)
    }

    #[test]
    fn the_rfc_examples_parse() {
        let examples = [
            r#"userName eq "jdoe""#,
            r#"name.familyName co "O'Brien""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "D""#,
            r#"title pr and userType eq "Contractor""#,
            r#"title pr or userType eq "Temp""#,
            r#"meta.lastModified gt "2020-01-02T03:04:05Z""#,
            r#"meta.lastModified le "2020-01-02T03:04:05Z""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Contractor" and (emails co "a.test" or emails.value co "b.test")"#,
            r#"userType ne "Contractor" and not (emails co "a.test" or emails.value co "b.test")"#,
            r#"userType eq "Contractor" and (emails.type eq "home")"#,
            r#"userType eq "Contractor" and emails[type eq "home" and value co "@a.test"]"#,
            r#"emails[type eq "home" and value co "@a.test"] or ims[type eq "aim" and value co "@b.test"]"#,
        ];
        for example in examples {
            assert!(parse(example).is_ok(), "{example}: {:?}", parse(example));
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let [a, b, c] = ["a", "b", "c"].map(|name| cmp(name, CompareOp::Eq, json!(name)));
        let and = |x: &Filter, y: &Filter| Filter::And(Box::new(x.clone()), Box::new(y.clone()));
        let or = |x: &Filter, y: &Filter| Filter::Or(Box::new(x.clone()), Box::new(y.clone()));
        assert_eq!(parse(r#"a eq "a" or b eq "b" and c eq "c""#), Ok(or(&a, &and(&b, &c))));
        let grouped = parse(r#"(a eq "a" or b eq "b") and c eq "c""#);
        assert_eq!(grouped, Ok(and(&or(&a, &b), &c)));
        let not_a = Filter::Not(Box::new(a.clone()));
        assert_eq!(parse(r#"not (a eq "a") and b eq "b""#), Ok(and(&not_a, &b)));
    }

    #[test]
    fn keywords_and_names_ignore_case() {
        let not_title = Filter::Not(Box::new(Filter::Present(split_attr_path("title").unwrap())));
        let user_name = cmp("USERNAME", CompareOp::Eq, json!("x"));
        let expected = Filter::And(Box::new(user_name), Box::new(not_title));
        assert_eq!(parse(r#"USERNAME Eq "x" AND NOT(title PR)"#), Ok(expected));
        assert!(parse(r#"a Pr OR emails[Type EQ "work"]"#).is_ok());
        let user_name = split_attr_path("USERNAME").unwrap();
        assert!(user_name.is("userName") && !user_name.is("userName.x"));
        let manager = split_attr_path(&format!("{ENTERPRISE}:Manager.Value")).unwrap();
        assert_eq!(manager.schema.as_deref(), Some(ENTERPRISE));
        assert!(manager.is("manager.value") && !manager.is("manager"));
    }

    #[test]
    fn values_are_json() {
        let escaped = cmp("x", CompareOp::Eq, json!("say \"hi\" é\\"));
        assert_eq!(parse(r#"x eq "say \"hi\" \u00e9\\""#), Ok(escaped));
        for (text, value) in [("true", json!(true)), ("null", json!(null)), ("-1.5e3", json!(-1500.0))] {
            assert_eq!(parse(&format!("x gt {text}")), Ok(cmp("x", CompareOp::Gt, value)));
        }
        assert_eq!(error("x eq tru"), "invalid value tru at 5");
        assert_eq!(error(r#"x eq "\q""#), r#"invalid value "\q" at 5"#);
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            (r#"userName xx "a""#, "unknown operator xx after userName at 9"),
            ("userName ", "expected an operator after userName at 9"),
            ("userName eq", "expected a value after eq at 11"),
            (r#"userName eq "a"#, "unterminated string at 12"),
            ("(a pr", "expected ) at 5 to close the ( at 0"),
            (r#"emails[type eq "work""#, "expected ] at 21 to close the [ at 6"),
            ("a pr)", "unexpected ) at 4"),
            ("a pr b pr", "unexpected b at 5"),
            ("a pr and", "expected an attribute name at 8"),
            ("foo:bar pr", "invalid attribute name foo:bar at 0"),
            ("a[b[c pr]]", "a value path inside another at 3"),
        ];
        for (filter, message) in cases {
            assert_eq!(error(filter), message, "{filter}");
        }
        assert!(error("a[b pr].c pr").starts_with("a sub-attribute after a value path (PATCH paths only)"));
    }

    #[test]
    fn input_is_bounded_in_length_and_depth() {
        let long = format!(r#"a eq "{}""#, "x".repeat(MAX_LEN));
        assert_eq!(error(&long), "the filter is longer than 4096 bytes");
        let nested = |open: &str, n: usize| format!("{}a pr{}", open.repeat(n), ")".repeat(n));
        assert!(parse(&nested("(", MAX_DEPTH)).is_ok() && parse(&nested("not (", MAX_DEPTH)).is_ok());
        let too_deep = error(&nested("(", MAX_DEPTH + 1));
        assert_eq!(too_deep, "nesting deeper than 16 levels at 16");
        assert!(error(&nested("not (", MAX_DEPTH + 1)).starts_with("nesting deeper"));
    }

    #[test]
    fn strings_ignore_case_unless_case_exact() {
        assert!(check(r#"username eq "bjensen""#));
        assert!(check(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ""#));
        let external = parse(r#"externalId eq "bj-701""#).unwrap();
        assert!(external.matches(&user(), &|_| false));
        assert!(!external.matches(&user(), &|path| path.is("externalId")));
        // Inside a value path the closure is asked about the full name.
        let email = parse(r#"emails[value eq "BJENSEN@example.com"]"#).unwrap();
        assert!(email.matches(&user(), &|_| false));
        assert!(!email.matches(&user(), &|path| path.is("emails.value")));
    }

    #[test]
    fn multi_valued_attributes_match_when_any_element_does() {
        assert!(check(r#"emails[type eq "work" and value co "@example.com"]"#));
        assert!(!check(r#"emails[type eq "home" and value co "@example.com"]"#));
        assert!(check(r#"emails.value eq "babs@jensen.org""#) && check(r#"emails eq "BABS@jensen.org""#));
        assert!(check(r#"emails.type eq "home" and emails.primary eq true"#));
        assert!(check(&format!(r#"schemas eq "{ENTERPRISE}""#)));
    }

    #[test]
    fn presence_negation_and_orderings() {
        assert!(check("name.givenName pr and emails pr and active pr"));
        assert!(!check("title pr") && !check("phoneNumbers pr") && !check("nickName pr"));
        assert!(check("not (title pr)") && !check("not (userName pr)"));
        assert!(check(r#"nickName ne "x""#), "ne on an absent attribute holds");
        assert!(!check(r#"userName ne "BJENSEN""#));
        assert!(check("nickName eq null") && !check("userName eq null"));
        assert!(check(r#"meta.lastModified gt "2011-05-13T04:42:33Z""#));
        assert!(!check(r#"meta.lastModified lt "2011-05-13T04:42:34Z""#));
        assert!(check("active eq true") && !check("active gt false"));
        assert!(check(&format!(r#"{ENTERPRISE}:employeeNumber eq "701984""#)));
        let cost_center = format!("{ENTERPRISE}:costCenter");
        assert!(check(&format!("{cost_center} ge 4130 and {cost_center} lt 4.2e3")));
        assert!(!check(&format!("{ENTERPRISE}:userName pr")), "not the core userName");
    }

    #[test]
    fn patch_paths() {
        let members = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert!(members.attr.is("members") && members.sub.is_none());
        assert_eq!(members.filter, Some(cmp("value", CompareOp::Eq, json!("2819c223"))));
        let work = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(work.attr.is("emails") && work.filter.is_some() && work.sub.as_deref() == Some("value"));
        let family = parse_path("name.familyName").unwrap();
        assert!(family.attr.is("name.familyName") && family.filter.is_none() && family.sub.is_none());
        let active = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:active").unwrap();
        assert!(active.attr.is("active") && active.attr.schema.unwrap().ends_with("core:2.0:User"));
    }

    #[test]
    fn bad_patch_paths() {
        let cases = [
            ("", "expected an attribute name at 0"),
            (r#"emails[type eq "work"]."#, "expected a sub-attribute name at 23"),
            (r#"emails[type eq "work"]x"#, "unexpected x at 22"),
            (r#"emails[type eq "work""#, "expected ] at 21 to close the [ at 6"),
            ("a.b[x pr]", "a value filter after the sub-attribute a.b at 3"),
            (&"a".repeat(MAX_LEN + 1), "the path is longer than 4096 bytes"),
        ];
        for (path, message) in cases {
            assert_eq!(parse_path(path).unwrap_err().0, message, "{path}");
        }
    }
}
