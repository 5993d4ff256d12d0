//! R52: notices by e-mail — the organization's notice log and which kinds it receives.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::notice;

use super::{
    actor,
    enums::NoticeKind,
    pagination::{self, Page},
    state,
};
use crate::service::notices::{self as svc, status};

/// Where a notice stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum NoticeStatus {
    /// Waiting to be sent, or to be tried again after a failure.
    Pending,
    /// The mail server accepted it.
    Sent,
    /// Refused for good, or tried for the whole retry window without success.
    Failed,
}

pub struct Notice(pub notice::Model);

/// One e-mail to one person, as the organization's notice log shows it.
#[Object]
impl Notice {
    /// Stable identifier of the notice; the e-mail's Message-ID contains it.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What the notice is about.
    async fn kind(&self) -> Option<NoticeKind> {
        svc::NoticeKind::parse(&self.0.kind).map(Into::into)
    }
    /// The address it is sent to.
    async fn recipient(&self) -> &str {
        &self.0.recipient_email
    }
    /// The language it is written in (en, sv, da, nl or zh-TW).
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// The invoice or subscription it is about.
    async fn object_id(&self) -> ID {
        ID(self.0.object_id.to_string())
    }
    /// Pending, sent or failed.
    async fn status(&self) -> NoticeStatus {
        match self.0.status.as_str() {
            status::SENT => NoticeStatus::Sent,
            status::FAILED => NoticeStatus::Failed,
            _ => NoticeStatus::Pending,
        }
    }
    /// How many times sending was attempted.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// What went wrong on the last attempt, if anything.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the mail server accepted it.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Whether the organization receives one kind of notice.
#[derive(SimpleObject)]
pub struct NoticeSetting {
    /// The kind of notice.
    pub kind: NoticeKind,
    /// False when the organization turned it off.
    pub enabled: bool,
}

fn settings(rows: Vec<(svc::NoticeKind, bool)>) -> Vec<NoticeSetting> {
    rows.into_iter().map(|(kind, enabled)| NoticeSetting { kind: kind.into(), enabled }).collect()
}

#[derive(Default)]
pub struct NoticeQuery;

#[Object]
impl NoticeQuery {
    /// The e-mail notices of the caller's organization that the caller may
    /// see (its admins: each notice with the rule of its invoice or
    /// subscription), newest first.
    async fn notices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only notices of this kind.")] kind: Option<NoticeKind>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<Notice>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::log(state(ctx)?, actor(ctx)?, kind.map(Into::into), &window).await?;
        Ok(pagination::page(rows.map(|n| Notice(n.into_inner())), |n| n.0.id))
    }
    /// Which kinds of e-mail notice the caller's organization receives.
    async fn notice_settings(&self, ctx: &Context<'_>) -> Result<Vec<NoticeSetting>> {
        Ok(settings(svc::settings(state(ctx)?, actor(ctx)?).await?))
    }
}

#[derive(Default)]
pub struct NoticeMutation;

#[Object]
impl NoticeMutation {
    /// Turns one kind of e-mail notice off or on for the caller's
    /// organization (global admins). Notices already queued are still sent.
    async fn set_notice_enabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind of notice.")] kind: NoticeKind,
        #[graphql(desc = "False to stop sending this kind, true to send it again.")] enabled: bool,
    ) -> Result<Vec<NoticeSetting>> {
        let state = state(ctx)?;
        let actor = actor(ctx)?;
        svc::set_enabled(state, actor, kind.into(), enabled).await?;
        Ok(settings(svc::settings(state, actor).await?))
    }
}
