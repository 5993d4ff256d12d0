//! User management (R43): deactivate, reactivate, delete, set roles.

use super::enums::MapInto;
use super::enums::OrgRole;
use crate::error::EntityKind;
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{actor, identity::User, parse_id, state};
use crate::service::people as svc;

/// What `deleteUser` did.
#[derive(SimpleObject)]
pub struct DeleteUserPayload {
    /// The deleted user as history shows them (`deletedAt` set, no roles).
    pub user: User,
    /// Subscriptions on which the user's license was released.
    pub released_license_subscription_ids: Vec<ID>,
    /// The user's self-service subscriptions: auto-renew turned off, and the
    /// organization's billing managers may now cancel them.
    pub handed_over_subscription_ids: Vec<ID>,
}

fn ids(list: Vec<uuid::Uuid>) -> Vec<ID> {
    list.into_iter().map(|id| ID(id.to_string())).collect()
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Global admins only: the user can no longer sign in and their tokens stop at once; licenses stay.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user who can no longer sign in.")] user_id: ID,
    ) -> Result<User> {
        let id = parse_id(&user_id, EntityKind::User)?;
        Ok(User(svc::deactivate(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// Global admins only: a deactivated user may sign in again.
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The deactivated user who may sign in again.")] user_id: ID,
    ) -> Result<User> {
        let id = parse_id(&user_id, EntityKind::User)?;
        Ok(User(svc::reactivate(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// Global admins only: deletes the user, releasing their licenses.
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to delete.")] user_id: ID,
    ) -> Result<DeleteUserPayload> {
        let id = parse_id(&user_id, EntityKind::User)?;
        let deletion = svc::delete(state(ctx)?, actor(ctx)?, id).await?;
        Ok(DeleteUserPayload {
            user: User(deletion.user),
            released_license_subscription_ids: ids(deletion.released_from),
            handed_over_subscription_ids: ids(deletion.handed_over),
        })
    }

    /// Global admins only: replaces the user's admin roles; USER is implicit.
    async fn set_user_roles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user whose roles are set.")] user_id: ID,
        #[graphql(desc = "The administrator roles the user has from now on.")] roles: Vec<OrgRole>,
    ) -> Result<User> {
        let id = parse_id(&user_id, EntityKind::User)?;
        Ok(User(svc::set_roles(state(ctx)?, actor(ctx)?, id, roles.map_into()).await?))
    }
}
