//! Sign-up, sign-in, the caller, and org users.

use super::enums::MapInto;
use super::enums::{Market, OrgRole, OrganizationKind};
use crate::error::EntityKind;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{organization, publisher, user};

use super::{
    actor, loaders,
    loaders::{OrganizationId, PublisherId, RolesOfUser, UserId},
    pagination::{self, Page, SortDirection},
    state,
};
use crate::{
    access::{self, Visible},
    domain::markets,
    service::identity::{self as svc, NewOrganization, NewPublisher, NewUser},
};

/// A person: an org user or a publisher user. Never exposes the password hash.
/// Only people of the caller's organization (or publisher) are ever shown.
pub struct User(pub Visible<user::Model>);

/// A nested user field: the user when the caller may see them, else null.
pub(crate) async fn nested_user(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<User>> {
    let actor = actor(ctx)?;
    Ok(loaders(ctx)?.load_one(UserId(id)).await?.and_then(|u| access::user::check(actor, u)).map(User))
}

/// Nested users in the order of `ids`, leaving out those the caller may not see.
pub(crate) async fn nested_users(ctx: &Context<'_>, ids: &[uuid::Uuid]) -> Result<Vec<User>> {
    let actor = actor(ctx)?;
    let map = loaders(ctx)?.load_many(ids.iter().copied().map(UserId)).await?;
    Ok(ids
        .iter()
        .filter_map(|id| map.get(&UserId(*id)).cloned())
        .filter_map(|u| access::user::check(actor, u))
        .map(User)
        .collect())
}

/// Users already loaded (e.g. a subscription's holders), checked one by one.
pub(crate) fn visible_users(ctx: &Context<'_>, users: Vec<user::Model>) -> Result<Vec<User>> {
    let actor = actor(ctx)?;
    Ok(users.into_iter().filter_map(|u| access::user::check(actor, u)).map(User).collect())
}

/// A person who signs in: a member of an organization or of a publisher.
#[Object]
impl User {
    /// Stable identifier of the user.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Sign-in e-mail.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// When the user was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The organization of an org user.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = self.0.organization_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.load_one(OrganizationId(id)).await?.map(Organization))
    }
    /// The publisher of a publisher user.
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        let Some(id) = self.0.publisher_id.filter(|_| !self.0.is_operator) else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.load_one(PublisherId(id)).await?.map(Publisher))
    }
    /// Org roles; every org user has USER. Empty for publisher users.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<OrgRole>> {
        if self.0.organization_id.is_none() {
            return Ok(Vec::new());
        }
        let mut roles = loaders(ctx)?.load_one(RolesOfUser(self.0.id)).await?.unwrap_or_default();
        roles.push(OrgRole::User.into());
        Ok(roles.map_into())
    }
    /// True for publisher users (role PUBLISHER).
    async fn is_publisher(&self) -> bool {
        self.0.publisher_id.is_some() && !self.0.is_operator
    }
    /// True for the marketplace's own sales staff, who send proposals.
    async fn is_operator(&self) -> bool {
        self.0.is_operator
    }
    /// True for users of a partner; their `organization` is the partner's own tenant.
    async fn is_partner(&self) -> bool {
        self.0.is_partner
    }
    /// False once deactivated or deleted.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When an admin deleted the user; the user stays in history.
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
}

pub struct Organization(pub organization::Model);

/// A customer organization: its users buy and use subscriptions.
#[Object]
impl Organization {
    /// Stable identifier of the organization.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The organization's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// ISO 3166-1 alpha-2.
    async fn country(&self) -> &str {
        &self.0.country
    }
    /// The market the country belongs to, if any.
    async fn market(&self) -> Option<Market> {
        (markets::market_for_country(&self.0.country)).map_into()
    }
    /// When the organization registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// CUSTOMER, or PARTNER for a partner's own tenant.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind.into()
    }
    /// The organization's single sign-on provider: shown to its global admins
    /// only; null for everyone else and when none is configured.
    async fn single_sign_on(&self, ctx: &Context<'_>) -> Result<Option<super::single_sign_on::SingleSignOnProvider>> {
        super::single_sign_on::of_organization(ctx, self.0.id).await
    }
    /// The consents the organization's admins gave publishers' portals,
    /// newest first (withdrawn ones included). The organization's admins see
    /// all; other users those they gave; anyone else is FORBIDDEN.
    async fn portal_consents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<super::pagination::Page<super::portal_consents::PortalConsent>> {
        super::portal_consents::of_organization(ctx, self.0.id, first, after).await
    }
}

pub struct Publisher(pub publisher::Model);

/// A company that sells products through LicenseDesk.
#[Object]
impl Publisher {
    /// Stable identifier of the publisher.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The publisher's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// The result of signing in, registering or refreshing: a short-lived
/// bearer token, the refresh token that renews it, and who it belongs to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the `Authorization` header.
    token: String,
    /// When the token stops working; renew it with `refreshSession` before that.
    expires_at: DateTime<Utc>,
    /// Works once, with `refreshSession`, for new tokens; keep it secret. A
    /// refresh token used a second time ends the session.
    refresh_token: String,
    /// When the refresh token stops working unless it is used before (then sign in again).
    refresh_token_expires_at: DateTime<Utc>,
    /// The session these tokens belong to.
    session_id: ID,
    /// The signed-in user.
    user: User,
}

impl From<svc::Session> for AuthPayload {
    fn from(s: svc::Session) -> Self {
        AuthPayload {
            token: s.access_token,
            expires_at: DateTime::from_timestamp(s.access_expires_at, 0).unwrap_or_default(),
            refresh_token: s.refresh_token,
            refresh_token_expires_at: s.session.expires_at,
            session_id: ID(s.session.id.to_string()),
            user: User(access::user::signed_in(s.user)),
        }
    }
}

