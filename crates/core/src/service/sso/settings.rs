//! R48: an organization's OpenID Connect provider, as its GLOBAL_ADMIN
//! configures it, and when a password may still sign in.

use entity::{enums::OrgRole, oidc_provider, user, user_role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible, audit_event::SINGLE_SIGN_ON},
    auth::Actor,
    db,
    error::{AppError, AppResult, Invalid},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

/// At most this many allowed e-mail domains.
pub const MAX_DOMAINS: usize = 50;

/// What a GLOBAL_ADMIN sets.
pub struct ProviderInput {
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; None keeps the stored one.
    pub client_secret: Option<String>,
    pub allowed_domains: Vec<String>,
    pub enabled: bool,
    pub require_sso: bool,
    pub break_glass_user_id: Option<Uuid>,
}

/// The provider of the actor's organization, when the actor may see it
/// (its GLOBAL_ADMINs); None otherwise, as when none is configured (R37).
pub async fn get(
    state: &Services,
    actor: &Actor,
    organization_id: Uuid,
) -> AppResult<Option<Visible<oidc_provider::Model>>> {
    access::single_sign_on::load(&state.db, actor, organization_id).await
}

/// The allowed domains of a stored provider.
pub fn allowed_domains(provider: &oidc_provider::Model) -> Vec<String> {
    serde_json::from_str(&provider.allowed_domains).unwrap_or_default()
}

/// The issuer: an https URL (http and private addresses only where the
/// server allows them, as for webhooks), exactly as the provider's ID
/// tokens name it.
fn issuer(state: &Services, value: &str) -> AppResult<String> {
    let value = validate::required_text("issuer", value, 500)?;
    let url = crate::service::events::webhooks::check_url(&value, state.sso.allow_private).map_err(|e| match e {
        AppError::Validation { reason, .. } => AppError::validation("issuer", reason),
        other => other,
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AppError::validation("issuer", Invalid::BadFormat));
    }
    Ok(value)
}

/// Lower-cased DNS names, each with a dot, deduplicated; at least one.
fn domains(values: &[String]) -> AppResult<Vec<String>> {
    let field = "allowedDomains";
    if values.len() > MAX_DOMAINS {
        return Err(AppError::validation(field, Invalid::TooLong { max: MAX_DOMAINS }));
    }
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let domain = value.trim().trim_start_matches('@').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(AppError::validation(field, Invalid::BadFormat));
        }
        out.push(domain);
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(AppError::validation(field, Invalid::Required));
    }
    Ok(out)
}

/// The break-glass admin: an active GLOBAL_ADMIN of the organization. A
/// user the actor cannot see is NOT_FOUND (R3).
async fn break_glass(state: &Services, actor: &Actor, organization_id: Uuid, id: Uuid) -> AppResult<Uuid> {
    let member = access::user::load_member(&state.db, actor, id).await?;
    let admin = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .filter(user_role::Column::Role.eq(OrgRole::GlobalAdmin))
        .count(&state.db)
        .await?
        > 0;
    if member.organization_id != Some(organization_id) || !member.active || !admin {
        return Err(AppError::validation("breakGlassUserId", Invalid::NotAllowed));
    }
    Ok(member.id)
}

