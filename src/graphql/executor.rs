//! The schema as the HTTP and WebSocket endpoints run it: each operation is
//! counted and timed (`/metrics`) and its response keys are put in query
//! order (`response_order`).
//!
//! This wraps the schema instead of installing async-graphql extensions:
//! with any extension installed, async-graphql builds a `ResolveInfo` (a
//! registry look-up by type name) and awaits every extension's boxed
//! `resolve` hook for every field it resolves, which was about a fifth of
//! the server's CPU on a page of 50 subscriptions with their users (issue 14).
//! Both jobs only need the whole request and its whole response.

use std::{sync::Arc, time::Instant};

use async_graphql::{
    Data, Executor, Name, Request, Response,
    futures_util::{StreamExt, stream::BoxStream},
    parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType},
};

use super::response_order::KeyTree;
use super::schema::AppSchema;

#[derive(Clone)]
pub struct ServingSchema {
    schema: AppSchema,
}

impl ServingSchema {
    pub fn new(schema: AppSchema) -> Self {
        Self { schema }
    }
}

/// What the response needs of the request's document: the selected
/// operation's name (metrics) and its key order.
struct Shape {
    operation_name: Option<String>,
    /// "query", "mutation" or "subscription", when the document parses.
    operation_type: Option<&'static str>,
    keys: Option<KeyTree>,
}

/// Parses the request (kept in it, so the schema does not parse it again)
/// and reads the selected operation's name and key order. A document that
/// does not parse is left to the schema, which reports the syntax error.
fn shape_of(request: &mut Request) -> Shape {
    let wanted = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return Shape { operation_name: wanted, operation_type: None, keys: None };
    };
    match selected_operation(document, wanted.as_deref()) {
        Some((name, operation)) => Shape {
            operation_name: name.map(|n| n.to_string()).or(wanted),
            operation_type: Some(match operation.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            }),
            keys: KeyTree::of(&operation.selection_set.node, document),
        },
        None => Shape { operation_name: wanted, operation_type: None, keys: None },
    }
}

fn selected_operation<'d>(
    document: &'d ExecutableDocument,
    wanted: Option<&str>,
) -> Option<(Option<&'d Name>, &'d OperationDefinition)> {
    match &document.operations {
        DocumentOperations::Single(operation) => Some((None, &operation.node)),
        DocumentOperations::Multiple(operations) => match wanted {
            Some(wanted) => operations.get_key_value(&Name::new(wanted)).map(|(name, op)| (Some(name), &op.node)),
            None if operations.len() == 1 => operations.iter().next().map(|(name, op)| (Some(name), &op.node)),
            None => None,
        },
    }
}

impl Executor for ServingSchema {
    async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let shape = shape_of(&mut request);
        // The request's span (access log, traces) carries the operation's name.
        let span = tracing::Span::current();
        let operation: String = shape.operation_name.as_deref().unwrap_or("anonymous").chars().take(64).collect();
        span.record("operation", operation.as_str());
        // The trace's span name follows OpenTelemetry's GraphQL convention:
        // "query ConsolePage" (the HTTP method and route stay as attributes).
        if let Some(kind) = shape.operation_type {
            let name = match &shape.operation_name {
                Some(_) => format!("{kind} {operation}"),
                None => kind.to_owned(),
            };
            crate::telemetry::rename_span(&span, name);
        }
        // Process tests hold an operation here by name to see whether a read
        // is dropped when its client goes or its request times out (issue 20);
        // without the core's test-hooks feature this is an empty function.
        crate::fault::delay_point(&format!("graphql.execute.{}", shape.operation_name.as_deref().unwrap_or("-"))).await;
        let mut response = self.schema.execute(request).await;
        if let Some(keys) = &shape.keys {
            keys.order(&mut response.data);
        }
        let outcome = response.errors.first().map_or("ok", super::errors::code_of);
        crate::metrics::record_operation(shape.operation_name.as_deref(), outcome, started.elapsed());
        response
    }

    fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let shape = shape_of(&mut request);
        let keys = shape.keys;
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |mut response| {
                if let Some(keys) = &keys {
                    keys.order(&mut response.data);
                }
                response
            })
            .boxed()
    }
}
