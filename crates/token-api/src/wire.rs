//! Enums whose values travel as words (in JSON, in query strings, in the database): each
//! declared once with `wire_enum!`, which gives it its wire names for serde, `as_str`,
//! `FromStr` and `ALL`, so no side parses a value by hand.

/// A word that is none of an enum's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown value `{}`", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// `wire_enum! { #[doc] pub enum Name { Variant = "wire", ... } }`: the enum with serde under
/// those names, and `ALL`, `as_str` and `FromStr` over the same table.
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        // serde reads and writes the wire word through `as_str` and `FromStr`, the one table:
        // serde's derive gave every enum a visitor of its own (about 1 KB of wasm each).
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                word.parse().map_err(<D::Error as serde::de::Error>::custom)
            }
        }

        // The document's schema from the same table as serde's names: utoipa's derive does not
        // read a `rename` that arrives through a macro, and described `Role` as "Member" |
        // "Admin" while the wire says "member" | "admin".
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::wire::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::wire::UnknownValue(s.to_owned())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::audit::AuditAction;
    use crate::auth::Role;
    use crate::query::{SortDir, SortField};
    use crate::tokens::{BatchAction, BatchOutcome, TokenStatus};

    /// Each value's word is what serde writes, and reads back as the value.
    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr + serde::Serialize,
        T::Err: std::fmt::Debug,
    {
        for value in all {
            let word = value.to_string();
            assert_eq!(serde_json::to_string(value).unwrap(), format!("\"{word}\""));
            assert_eq!(word.parse::<T>().unwrap(), *value);
        }
        assert!("Nope".parse::<T>().is_err());
    }

    #[test]
    fn every_wire_enum_reads_back_what_it_writes() {
        round_trips(TokenStatus::ALL);
        round_trips(BatchAction::ALL);
        round_trips(BatchOutcome::ALL);
        round_trips(SortField::ALL);
        round_trips(SortDir::ALL);
        round_trips(AuditAction::ALL);
        round_trips(Role::ALL);
        assert_eq!(SortField::LastUsed.as_str(), "last_used");
        assert_eq!(AuditAction::ReuseDetected.as_str(), "reuse_detected");
    }
}

/// Times on the wire: RFC 3339, written by chrono as serde does by default, and read with
/// chrono's strict RFC 3339 parser. Serde's default reading takes chrono's relaxed parser, which
/// links chrono's general format parser into the app (3 KiB brotli) for input every side writes
/// as RFC 3339 anyway.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        at.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        parse(&String::deserialize(d)?).map_err(D::Error::custom)
    }

    /// One time, as the wire spells it.
    pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text).map(|at| at.to_utc())
    }

    /// The same for an optional time (`null` or absent: `None`).
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            at.serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| parse(&text).map_err(D::Error::custom))
                .transpose()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::parse;

        #[test]
        fn reads_what_chrono_writes_and_nothing_looser() {
            let at = parse("2026-12-07T16:35:25.123Z").unwrap();
            assert_eq!(parse(&at.to_rfc3339()).unwrap(), at);
            assert_eq!(serde_json::to_string(&at).unwrap(), "\"2026-12-07T16:35:25.123Z\"");
            assert_eq!(parse("2026-12-08T00:35:25.123+08:00").unwrap(), at);
            assert!(parse("2026-12-07 16:35:25Z").is_ok(), "RFC 3339 allows a space");
            assert!(parse("2026-12-07").is_err());
            assert!(parse("7 Dec 2026").is_err());
        }
    }
}
