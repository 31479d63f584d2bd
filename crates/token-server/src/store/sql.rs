//! SQL text with numbered parameters, built together with their values so the two never drift.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// A value to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Int(i64),
    Text(String),
    /// Text or SQL NULL.
    MaybeText(Option<String>),
    /// An integer or SQL NULL.
    MaybeInt(Option<i64>),
}

/// A statement under construction.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    args: Vec<Arg>,
}

impl Sql {
    /// Adds a value and returns its placeholder (`$1`, `$2`, ...).
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// Binds the values, in order, to `text`.
    pub fn query<'q>(&'q self, text: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        self.args.iter().fold(sqlx::query(text), |q, a| match a {
            Arg::Int(i) => q.bind(*i),
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::MaybeText(s) => q.bind(s.as_deref()),
            Arg::MaybeInt(i) => q.bind(*i),
        })
    }
}

/// `LIKE` pattern for "contains", with the wildcards of the input escaped (`ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = token_api::search::fold(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_count_up_with_their_values() {
        let mut sql = Sql::default();
        assert_eq!(sql.arg(Arg::Text("a".into())), "$1");
        assert_eq!(sql.arg(Arg::Int(2)), "$2");
        assert_eq!(sql.args, [Arg::Text("a".into()), Arg::Int(2)]);
    }

    #[test]
    fn wildcards_in_a_search_are_literal() {
        assert_eq!(contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
