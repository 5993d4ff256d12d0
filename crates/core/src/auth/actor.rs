//! The caller of a request, resolved once per request from its bearer token.
//! Capabilities are methods on the actor (R1); the service layer combines them
//! with the object it is about to touch (R3).

use entity::enums::OrgRole;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct OrgActor {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    /// Stored admin roles; `USER` is implicit.
    pub roles: Vec<OrgRole>,
}

#[derive(Debug, Clone)]
pub struct PublisherActor {
    pub user_id: Uuid,
    pub publisher_id: Uuid,
}

/// R40: a member of the marketplace's own sales staff. `marketplace_id` is
/// the marketplace tenant the account belongs to.
#[derive(Debug, Clone)]
pub struct OperatorActor {
    pub user_id: Uuid,
    pub marketplace_id: Uuid,
}

/// R39: a user of a partner tenant. In its own tenant (billing profiles,
/// payment methods, invoices) a partner user acts like an org user of that
/// tenant (`tenant`); towards customers it acts only through an approved
/// relationship, and only on what it bought.
#[derive(Debug, Clone)]
pub struct PartnerActor {
    /// The partner's own tenant: its organization row and the user's roles there.
    pub tenant: OrgActor,
}

impl PartnerActor {
    pub fn partner_id(&self) -> Uuid {
        self.tenant.organization_id
    }

    /// R39: the partner's GLOBAL_ADMIN and BILLING_ADMIN request relationships
    /// and buy for customers (with a buy right on the partner's own profile).
    pub fn acts_for_customers(&self) -> bool {
        self.tenant.is_billing_manager()
    }
}

/// R50: a publisher's app calling with a client-credentials token. Not a
/// person and not an [`Actor`]: its token is no user's access token, so the
/// GraphQL endpoint, WebSockets and the PDF route treat it as an invalid
/// token (UNAUTHENTICATED) and it reaches no object through any field. It is
/// accepted only by the publisher API (`/api/v1/…`), whose services take
/// this type and narrow every read to the publisher's own products.
///
/// The portal's delegated token (R50, authorization code) follows the same
/// plan: a principal of its own, accepted only by the portal API, which
/// acts through the admin center's services as the consenting admin (their
/// rights at that moment) narrowed to the publisher's subscriptions and the
/// granted scopes.
#[derive(Debug, Clone)]
pub struct PublisherAppActor {
    pub api_client_id: Uuid,
    pub publisher_id: Uuid,
    pub scopes: super::Scopes,
}

