//! License assignments and their history, the caller's own licenses, the customer agreement, and the payloads of assigning and unassigning.

use crate::graphql::enums::SubscriptionStatus;
use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{license_assignment, subscription};

use crate::graphql::{
    catalog::Product,
    identity::{User, nested_user, nested_users},
    loaders,
    loaders::ProductId,
};
use crate::service::{licenses, purchase};

use super::objects::Subscription;

/// One assignment of a subscription's license, current or past.
pub struct PastAssignment(pub licenses::HistoryEntry);

/// One license assignment, current or ended.
#[Object]
impl PastAssignment {
    /// Stable identifier of the assignment; the `after` of the next page.
    async fn id(&self) -> ID {
        ID(self.0.assignment.id.to_string())
    }
    /// The user who held the license.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.assignment.user_id).await
    }
    /// When the license was given.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assignment.assigned_at
    }
    /// When the license stopped counting; null while it still does.
    async fn released_at(&self) -> Option<DateTime<Utc>> {
        self.0.released_at
    }
}

/// A license held by the caller.
pub struct License(pub license_assignment::Model, pub subscription::Model);

/// A license the caller holds (or held) on a subscription.
#[Object]
impl License {
    /// Stable identifier of the license assignment.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The subscription the license belongs to.
    async fn subscription_id(&self) -> ID {
        ID(self.1.id.to_string())
    }
    /// The licensed product.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(Product))
    }
    /// The status of the subscription behind the license.
    async fn subscription_status(&self) -> SubscriptionStatus {
        self.1.status.into()
    }
    /// When the subscription's current term ends.
    async fn term_end_date(&self) -> NaiveDate {
        self.1.current_term_end
    }
    /// False once unassigned.
    async fn active(&self) -> bool {
        licenses::counts(&self.0, &self.1)
    }
    /// When the license was given.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assigned_at
    }
    /// When it was taken back; null while held.
    async fn unassigned_at(&self) -> Option<DateTime<Utc>> {
        self.0.unassigned_at
    }
    /// Where to set the product up.
    async fn portal_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(|p| p.portal_url))
    }
    /// Where to get help with the product.
    async fn support_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(|p| p.support_url))
    }
}

pub struct CustomerAgreement(pub purchase::Agreement);

/// The customer agreement, once accepted.
#[Object]
impl CustomerAgreement {
    /// When it was accepted.
    async fn accepted_at(&self) -> DateTime<Utc> {
        self.0.accepted.accepted_at
    }
    /// Who accepted it.
    async fn accepted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.accepted.accepted_by).await
    }
    /// True when a user accepted it for their own self-service purchases
    /// only; organization purchases still need an admin's acceptance.
    async fn self_service_only(&self) -> bool {
        self.0.self_service_only
    }
}

/// What `assignLicenses` did. The users are read only when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AssignLicensesPayload {
    /// The subscription after the change, with its new `assigned` count.
    pub subscription: Subscription,
    #[graphql(skip)]
    pub assigned: Vec<uuid::Uuid>,
    #[graphql(skip)]
    pub already_assigned: Vec<uuid::Uuid>,
}

#[ComplexObject]
impl AssignLicensesPayload {
    /// Users who got a license in this call.
    async fn assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.assigned).await
    }
    /// Users who already held one: reported, not counted twice.
    async fn already_assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.already_assigned).await
    }
}

/// What `unassignLicenses` did. The users are read only when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnassignLicensesPayload {
    /// The subscription after the change.
    pub subscription: Subscription,
    #[graphql(skip)]
    pub unassigned: Vec<uuid::Uuid>,
    #[graphql(skip)]
    pub not_assigned: Vec<uuid::Uuid>,
}

#[ComplexObject]
impl UnassignLicensesPayload {
    /// Users who lost their license in this call.
    async fn unassigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.unassigned).await
    }
    /// Listed users who held no license of this subscription.
    async fn not_assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.not_assigned).await
    }
}
