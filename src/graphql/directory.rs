//! Directory sync and groups (R49): an organization's SCIM tokens, its
//! groups and group-based licensing.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{scim_token, user_group};

use super::{
    actor,
    identity::{User, nested_user, nested_users},
    pagination::{self, Page},
    parse_id, state,
    subscriptions::objects::{Subscription, nested_subscription},
};
use crate::{
    access::Visible,
    error::EntityKind,
    service::{
        directory::tokens,
        groups::{self as svc, licensing},
    },
};

pub struct ScimToken(scim_token::Model);

/// An organization's SCIM token: its identity provider uses it to sync people and groups.
#[Object]
impl ScimToken {
    /// Stable identifier of the token.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What the admin called it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Who created it, when the caller may see them.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.created_by).await
    }
    /// When the identity provider last used it (to the minute); null if never.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new SCIM token. The secret is shown here once and never again.
#[derive(SimpleObject)]
pub struct CreateScimTokenPayload {
    /// The bearer token to give the identity provider. Only its hash is kept.
    pub token: String,
    /// The token's record.
    pub scim_token: ScimToken,
}

pub struct Group(pub Visible<user_group::Model>);

/// How one member stands with one subscription assigned to the group.
#[derive(SimpleObject)]
pub struct GroupMemberLicense {
    /// The member.
    pub user: Option<User>,
    /// The subscription assigned to the group.
    pub subscription: Option<Subscription>,
    /// Whether the member's license came from this group (false when they hold one assigned directly, or none).
    pub from_group: bool,
    /// Why the member holds no license: NO_SEAT (every seat is taken; they get one when a seat frees up) or
    /// SUBSCRIPTION_NOT_ACTIVE. Null when they hold one.
    pub error: Option<String>,
}

/// A group of people of the organization, from its directory or made here.
#[Object]
impl Group {
    /// Stable identifier of the group.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The group's name, unique in the organization.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The directory's identifier for the group, if it came from one.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The members, earliest first.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids: Vec<uuid::Uuid> =
            svc::members(&state(ctx)?.db, self.0.id).await?.into_iter().map(|m| m.user_id).collect();
        nested_users(ctx, &ids).await
    }
    /// The subscriptions assigned to the group (those the caller may view).
    async fn subscriptions(&self, ctx: &Context<'_>) -> Result<Vec<Subscription>> {
        let mut out = Vec::new();
        for link in licensing::subscriptions_of(&state(ctx)?.db, self.0.id).await? {
            if let Some(sub) = nested_subscription(ctx, link.subscription_id).await? {
                out.push(sub);
            }
        }
        Ok(out)
    }
    /// Each member's license for each of the group's subscriptions, with the
    /// license error of those left without a seat.
    async fn member_licenses(&self, ctx: &Context<'_>) -> Result<Vec<GroupMemberLicense>> {
        let mut out = Vec::new();
        for row in licensing::member_licenses(&state(ctx)?.db, self.0.id).await? {
            let Some(subscription) = nested_subscription(ctx, row.subscription_id).await? else { continue };
            out.push(GroupMemberLicense {
                user: nested_user(ctx, row.user_id).await?,
                subscription: Some(subscription),
                from_group: row.from_group,
                error: row.error,
            });
        }
        Ok(out)
    }
}

/// What assigning or unassigning a group's subscription did.
#[derive(SimpleObject)]
pub struct GroupSubscriptionPayload {
    /// The group.
    pub group: Group,
    /// The subscription, with its assigned count after the change.
    pub subscription: Subscription,
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Global admins only: the organization's SCIM tokens, newest first, revoked ones included.
    async fn scim_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<ScimToken>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = tokens::list(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(rows.map(ScimToken), |t| t.0.id))
    }
    /// Admins: the organization's groups, oldest first.
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<Group>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::list(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(rows.map(Group), |g| g.0.id))
    }
    /// Admins: one group of the organization.
    async fn group(&self, ctx: &Context<'_>, #[graphql(desc = "The group.")] id: ID) -> Result<Group> {
        let id = parse_id(&id, EntityKind::Group)?;
        Ok(Group(svc::get(state(ctx)?, actor(ctx)?, id).await?))
    }
}