impl PublisherAppActor {
    /// FORBIDDEN unless the token was granted `scope`.
    pub fn require(&self, scope: super::Scope) -> AppResult<()> {
        if self.scopes.contains(scope) { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

/// R53: a publisher's portal calling with a delegated token (authorization
/// code grant). Like [`PublisherAppActor`] it is no [`Actor`] of its own:
/// the portal API resolves it on every request to the consenting admin as
/// they are at that moment (`admin`, their current roles; a deactivated
/// admin or one without a license-assigning role ends the token) and every
/// service call is narrowed to the grant's organization, the publisher's
/// products and the granted scopes.
#[derive(Debug, Clone)]
pub struct PortalActor {
    pub grant_id: Uuid,
    pub api_client_id: Uuid,
    pub publisher_id: Uuid,
    pub organization_id: Uuid,
    pub scopes: super::Scopes,
    /// The consenting admin with their rights now.
    pub admin: Actor,
}

impl PortalActor {
    /// FORBIDDEN unless the consent granted `scope`.
    pub fn require(&self, scope: super::Scope) -> AppResult<()> {
        if self.scopes.contains(scope) { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

#[derive(Debug, Clone)]
pub enum Actor {
    Org(OrgActor),
    Publisher(PublisherActor),
    Operator(OperatorActor),
    Partner(PartnerActor),
}

/// What the request carries: nobody, a token that failed, or an actor.
/// The session of the request's access token (R47), in the request's data
/// next to the [`Caller`]: `signOut` ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentSession(pub Uuid);

#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    /// A token was sent but is expired, forged, or names a deactivated user.
    InvalidToken,
    Authenticated(Actor),
}

impl Caller {
    pub fn actor(&self) -> AppResult<&Actor> {
        match self {
            Caller::Authenticated(actor) => Ok(actor),
            Caller::Anonymous | Caller::InvalidToken => Err(AppError::Unauthenticated),
        }
    }
}

impl Actor {
    pub fn user_id(&self) -> Uuid {
        match self {
            Actor::Org(o) => o.user_id,
            Actor::Publisher(p) => p.user_id,
            Actor::Operator(o) => o.user_id,
            Actor::Partner(p) => p.tenant.user_id,
        }
    }

    /// The org user, or FORBIDDEN for anyone else.
    pub fn org(&self) -> AppResult<&OrgActor> {
        match self {
            Actor::Org(o) => Ok(o),
            Actor::Publisher(_) => Err(AppError::Forbidden),
            Actor::Operator(_) => Err(AppError::Forbidden),
            Actor::Partner(_) => Err(AppError::Forbidden),
        }
    }

    /// The publisher user, or FORBIDDEN for anyone else.
    pub fn publisher(&self) -> AppResult<&PublisherActor> {
        match self {
            Actor::Publisher(p) => Ok(p),
            Actor::Org(_) => Err(AppError::Forbidden),
            Actor::Operator(_) => Err(AppError::Forbidden),
            Actor::Partner(_) => Err(AppError::Forbidden),
        }
    }

    /// R39: the partner user, or FORBIDDEN for anyone else.
    pub fn partner(&self) -> AppResult<&PartnerActor> {
        match self {
            Actor::Partner(p) => Ok(p),
            _ => Err(AppError::Forbidden),
        }
    }

    /// Whose billing the caller manages: an org user in their organization,
    /// a partner user in the partner's own tenant (R39); FORBIDDEN for publishers.
    pub fn billing_org(&self) -> AppResult<&OrgActor> {
        match self {
            Actor::Org(o) => Ok(o),
            Actor::Partner(p) => Ok(&p.tenant),
            Actor::Publisher(_) => Err(AppError::Forbidden),
            Actor::Operator(_) => Err(AppError::Forbidden),
        }
    }

    /// R40: the marketplace operator, or FORBIDDEN for anyone else.
    pub fn operator(&self) -> AppResult<&OperatorActor> {
        match self {
            Actor::Operator(o) => Ok(o),
            Actor::Org(_) | Actor::Publisher(_) | Actor::Partner(_) => Err(AppError::Forbidden),
        }
    }
}

impl OrgActor {
    pub fn has(&self, role: OrgRole) -> bool {
        role == OrgRole::User || self.roles.contains(&role)
    }

    pub fn is_global_admin(&self) -> bool {
        self.has(OrgRole::GlobalAdmin)
    }

    /// R1: global or billing admin — acts as OWNER on every org billing profile,
    /// buys, changes quantities, moves and cancels org subscriptions.
    pub fn is_billing_manager(&self) -> bool {
        self.is_global_admin() || self.has(OrgRole::BillingAdmin)
    }

    /// R1: only the global admin manages org users.
    pub fn can_manage_users(&self) -> bool {
        self.is_global_admin()
    }

    /// R1: any admin role may view org subscriptions.
    pub fn can_view_org_subscriptions(&self) -> bool {
        self.is_billing_manager() || self.has(OrgRole::LicenseAdmin)
    }

    /// R1: global and license admins assign and unassign org licenses.
    pub fn can_assign_org_licenses(&self) -> bool {
        self.is_global_admin() || self.has(OrgRole::LicenseAdmin)
    }

    /// R36: admins of the organization read its audit log.
    pub fn can_read_audit(&self) -> bool {
        self.is_billing_manager() || self.has(OrgRole::LicenseAdmin)
    }

    /// All roles including the implicit USER, for display.
    pub fn all_roles(&self) -> Vec<OrgRole> {
        let mut roles = self.roles.clone();
        roles.push(OrgRole::User);
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[OrgRole]) -> OrgActor {
        OrgActor { user_id: Uuid::nil(), organization_id: Uuid::nil(), roles: roles.to_vec() }
    }

    #[test]
    fn r1_capabilities_by_role() {
        let ga = actor(&[OrgRole::GlobalAdmin]);
        let ba = actor(&[OrgRole::BillingAdmin]);
        let la = actor(&[OrgRole::LicenseAdmin]);
        let user = actor(&[]);
        assert!(ga.can_manage_users() && ga.is_billing_manager() && ga.can_assign_org_licenses());
        assert!(!ba.can_manage_users() && ba.is_billing_manager() && !ba.can_assign_org_licenses());
        assert!(!la.can_manage_users() && !la.is_billing_manager() && la.can_assign_org_licenses());
        assert!(la.can_view_org_subscriptions() && ba.can_view_org_subscriptions());
        assert!(!user.can_view_org_subscriptions() && !user.is_billing_manager() && !user.can_assign_org_licenses());
    }
}
