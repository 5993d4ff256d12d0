#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub publisher_id: Uuid,
    pub name: String,
    pub description: String,
    pub pricing_model: PricingModel,
    pub self_service_eligible: bool,
    pub portal_url: String,
    pub support_url: String,
    /// The publisher's support e-mail address for the product, if it gives one.
    pub support_email: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// Keeps the search terms (issue 13) in step with every insert and update.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn after_save<C>(model: Model, db: &C, _insert: bool) -> Result<Model, DbErr>
    where
        C: ConnectionTrait,
    {
        let terms = crate::search::name_terms(&model.name);
        crate::search::replace_terms(db, crate::search::PRODUCT, model.id, None, terms).await?;
        Ok(model)
    }
}
