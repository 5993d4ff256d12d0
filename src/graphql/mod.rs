//! The GraphQL surface (SPEC §10). Resolvers are thin: they parse arguments,
//! call one service function with the caller, and wrap the result.

pub mod errors;
pub mod identity;
pub mod loaders;
pub mod pagination;

use async_graphql::{Context, MergedObject};

use crate::{
    app::AppState,
    auth::{Actor, Caller},
    error::{AppError, AppResult},
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(identity::IdentityQuery);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(identity::IdentityMutation);

pub fn state<'a>(ctx: &Context<'a>) -> AppResult<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| AppError::internal("AppState missing from schema data"))
}

pub fn actor<'a>(ctx: &Context<'a>) -> AppResult<&'a Actor> {
    ctx.data::<Caller>().map_err(|_| AppError::Unauthenticated)?.actor()
}

pub fn loaders<'a>(ctx: &Context<'a>) -> AppResult<&'a loaders::Loaders> {
    ctx.data::<loaders::Loaders>().map_err(|_| AppError::internal("loaders missing from request data"))
}