/// Creates or replaces the organization's provider (GLOBAL_ADMIN; anyone
/// else FORBIDDEN). Requiring single sign-on needs it enabled and a
/// break-glass admin who keeps signing in with a password.
pub async fn configure(
    state: &Services,
    actor: &Actor,
    input: ProviderInput,
) -> AppResult<Visible<oidc_provider::Model>> {
    let org = actor.org()?;
    if !access::single_sign_on::manages(actor, org.organization_id) {
        return Err(AppError::Forbidden);
    }
    let organization_id = org.organization_id;
    let issuer = issuer(state, &input.issuer)?;
    let client_id = validate::required_text("clientId", &input.client_id, 500)?;
    let secret = match input.client_secret.as_deref() {
        Some(secret) => Some(validate::required_text("clientSecret", secret, 1000)?),
        None => None,
    };
    let domains = domains(&input.allowed_domains)?;
    if input.require_sso && !input.enabled {
        return Err(AppError::validation("requireSso", Invalid::NotAllowed));
    }
    let break_glass_user_id = match input.break_glass_user_id {
        Some(id) => Some(break_glass(state, actor, organization_id, id).await?),
        None if input.require_sso => return Err(AppError::validation("breakGlassUserId", Invalid::Required)),
        None => None,
    };
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let existing = oidc_provider::Entity::find_by_id(organization_id).one(&txn).await?;
    let sealed = match (&secret, &existing) {
        (Some(secret), _) => state.sso.sealing.seal(organization_id.as_bytes(), secret),
        (None, Some(row)) => row.client_secret_sealed.clone(),
        (None, None) => return Err(AppError::validation("clientSecret", Invalid::Required)),
    };
    let domains_json = serde_json::to_string(&domains).map_err(AppError::internal)?;
    let mut model = oidc_provider::ActiveModel {
        organization_id: Set(organization_id),
        issuer: Set(issuer.clone()),
        client_id: Set(client_id.clone()),
        client_secret_sealed: Set(sealed),
        allowed_domains: Set(domains_json),
        enabled: Set(input.enabled),
        require_sso: Set(input.require_sso),
        break_glass_user_id: Set(break_glass_user_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let before = existing.as_ref().map(snapshot);
    let saved = match existing {
        Some(row) => {
            model.created_at = Set(row.created_at);
            model.update(&txn).await?
        }
        None => model.insert(&txn).await?,
    };
    let mut after = snapshot(&saved);
    after["clientSecretChanged"] = json!(secret.is_some());
    let mut entry =
        AuditEntry::new(AuditAction::OrganizationConfigureSso, SINGLE_SIGN_ON, organization_id).after(after);
    if let Some(before) = before {
        entry = entry.before(before);
    }
    audit::record(&txn, AuditScope::org(organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    access::single_sign_on::check(actor, saved).ok_or(AppError::Forbidden)
}

/// Removes the organization's provider (GLOBAL_ADMIN): password sign-in
/// works again for everyone; users created by single sign-on stay. True
/// when there was one.
pub async fn remove(state: &Services, actor: &Actor) -> AppResult<bool> {
    let org = actor.org()?;
    if !access::single_sign_on::manages(actor, org.organization_id) {
        return Err(AppError::Forbidden);
    }
    let txn = db::begin_write(&state.db).await?;
    let Some(existing) = oidc_provider::Entity::find_by_id(org.organization_id).one(&txn).await? else {
        return Ok(false);
    };
    let entry = AuditEntry::new(AuditAction::OrganizationRemoveSso, SINGLE_SIGN_ON, org.organization_id)
        .before(snapshot(&existing));
    oidc_provider::Entity::delete_by_id(org.organization_id).exec(&txn).await?;
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), state.clock.now(), entry).await?;
    txn.commit().await?;
    Ok(true)
}

/// The audit snapshot: everything but the secret (R36).
fn snapshot(row: &oidc_provider::Model) -> serde_json::Value {
    json!({
        "issuer": row.issuer,
        "clientId": row.client_id,
        "allowedDomains": allowed_domains(row),
        "enabled": row.enabled,
        "requireSso": row.require_sso,
        "breakGlassUserId": row.break_glass_user_id,
    })
}

/// R48: whether `user` may sign in with a password: always, unless their
/// organization's enabled provider requires single sign-on and they are
/// not its break-glass admin (SSO_REQUIRED).
pub async fn password_sign_in_allowed(state: &Services, user: &user::Model) -> AppResult<()> {
    let Some(organization_id) = user.organization_id else {
        return Ok(());
    };
    let provider = oidc_provider::Entity::find_by_id(organization_id).one(&state.db).await?;
    match provider {
        Some(p) if p.enabled && p.require_sso && p.break_glass_user_id != Some(user.id) => Err(AppError::SsoRequired),
        _ => Ok(()),
    }
}
