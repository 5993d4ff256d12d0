//! Response keys in the order of the query's fields (GraphQL spec §7.1.1:
//! "ordered by the order in which they appear in the query").
//!
//! async-graphql 7.2 resolves the fields of an object concurrently and writes
//! each result into the response when its future completes
//! (`resolver_utils::container::do_resolve_container` drains a
//! `FuturesUnordered`), so fields that answer at once (plain struct fields of
//! a `SimpleObject`) come before fields that wait on the database (its
//! `ComplexObject` part, DataLoaders, the root fields). This extension puts
//! every object of the response back into query order after execution: for
//! queries and mutations in `execute`, for each event of a subscription in
//! `subscribe`. Fragments are expanded where they are spread; a key the
//! query does not name (none should exist) keeps its place at the end.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Name, Response, ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextSubscribe,
    },
    futures_util::{StreamExt, stream::BoxStream},
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// Fragment spreads deeper than this are not followed (validation refuses
/// cycles long before; this only bounds the walk).
const MAX_FRAGMENT_DEPTH: usize = 32;

/// Install with `SchemaBuilder::extension(ResponseOrder)`.
pub struct ResponseOrder;

impl ExtensionFactory for ResponseOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseOrderExtension { shared: Arc::new(Shared::default()) })
    }
}

#[derive(Default)]
struct Shared {
    document: Mutex<Option<Arc<ExecutableDocument>>>,
    operation_name: Mutex<Option<String>>,
}

impl Shared {
    fn reorder(&self, response: &mut Response, operation_name: Option<&str>) {
        let document = self.document.lock().ok().and_then(|slot| slot.clone());
        let Some(document) = document else { return };
        let remembered = self.operation_name.lock().ok().and_then(|slot| slot.clone());
        let name = operation_name.or(remembered.as_deref());
        let operation = match &document.operations {
            DocumentOperations::Single(operation) => Some(operation),
            DocumentOperations::Multiple(operations) => match name {
                Some(name) => operations.get(&Name::new(name)),
                None if operations.len() == 1 => operations.values().next(),
                None => None,
            },
        };
        if let Some(operation) = operation {
            let keys = collect_keys(&[&operation.node.selection_set.node], &document);
            order_value(&mut response.data, &keys, &document);
        }
    }
}

struct ResponseOrderExtension {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl Extension for ResponseOrderExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        if let Ok(mut slot) = self.shared.operation_name.lock() {
            slot.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut slot) = self.shared.document.lock() {
            *slot = Some(Arc::new(document.clone()));
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        self.shared.reorder(&mut response, operation_name);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let shared = self.shared.clone();
        next.run(
            ctx,
            stream
                .map(move |mut response| {
                    shared.reorder(&mut response, None);
                    response
                })
                .boxed(),
        )
    }
}

/// The response keys a selection set produces, in query order, each with the
/// selection sets of the fields that share that key (merged as the spec's
/// CollectFields does).
type Keys<'a> = Vec<(Name, Vec<&'a SelectionSet>)>;

fn collect_keys<'a>(sets: &[&'a SelectionSet], document: &'a ExecutableDocument) -> Keys<'a> {
    let mut keys = Vec::new();
    for set in sets {
        collect(set, document, &mut keys, 0);
    }
    keys
}

fn collect<'a>(set: &'a SelectionSet, document: &'a ExecutableDocument, keys: &mut Keys<'a>, depth: usize) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = &field.node.response_key().node;
                let children = &field.node.selection_set.node;
                match keys.iter_mut().find(|(existing, _)| existing == key) {
                    Some((_, sets)) => sets.push(children),
                    None => keys.push((key.clone(), vec![children])),
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(&fragment.node.selection_set.node, document, keys, depth + 1);
                }
            }
            Selection::InlineFragment(inline) => collect(&inline.node.selection_set.node, document, keys, depth + 1),
        }
    }
}

fn order_value(value: &mut Value, keys: &Keys<'_>, document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                order_value(item, keys, document);
            }
        }
        Value::Object(map) => {
            let mut rest = std::mem::take(map);
            for (key, sets) in keys {
                if let Some(mut child) = rest.shift_remove(key) {
                    if sets.iter().any(|set| !set.items.is_empty()) {
                        order_value(&mut child, &collect_keys(sets, document), document);
                    }
                    map.insert(key.clone(), child);
                }
            }
            map.extend(rest);
        }
        _ => {}
    }
}
