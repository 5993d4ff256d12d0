//! OpenTelemetry traces (issue 24 item 4): off unless the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set and `OTEL_SDK_DISABLED` is not `true`. Spans go over OTLP/HTTP with
//! protobuf bodies (`/v1/traces`), batched (`OTEL_BSP_*` tune the batches),
//! with the service name `licensedesk` unless `OTEL_SERVICE_NAME` says
//! otherwise. Every `tracing` span becomes an OpenTelemetry span: one per
//! request (named after the GraphQL operation, "query ConsolePage", with the method, path and `operation` as attributes,
//! see `app::request_span`) with SeaORM's statement spans beneath it.

use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// True when traces are to be exported.
pub fn configured() -> bool {
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    !disabled && (env_set("OTEL_EXPORTER_OTLP_ENDPOINT") || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The exporting tracer provider, when configured; an error names what is wrong.
pub fn provider() -> Result<Option<SdkTracerProvider>, String> {
    if !configured() {
        return Ok(None);
    }
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| format!("OpenTelemetry exporter: {e}"))?;
    let mut resource = Resource::builder().with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if !env_set("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name("licensedesk");
    }
    Ok(Some(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build()))
}

/// The `tracing` layer that turns spans into OpenTelemetry spans.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("licensedesk"))
}

/// Sends what is still batched; called once the command is done.
pub async fn shutdown(provider: SdkTracerProvider) {
    // The SDK blocks while it flushes: off the async workers.
    let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    if let Ok(Err(e)) = flushed {
        tracing::warn!(error = %e, "OpenTelemetry: spans not all sent at shutdown");
    }
}

/// Renames `span` in traces (its OpenTelemetry name). Recording `otel.name`
/// works only before the span is first entered; the executor names the
/// request's span after the GraphQL operation once it has parsed it.
pub fn rename_span(span: &tracing::Span, name: String) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    span.context().span().update_name(name);
}
