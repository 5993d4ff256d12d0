use sea_orm::entity::prelude::*;

/// One e-mail to one person (R52), queued with the change that calls for it;
/// the rows are the organization's notice log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// What the notice is about, e.g. INVOICE, RENEWAL_30 (see the core's `notices::NoticeKind`).
    pub kind: String,
    /// Unique: the same cause queues one notice only.
    pub dedupe_key: String,
    pub recipient_email: String,
    pub recipient_name: String,
    /// Language tag the message is written in (en, sv, da, nl, zh-TW).
    pub language: String,
    pub object_type: String,
    pub object_id: Uuid,
    /// JSON: what the message says, captured when it was queued.
    pub data: String,
    /// PENDING, SENT or FAILED (gave up after the retry window).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds it until then; after that (a crash) another may take it.
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
