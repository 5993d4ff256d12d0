//! Building the schema: one builder for the served schema, the
//! introspection-only schema and the bare schema the SDL is printed from.

use async_graphql::Schema;

use super::{MutationRoot, QueryRoot, SubscriptionRoot};
use crate::{config::Config, state::AppState};

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub const MAX_QUERY_DEPTH: usize = 12;
pub const MAX_QUERY_COMPLEXITY: usize = 2_000;

fn schema_builder(config: Option<&Config>) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    schema_builder_with_limits(config, MAX_QUERY_DEPTH, MAX_QUERY_COMPLEXITY)
}

fn schema_builder_with_limits(
    config: Option<&Config>,
    depth: usize,
    complexity: usize,
) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .limit_depth(depth)
        .limit_complexity(complexity)
        .limit_recursive_depth(32)
        .limit_directives(10);
    if let Some(config) = config
        && !config.introspection
    {
        builder = builder.disable_introspection().disable_suggestions();
    }
    super::docs::describe(builder)
}

/// The schema without any state: enough to print the SDL.
pub fn build_schema_bare() -> AppSchema {
    schema_builder(None).finish()
}

pub fn build_schema(state: &AppState) -> AppSchema {
    schema_builder(Some(&state.config)).data(state.clone()).finish()
}

/// The schema introspection-only operations run on: limits of their own
/// (see `graphql::introspection`), everything else the same.
pub fn build_introspection_schema(state: &AppState) -> AppSchema {
    use crate::graphql::introspection::{INTROSPECTION_MAX_COMPLEXITY, INTROSPECTION_MAX_DEPTH};
    schema_builder_with_limits(Some(&state.config), INTROSPECTION_MAX_DEPTH, INTROSPECTION_MAX_COMPLEXITY)
        .data(state.clone())
        .finish()
}

pub fn export_sdl() -> String {
    build_schema_bare().sdl()
}
