//! Who may see and do what, per object (R1–R3, R25–R27, R36–R38).
//!
//! Each object has ONE rule, used by `get`, `list` and every nested field that
//! returns it: a SQL condition (`visible`) for lists and a row check that
//! agrees with it for single objects and nested fields. Both hand out
//! [`Visible<T>`], a proof that only this module can construct, so a resolver
//! cannot return an object nobody checked.
//!
//! Visible by construction (issue 19): a proof comes only from a function
//! that applied the rule itself —
//! - a row check (`check`, `decide`, `of_profile`…) that decides on the row;
//! - a loader (`load`, `load_for_change`, `load_member`) that fetches one ID
//!   under the rule, used by gets AND by every mutation that takes that ID,
//!   so a mutation never reaches what the read would not show;
//! - a restricted finder (`page`, `all`) that takes the service's query
//!   (its filters, joins, order, limit), adds the SQL condition itself and
//!   row-checks what comes back. No function vouches for rows it did not
//!   filter.
//!
//! Each rule's decision table is unit-tested in its module; the row-vs-SQL
//! agreement is tested over a real database for every object
//! (`tests/api/access.rs`, `tests/api/visibility_seams.rs` for partner
//! relationships).
//!
//! | object           | rule (R-numbers)                                                        |
//! |------------------|-------------------------------------------------------------------------|
//! | billing profile  | `billing_profile` (R1, R2, R3, R25, R28, R38)                           |
//! | payment method   | `payment_method`: visible with its profile (R2, R29, R38)               |
//! | invoice          | `invoice`: visible with its profile (R2, R32, R38)                      |
//! | subscription     | `subscription` (R1, R2, R3, R14, R26, R27)                              |
//! | audit event      | `audit_event`: visible with its object; snapshots redacted (R36, R37)  |
//! | user             | `user`: people of the caller's organization or publisher (R3)           |
//! | proposal         | `proposal`: the buying admins and the sending publisher (R9, R40)       |
//! | partner relation | `partner`: the customer's GLOBAL_ADMIN and the partner's users (R39)    |
//! | SSO provider     | `single_sign_on`: the organization's GLOBAL_ADMINs alone (R48)          |
//! | API client       | `api_client`: the users of its publisher (R50)                          |
//! | directory (SCIM) | `directory`: a SCIM token's own organization's people and groups (R49) |
//! | group            | `group`: the organization's admins (R1, R49)                            |
//! | portal consent   | `portal_consent`: the organization's admins and the granter (R53)      |

pub mod api_client;
pub mod audit_event;
pub mod billing_profile;
pub mod directory;
pub mod event;
pub mod group;
pub mod invoice;
pub mod notice;
pub mod partner;
pub mod payment_method;
pub mod portal_consent;
pub mod proposal;
pub mod single_sign_on;
pub mod subscription;
pub mod user;

#[cfg(test)]
mod fixtures;

use std::ops::Deref;

use uuid::Uuid;

/// Proof that the caller of the current request may see the wrapped object.
/// Only `crate::access` constructs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible<T>(T);

impl<T> Visible<T> {
    /// Only the rules of this module vouch for an object.
    fn vouch(value: T) -> Self {
        Visible(value)
    }

    pub fn get(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Keyed> Visible<T> {
    /// The same object after the caller's own change of fields that no rule
    /// reads (status, quantity, auto-renew, names…). A change that a rule
    /// reads (organization, channel, purchaser, billing profile) must go
    /// through the rule again instead. `None` when `newer` is another object.
    pub fn updated(self, newer: T) -> Option<Visible<T>> {
        (self.0.key() == newer.key()).then_some(Visible(newer))
    }
}

impl<T> Deref for Visible<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An object with an identity, so an updated copy can keep its proof.
pub trait Keyed {
    fn key(&self) -> Uuid;
}

macro_rules! keyed {
    ($($entity:ident),*) => {
        $(impl Keyed for entity::$entity::Model {
            fn key(&self) -> Uuid {
                self.id
            }
        })*
    };
}

keyed!(
    portal_grant,
    api_client,
    billing_profile,
    payment_method,
    invoice,
    subscription,
    audit_event,
    user,
    proposal,
    partner_relationship,
    user_group
);
