//! R50: what a publisher-side token may do. An API client (the publisher's
//! app, client credentials) holds app scopes; a portal grant (delegated by a
//! customer admin) holds portal scopes. A token carries the scopes it was
//! granted and every publisher-side entry point names the one it needs.

use std::collections::BTreeSet;

use crate::error::{AppError, AppResult, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The publisher's app asks whether a person holds a license (client credentials).
    LicensesCheck,
    /// The publisher's app reports when people used their licenses (client credentials).
    UsageWrite,
    /// The portal reads seat counts, assignments and the organization's people (delegated).
    LicensesRead,
    /// The portal assigns and unassigns licenses (delegated).
    LicensesAssign,
}

impl Scope {
    /// Scopes an API client may hold (client credentials).
    pub const APP: [Scope; 2] = [Scope::LicensesCheck, Scope::UsageWrite];
    /// Scopes a customer admin may grant a publisher's portal.
    pub const PORTAL: [Scope; 2] = [Scope::LicensesRead, Scope::LicensesAssign];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::LicensesCheck => "licenses.check",
            Scope::UsageWrite => "usage.write",
            Scope::LicensesRead => "licenses.read",
            Scope::LicensesAssign => "licenses.assign",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        [Scope::LicensesCheck, Scope::UsageWrite, Scope::LicensesRead, Scope::LicensesAssign]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A non-empty set of scopes, all from one family (app or portal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses a space-separated list (RFC 6749 §3.3) of scopes from `allowed`;
    /// None when it is empty or names anything else.
    pub fn parse_from(text: &str, allowed: &[Scope]) -> Option<Scopes> {
        let mut set = BTreeSet::new();
        for word in text.split_ascii_whitespace() {
            let scope = Scope::parse(word).filter(|s| allowed.contains(s))?;
            set.insert(scope);
        }
        (!set.is_empty()).then_some(Scopes(set))
    }

    /// Scopes named by an input list; VALIDATION_FAILED on `field` otherwise.
    pub fn from_input(items: &[String], allowed: &[Scope], field: &str) -> AppResult<Scopes> {
        Scopes::parse_from(&items.join(" "), allowed).ok_or_else(|| AppError::validation(field, Invalid::NotAllowed))
    }

    pub fn all(allowed: &[Scope]) -> Scopes {
        Scopes(allowed.iter().copied().collect())
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether every scope of `other` is one of these.
    pub fn covers(&self, other: &Scopes) -> bool {
        other.0.is_subset(&self.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The space-separated form stored and sent in OAuth responses.
    pub fn to_text(&self) -> String {
        self.0.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r50_scopes_parse_only_from_their_family() {
        let app = Scopes::parse_from("usage.write  licenses.check", &Scope::APP).expect("app scopes");
        assert_eq!(app.to_text(), "licenses.check usage.write");
        assert!(Scopes::parse_from("licenses.assign", &Scope::APP).is_none(), "a portal scope on an app client");
        assert!(Scopes::parse_from("licenses.check", &Scope::PORTAL).is_none(), "an app scope in a portal grant");
        assert!(Scopes::parse_from("", &Scope::APP).is_none());
        assert!(Scopes::parse_from("admin", &Scope::APP).is_none());
        let one = Scopes::parse_from("licenses.check", &Scope::APP).expect("one");
        assert!(app.covers(&one) && !one.covers(&app));
    }
}
