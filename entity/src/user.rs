#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Set for org users; exactly one of organization_id / publisher_id is set.
    pub organization_id: Option<Uuid>,
    pub publisher_id: Option<Uuid>,
    /// Lower-cased; unique across the server (it is the login name).
    pub email: String,
    pub name: String,
    pub password_hash: String,
    /// A deactivated user cannot log in and their tokens stop working.
    pub active: bool,
    /// R43: set when an admin deleted the user; the row stays for history.
    pub deleted_at: Option<DateTimeUtc>,
    /// R40: a marketplace operator (created from the command line only).
    pub is_operator: bool,
    /// R39: a user of a partner tenant (an organization of kind PARTNER), so the
    /// caller is resolved from the user row alone.
    pub is_partner: bool,
    pub created_at: DateTimeUtc,
    /// The organization's directory identifier for the person (SCIM
    /// `externalId`); unique within the organization when set.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// Keeps the search terms (issue 13) and short prefixes (issue 23) in step
/// with every insert and update.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn after_save<C>(model: Model, db: &C, _insert: bool) -> Result<Model, DbErr>
    where
        C: ConnectionTrait,
    {
        let mut terms = crate::search::name_terms(&model.name);
        terms.push(crate::search::fold(&model.email));
        let scope = model.organization_id.or(model.publisher_id);
        if let Some(scope) = scope {
            let listed = model.deleted_at.is_none();
            let owner = crate::search::PrefixOwner {
                user_id: model.id,
                scope_id: scope,
                name: &model.name,
                listed,
                active: listed && model.active,
            };
            crate::search::replace_user_prefixes(db, &owner, &terms).await?;
        }
        crate::search::replace_terms(db, crate::search::USER, model.id, scope, terms).await?;
        Ok(model)
    }
}
