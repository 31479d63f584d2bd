//! What a token may do, and where from: its permissions, which its access tokens carry as the
//! OAuth `scope` (RFC 9068 §2.2.3), and the address ranges it may be refreshed from.
//!
//! A workspace keeps a catalogue of the permissions its APIs understand (`Permission`, in its
//! policy). A token carries some of them, or all of them (`all_permissions`: every permission
//! the catalogue holds when an access token is issued, the catalogue's later ones included).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// The most permissions a catalogue holds (and so a token carries).
pub const MAX_PERMISSIONS: usize = 64;
/// The longest permission name, in bytes (all ASCII).
pub const PERMISSION_MAX_CHARS: usize = 64;
/// The most address ranges a token or a policy lists.
pub const MAX_RANGES: usize = 16;

/// One permission of a workspace's catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// An RFC 6749 scope token, such as `datasets:read`.
    pub name: String,
    /// What it lets a token do, for the people choosing (up to 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Checks a permission name: an RFC 6749 §3.3 scope token (printable ASCII but for space, `"`
/// and `\`), 1 to `PERMISSION_MAX_CHARS` long.
pub fn permission_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(Invalid::Required);
    }
    if name.len() > PERMISSION_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    if !name.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)) {
        return Err(Invalid::NotAPermission);
    }
    Ok(())
}

/// Checks a list of permission names (a request's, a policy's): each well formed, none twice,
/// at most `MAX_PERMISSIONS`. Returns them sorted, as they are stored and carried.
pub fn permission_list(names: &[String]) -> Result<Vec<String>, Invalid> {
    if names.len() > MAX_PERMISSIONS {
        return Err(Invalid::TooMany);
    }
    let mut sorted = names.to_vec();
    for name in &sorted {
        permission_name(name)?;
    }
    sorted.sort();
    sorted.dedup();
    Ok(sorted)
}

/// Checks a catalogue: every name well formed and listed once, every description a short line.
pub fn catalogue(permissions: &[Permission]) -> Result<(), Invalid> {
    let names: Vec<String> = permissions.iter().map(|p| p.name.clone()).collect();
    if permission_list(&names)?.len() != names.len() {
        return Err(Invalid::Duplicate);
    }
    for p in permissions {
        crate::validate::display_name(p.description.as_deref().unwrap_or("-"))?;
    }
    Ok(())
}

/// An OAuth `scope` parameter as names (RFC 6749 §3.3: separated by spaces), each checked.
pub fn parse_scope(scope: &str) -> Result<Vec<String>, Invalid> {
    let names: Vec<String> = scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if names.is_empty() {
        return Err(Invalid::Required);
    }
    permission_list(&names)
}

/// An address range, IPv4 or IPv6, in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare
/// address is a range of one. Its host bits must be zero: `10.1.2.3/8` is refused, since what
/// was meant (`10.0.0.0/8` or `10.1.2.3/32`) cannot be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Cidr, Invalid> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| Invalid::NotARange)?;
        // An IPv4 range written as IPv6 (`::ffff:10.0.0.0/104`) is refused, not matched: clients
        // are seen by their IPv4 address, and a policy's IPv4 bound would not hold it.
        if addr.to_canonical() != addr {
            return Err(Invalid::NotARange);
        }
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            // Digits only: `u8`'s parser takes a leading `+`.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= width).ok_or(Invalid::NotARange)?
            }
            Some(_) => return Err(Invalid::NotARange),
            None => width,
        };
        let cidr = Cidr { addr, prefix };
        if cidr.network() != bits(addr) {
            return Err(Invalid::NotARange);
        }
        Ok(cidr)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An address as 128 bits, IPv4 in the low 32 (and tagged apart from IPv6 by `Cidr::contains`).