/// A new customer organization and its first administrator.
#[derive(InputObject)]
pub struct RegisterOrganizationInput {
    /// The organization's name.
    pub organization_name: String,
    /// ISO 3166-1 alpha-2, e.g. "SE".
    pub country: String,
    /// The first global admin.
    pub name: String,
    /// The administrator's sign-in e-mail.
    pub email: String,
    /// The administrator's password.
    pub password: String,
}

/// A new publisher and its first user.
#[derive(InputObject)]
pub struct RegisterPublisherInput {
    /// The publisher's name.
    pub publisher_name: String,
    /// The first user's full name.
    pub name: String,
    /// The first user's sign-in e-mail.
    pub email: String,
    /// The first user's password.
    pub password: String,
}

/// A new partner and its first user (the partner's global admin).
#[derive(InputObject)]
pub struct RegisterPartnerInput {
    /// The partner's company name.
    pub partner_name: String,
    /// ISO 3166-1 alpha-2, e.g. "SE" (the partner's own country).
    pub country: String,
    /// The first user's name.
    pub name: String,
    /// The first user's e-mail address; they sign in with it.
    pub email: String,
    /// The first user's password, at least 12 characters.
    pub password: String,
}

/// A new user of the caller's organization.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Full name.
    pub name: String,
    /// Sign-in e-mail; unique across the service.
    pub email: String,
    /// Initial password.
    pub password: String,
    /// Administrator roles to grant; every user is a USER anyway.
    #[graphql(default)]
    pub roles: Vec<OrgRole>,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The caller, with organization or publisher and roles.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let actor = actor(ctx)?;
        // The caller's row is in the request's cache since the token was resolved.
        let me =
            loaders(ctx)?.load_one(UserId(actor.user_id())).await?.ok_or(crate::error::AppError::Unauthenticated)?;
        Ok(User(access::user::check(actor, me).ok_or(crate::error::AppError::Unauthenticated)?))
    }

    /// The caller's organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let org = actor(ctx)?.billing_org()?;
        let model = loaders(ctx)?.load_one(OrganizationId(org.organization_id)).await?;
        Ok(Organization(model.ok_or(crate::error::AppError::NotFound { entity: EntityKind::Organization })?))
    }

    /// Users of the caller's organization whose name or e-mail starts with `search`.
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Text to look for: the start of any word of the name, or of the e-mail.")] search: Option<
            String,
        >,
        #[graphql(
            default,
            desc = "Also list deactivated users (GLOBAL_ADMIN only; ignored for others). Deleted users are never listed."
        )]
        include_deactivated: bool,
        #[graphql(
            desc = "How to sort; by default by name, A to Z (then by id, so people with the same name keep one order)."
        )]
        order_by: Option<UserOrder>,
        #[graphql(desc = "How many users to return: 1 to 100, 20 if not given.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor` or `pageInfo.endCursor` of the previous page, \
                          made with the same `orderBy`).")]
        after: Option<String>,
    ) -> Result<Page<User>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let direction = order_by.unwrap_or_default().direction.into();
        let mut users =
            svc::search_users(state(ctx)?, actor(ctx)?, search.as_deref(), include_deactivated, direction, &window)
                .await?;
        let rows = std::mem::take(&mut users.items);
        Ok(pagination::page(users.with_items(visible_users(ctx, rows)?), |u| u.0.id))
    }
}

/// What a list of people can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum UserOrderField {
    /// The person's name as written (then their id).
    #[default]
    Name,
}

/// The order of `users`: a field and a direction.
#[derive(InputObject, Default)]
pub struct UserOrder {
    /// What to sort by.
    #[graphql(default)]
    pub field: UserOrderField,
    /// Which way; ASC (A to Z) if not given.
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates an organization and its first GLOBAL_ADMIN; returns a token.
    async fn register_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organization and its first administrator.")] input: RegisterOrganizationInput,
    ) -> Result<AuthPayload> {
        let input = NewOrganization {
            organization_name: input.organization_name,
            country: input.country,
            admin_name: input.name,
            email: input.email,
            password: input.password,
        };
        Ok(svc::register_organization(state(ctx)?, input, &super::sessions::device(ctx)).await?.into())
    }

    /// Creates a publisher and its first user; returns a token.
    async fn register_publisher(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new publisher and its first user.")] input: RegisterPublisherInput,
    ) -> Result<AuthPayload> {
        let input = NewPublisher {
            publisher_name: input.publisher_name,
            name: input.name,
            email: input.email,
            password: input.password,
        };
        Ok(svc::register_publisher(state(ctx)?, input, &super::sessions::device(ctx)).await?.into())
    }

    /// Signs in with e-mail and password; returns a bearer token for the Authorization header.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The e-mail the user signs in with.")] email: String,
        #[graphql(desc = "The user's password.")] password: String,
    ) -> Result<AuthPayload> {
        Ok(svc::login(state(ctx)?, &email, &password, &super::sessions::device(ctx)).await?.into())
    }

    /// Adds a user to the caller's organization (GLOBAL_ADMIN).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new user's name, e-mail, password and roles.")] input: CreateUserInput,
    ) -> Result<User> {
        let input =
            NewUser { name: input.name, email: input.email, password: input.password, roles: input.roles.map_into() };
        let actor = actor(ctx)?;
        let user = svc::create_user(state(ctx)?, actor, input).await?;
        Ok(User(access::user::check(actor, user).ok_or(crate::error::AppError::NotFound { entity: EntityKind::User })?))
    }
}