fn ids(list: &[ID], entity: EntityKind) -> Result<Vec<uuid::Uuid>> {
    Ok(list.iter().map(|id| parse_id(id, entity)).collect::<Result<Vec<_>, _>>()?)
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Global admins only: a new SCIM token for the organization's identity provider, shown once.
    async fn create_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A name to recognise it by, e.g. the identity provider's.")] name: String,
    ) -> Result<CreateScimTokenPayload> {
        let created = tokens::create(state(ctx)?, actor(ctx)?, &name).await?;
        Ok(CreateScimTokenPayload { token: created.token, scim_token: ScimToken(created.model) })
    }
    /// Global admins only: the token stops working at once.
    async fn revoke_scim_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] id: ID,
    ) -> Result<ScimToken> {
        let id = parse_id(&id, EntityKind::ScimToken)?;
        Ok(ScimToken(tokens::revoke(state(ctx)?, actor(ctx)?, id).await?))
    }
    /// Global admins only: a new group of people of the organization.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's name, unique in the organization.")] display_name: String,
        #[graphql(desc = "Its first members.", default)] member_ids: Vec<ID>,
    ) -> Result<Group> {
        let members = ids(&member_ids, EntityKind::User)?;
        Ok(Group(svc::create(state(ctx)?, actor(ctx)?, &display_name, members).await?))
    }
    /// Global admins only: adds and removes members; their group licenses follow.
    async fn change_group_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] group_id: ID,
        #[graphql(desc = "People to add.", default)] add: Vec<ID>,
        #[graphql(desc = "People to remove.", default)] remove: Vec<ID>,
    ) -> Result<Group> {
        let id = parse_id(&group_id, EntityKind::Group)?;
        let (add, remove) = (ids(&add, EntityKind::User)?, ids(&remove, EntityKind::User)?);
        Ok(Group(svc::change_members(state(ctx)?, actor(ctx)?, id, add, remove).await?))
    }
    /// Global admins only: deletes the group; licenses that came only from it are released. Returns true.
    async fn delete_group(&self, ctx: &Context<'_>, #[graphql(desc = "The group.")] group_id: ID) -> Result<bool> {
        let id = parse_id(&group_id, EntityKind::Group)?;
        svc::delete(state(ctx)?, actor(ctx)?, id).await?;
        Ok(true)
    }
    /// Those who assign the subscription's licenses: its licenses go to the
    /// group's active members while seats last; members left without a seat
    /// show a license error and get a seat when one frees up.
    async fn assign_subscription_to_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] group_id: ID,
        #[graphql(desc = "The subscription.")] subscription_id: ID,
    ) -> Result<GroupSubscriptionPayload> {
        let group = parse_id(&group_id, EntityKind::Group)?;
        let sub = parse_id(&subscription_id, EntityKind::Subscription)?;
        let (group, sub) = licensing::assign_subscription(state(ctx)?, actor(ctx)?, group, sub).await?;
        Ok(GroupSubscriptionPayload { group: Group(group), subscription: Subscription(sub) })
    }
    /// Those who assign the subscription's licenses: licenses that came only from this group are released.
    async fn unassign_subscription_from_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] group_id: ID,
        #[graphql(desc = "The subscription.")] subscription_id: ID,
    ) -> Result<GroupSubscriptionPayload> {
        let group = parse_id(&group_id, EntityKind::Group)?;
        let sub = parse_id(&subscription_id, EntityKind::Subscription)?;
        let (group, sub) = licensing::unassign_subscription(state(ctx)?, actor(ctx)?, group, sub).await?;
        Ok(GroupSubscriptionPayload { group: Group(group), subscription: Subscription(sub) })
    }
}
