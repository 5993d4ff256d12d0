#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub product_id: Uuid,
    pub billing_profile_id: Uuid,
    pub purchaser_id: Uuid,
    pub channel: Channel,
    pub partner_name: Option<String>,
    pub partner_id: Option<String>,
    /// R39: the partner tenant (an organization of kind PARTNER) that bought
    /// it for the customer; set by the server, never typed in.
    pub partner_tenant_id: Option<Uuid>,
    pub proposal_id: Option<Uuid>,
    pub pricing_model: PricingModel,
    pub term: BillingTerm,
    /// None = Unlimited (flat rate, R5).
    pub quantity: Option<i64>,
    /// Active assignments; the CHECK keeps it within 0..=quantity (R21).
    pub assigned_count: i64,
    pub unit_price_minor: i64,
    pub currency: String,
    pub status: SubscriptionStatus,
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<DateTimeUtc>,
    /// Why it ended, in words (e.g. NOT_RENEWABLE: the term's price was withdrawn).
    pub disabled_message: Option<String>,
    pub cancel_reason: Option<CancelReason>,
    pub cancel_feedback: Option<String>,
    pub auto_renew: bool,
    /// R30: terms are counted from this date.
    pub start_date: Date,
    pub term_number: i32,
    /// Issue 26 item 5: bought at a negotiated price that holds through this
    /// term number; later terms renew at the list price in force. None: no
    /// negotiated price.
    pub negotiated_terms: Option<i32>,
    pub current_term_start: Date,
    pub current_term_end: Date,
    pub activated_at: Option<DateTimeUtc>,
    /// When the publisher marked the set-up in its portal done (issue 25).
    pub setup_completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