fn bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl Cidr {
    fn width(self) -> u8 {
        if self.addr.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn mask(self) -> u128 {
        let host = u32::from(self.width() - self.prefix);
        let all = if self.width() == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        all.checked_shl(host).map_or(0, |m| m & all)
    }

    fn network(self) -> u128 {
        bits(self.addr) & self.mask()
    }

    /// Whether `ip` is in the range. An IPv4 address seen as IPv6 (`::ffff:10.1.2.3`, how a
    /// dual-stack socket reports it) is the IPv4 address.
    pub fn contains(self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && bits(ip) & self.mask() == self.network()
    }

    /// Whether the whole range lies inside `outer`.
    pub fn within(self, outer: Cidr) -> bool {
        self.addr.is_ipv4() == outer.addr.is_ipv4() && self.prefix >= outer.prefix && outer.contains(self.addr)
    }
}

/// Checks a list of ranges (a request's, a policy's): at most `MAX_RANGES`, each a `Cidr`.
/// Returns them written the one way (`10.0.0.0/8`), each once, in the order given.
pub fn range_list(ranges: &[String]) -> Result<Vec<Cidr>, Invalid> {
    if ranges.len() > MAX_RANGES {
        return Err(Invalid::TooMany);
    }
    let mut out: Vec<Cidr> = Vec::with_capacity(ranges.len());
    for r in ranges {
        let cidr: Cidr = r.parse()?;
        if !out.contains(&cidr) {
            out.push(cidr);
        }
    }
    Ok(out)
}

/// Whether `ip` may use a token limited to `ranges` (none: from anywhere). An unknown address
/// may use only a token without ranges.
pub fn allowed_from(ranges: &[Cidr], ip: Option<IpAddr>) -> bool {
    ranges.is_empty() || ip.is_some_and(|ip| ranges.iter().any(|r| r.contains(ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn names_follow_the_scope_token_syntax() {
        for ok in ["datasets:read", "jobs:run", "a", "x.y/z-1_2", &"p".repeat(64)] {
            assert_eq!(permission_name(ok), Ok(()), "{ok}");
        }
        assert_eq!(permission_name(""), Err(Invalid::Required));
        assert_eq!(permission_name(&"p".repeat(65)), Err(Invalid::TooLong));
        for bad in ["two words", "quo\"te", "back\\slash", "données", "tab\t"] {
            assert_eq!(permission_name(bad), Err(Invalid::NotAPermission), "{bad}");
        }
        assert_eq!(
            parse_scope("  b  a b ").unwrap(),
            ["a", "b"],
            "sorted, each once, spaces between ignored"
        );
        assert_eq!(parse_scope(" "), Err(Invalid::Required));
    }

    #[test]
    fn a_catalogue_lists_each_name_once() {
        let p = |n: &str| Permission {
            name: n.into(),
            description: None,
        };
        assert_eq!(catalogue(&[p("a"), p("b")]), Ok(()));
        assert_eq!(catalogue(&[p("a"), p("a")]), Err(Invalid::Duplicate));
        assert_eq!(catalogue(&[p("a b")]), Err(Invalid::NotAPermission));
    }

    #[test]
    fn ranges_are_cidr_with_their_host_bits_zero() {
        assert_eq!(cidr("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(cidr("192.0.2.7").to_string(), "192.0.2.7/32");
        assert_eq!(cidr("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(cidr("::/0").to_string(), "::/0");
        for bad in [
            "10.1.2.3/8",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "example.com",
            "",
            "2001:db8::1/32",
            "::ffff:0.0.0.0/97",
            "::ffff:10.0.0.0/104",
        ] {
            assert_eq!(bad.parse::<Cidr>(), Err(Invalid::NotARange), "{bad}");
        }
    }

    #[test]
    fn an_address_is_inside_or_outside() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let ten = cidr("10.0.0.0/8");
        assert!(ten.contains(ip("10.200.3.4")));
        assert!(
            ten.contains(ip("::ffff:10.200.3.4")),
            "IPv4 seen through a dual-stack socket"
        );
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(
            !ten.contains(ip("::a00:1")),
            "an IPv6 address whose low bits look like 10/8"
        );
        assert!(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(cidr("2001:db8::/32").contains(ip("2001:db8:1::5")));
        assert!(!cidr("2001:db8::/32").contains(ip("2001:db9::5")));
        assert!(cidr("10.1.0.0/16").within(ten));
        assert!(!ten.within(cidr("10.1.0.0/16")));
        assert!(allowed_from(&[], None));
        assert!(!allowed_from(&[ten], None));
        assert!(allowed_from(&[cidr("192.0.2.0/24"), ten], Some(ip("10.0.0.1"))));
    }

    #[test]
    fn a_list_of_ranges_is_bounded_and_each_once() {
        let list = |v: &[&str]| range_list(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(list(&["10.0.0.0/8", "10.0.0.0/8"]).unwrap().len(), 1);
        assert_eq!(list(&["10.0.0.0/8"; 17]).unwrap_err(), Invalid::TooMany);
        assert_eq!(list(&["nope"]).unwrap_err(), Invalid::NotARange);
    }
}
