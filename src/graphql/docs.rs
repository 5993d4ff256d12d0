//! Descriptions for types the code does not define itself (issue 13 item 7):
//! the connection types async-graphql generates for paged lists, and the
//! date and time scalars, whose built-in descriptions name library types.

use async_graphql::SchemaBuilder;

use super::{
    audit::AuditEvent,
    billing::{BillingProfile, PaymentMethod},
    catalog::{Product, Proposal},
    identity::User,
    invoices::Invoice,
    pagination::Page,
    subscriptions::{PublisherSubscription, Subscription},
    webhooks::WebhookDelivery,
};

/// Sets the descriptions; call on every schema builder.
pub fn describe<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S> {
    builder
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
            "A moment in time, as an RFC 3339 string in UTC, e.g. \"2026-03-01T09:30:00Z\".",
        )
        .override_output_type_description::<chrono::NaiveDate>(
            "A calendar day without time or time zone, as \"YYYY-MM-DD\", e.g. \"2026-03-01\".",
        )
        .override_output_type_description::<async_graphql::Json<serde_json::Value>>(
            "Any JSON value (object, list, string, number, true, false or null).",
        )
        .override_output_type_description::<Page<crate::graphql::api_clients::ApiClient>>(
            "One page of the publisher's API clients.",
        )
        .override_output_type_description::<Page<AuditEvent>>("One page of audit-trail entries.")
        .override_output_type_description::<Page<BillingProfile>>("One page of billing profiles.")
        .override_output_type_description::<Page<Invoice>>("One page of invoices.")
        .override_output_type_description::<Page<PaymentMethod>>("One page of the payment methods page.")
        .override_output_type_description::<Page<Product>>("One page of products.")
        .override_output_type_description::<Page<Proposal>>("One page of proposals.")
        .override_output_type_description::<Page<PublisherSubscription>>(
            "One page of subscriptions to the publisher's products.",
        )
        .override_output_type_description::<Page<crate::graphql::sessions::Session>>("One page of sessions.")
        .override_output_type_description::<Page<crate::graphql::directory::ScimToken>>("One page of SCIM tokens.")
        .override_output_type_description::<Page<crate::graphql::directory::Group>>("One page of groups.")
        .override_output_type_description::<Page<Subscription>>("One page of subscriptions.")
        .override_output_type_description::<Page<User>>("One page of users.")
        .override_output_type_description::<Page<WebhookDelivery>>("One page of webhook deliveries.")
        .override_output_type_description::<Page<crate::graphql::notices::Notice>>("One page of the notice log.")
        .override_output_type_description::<Page<crate::graphql::utilization::SubscriptionUtilization>>(
            "One page of subscriptions with their seats bought, assigned and used.",
        )
        .override_output_type_description::<Page<crate::graphql::utilization::DormantLicense>>(
            "One page of licenses nobody used for a while.",
        )
        .override_output_type_description::<Page<crate::graphql::utilization::RenewalForecast>>(
            "One page of renewals ahead.",
        )
        .override_output_type_description::<Page<crate::graphql::portal_consents::PortalConsent>>(
            "One page of the consents given to publishers' portals.",
        )
}
