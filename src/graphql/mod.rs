//! The GraphQL surface (SPEC §10). Resolvers are thin: they parse arguments,
//! call one service function with the caller, and wrap the result.

pub mod api_clients;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod cost;
pub mod credit;
pub mod directory;
pub mod docs;
pub mod enums;
pub mod errors;
pub mod executor;
pub mod identity;
pub mod introspection;
pub mod invoices;
pub mod live;
pub mod loaders;
pub mod notices;
pub mod pagination;
pub mod partners;
pub mod people;
pub mod portal_consents;
pub mod reclaim;
pub mod response_order;
pub mod schema;
pub mod sessions;
pub mod single_sign_on;
pub mod subscriptions;
pub mod types;
pub mod utilization;
pub mod webhooks;

use async_graphql::{Context, MergedObject};

pub use live::SubscriptionRoot;

use crate::{
    auth::{Actor, Caller},
    error::{AppError, AppResult},
    state::AppState,
};

/// Everything a client can read. Lists are paged connections: pass `first` and the previous page's `endCursor` as `after`.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    identity::IdentityQuery,
    catalog::CatalogQuery,
    subscriptions::SubscriptionQuery,
    billing::BillingQuery,
    invoices::InvoiceQuery,
    audit::AuditQuery,
    webhooks::WebhookQuery,
    partners::PartnerQuery,
    sessions::SessionQuery,
    notices::NoticeQuery,
    utilization::UtilizationQuery,
    reclaim::ReclaimQuery,
    api_clients::ApiClientQuery,
    directory::DirectoryQuery,
);

/// Everything that changes data. Each mutation is one transaction: it succeeds whole or changes nothing.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    identity::IdentityMutation,
    catalog::CatalogMutation,
    subscriptions::SubscriptionMutation,
    billing::BillingMutation,
    invoices::InvoiceMutation,
    webhooks::WebhookMutation,
    credit::CreditMutation,
    people::PeopleMutation,
    partners::PartnerMutation,
    sessions::SessionMutation,
    single_sign_on::SingleSignOnMutation,
    notices::NoticeMutation,
    reclaim::ReclaimMutation,
    api_clients::ApiClientMutation,
    directory::DirectoryMutation,
    portal_consents::PortalConsentMutation,
);

pub fn state<'a>(ctx: &Context<'a>) -> AppResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| AppError::internal("AppState missing from schema data"))
}

pub fn actor<'a>(ctx: &Context<'a>) -> AppResult<&'a Actor> {
    ctx.data::<Caller>().map_err(|_| AppError::Unauthenticated)?.actor()
}

pub fn loaders<'a>(ctx: &Context<'a>) -> AppResult<&'a loaders::Loaders> {
    ctx.data::<loaders::Loaders>().map_err(|_| AppError::internal("loaders missing from request data"))
}

/// An object ID from the client, by the one ID rule (`service::validate::id`):
/// anything that is not a UUID is NOT_FOUND like any other unknown ID.
pub fn parse_id(id: &async_graphql::ID, entity: crate::error::EntityKind) -> AppResult<uuid::Uuid> {
    crate::service::validate::id(entity, id)
}
