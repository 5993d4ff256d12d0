//! Search terms (issue 13): folded words of a user's or product's name and
//! the user's e-mail, one row each, so "begin typing" is an indexed prefix
//! range on both engines. Written by `crate::search` on every save.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// "user" or "product".
    pub kind: String,
    pub owner_id: Uuid,
    /// The organization (or publisher) of a user; None for products.
    pub scope_id: Option<Uuid>,
    pub term: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
