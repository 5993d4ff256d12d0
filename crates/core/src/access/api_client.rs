//! A publisher's API clients (R50): the users of that publisher see and
//! manage them; nobody else sees that they exist (R3, R37).

use entity::api_client;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::{Visible, billing_profile::nothing};
use crate::{
    auth::Actor,
    error::{AppError, AppResult, EntityKind},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::ApiClient };

/// The row check.
pub fn check(actor: &Actor, client: api_client::Model) -> Option<Visible<api_client::Model>> {
    let allowed = matches!(actor, Actor::Publisher(p) if p.publisher_id == client.publisher_id);
    allowed.then(|| Visible::vouch(client))
}

/// The SQL twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Publisher(p) => Condition::all().add(api_client::Column::PublisherId.eq(p.publisher_id)),
        Actor::Org(_) | Actor::Operator(_) | Actor::Partner(_) => nothing(),
    }
}

/// One client by ID under the rule; NOT_FOUND for anyone else's.
pub async fn load(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Visible<api_client::Model>> {
    let found = api_client::Entity::find_by_id(id).filter(visible(actor)).one(db).await?.ok_or(NOT_FOUND)?;
    check(actor, found).ok_or(NOT_FOUND)
}

/// One page of `query`, narrowed by the finder itself to [`visible`].
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<api_client::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<api_client::Model>>> {
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().filter_map(|c| check(actor, c)).collect()))
}

/// The client a freshly issued secret belongs to: its creator may see it.
pub(crate) fn created(client: api_client::Model) -> Visible<api_client::Model> {
    Visible::vouch(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{OperatorActor, OrgActor, PartnerActor, PublisherActor};

    fn client(publisher_id: Uuid) -> api_client::Model {
        let now = chrono::Utc::now();
        api_client::Model {
            id: Uuid::new_v4(),
            publisher_id,
            name: "app".into(),
            client_id: "c".into(),
            secret_hash: "h".into(),
            scopes: "licenses.check".into(),
            created_by: Uuid::nil(),
            created_at: now,
            secret_created_at: now,
            last_used_at: None,
            revoked_at: None,
            redirect_uris: String::new(),
        }
    }

    #[test]
    fn r50_only_the_publishers_own_users_see_its_clients() {
        let publisher = Uuid::new_v4();
        let own = Actor::Publisher(PublisherActor { user_id: Uuid::new_v4(), publisher_id: publisher });
        let other = Actor::Publisher(PublisherActor { user_id: Uuid::new_v4(), publisher_id: Uuid::new_v4() });
        let org = OrgActor { user_id: Uuid::new_v4(), organization_id: publisher, roles: vec![] };
        assert!(check(&own, client(publisher)).is_some());
        assert!(check(&other, client(publisher)).is_none());
        assert!(check(&Actor::Org(org.clone()), client(publisher)).is_none());
        assert!(check(&Actor::Partner(PartnerActor { tenant: org }), client(publisher)).is_none());
        let operator = Actor::Operator(OperatorActor { user_id: Uuid::new_v4(), marketplace_id: publisher });
        assert!(check(&operator, client(publisher)).is_none());
    }
}
