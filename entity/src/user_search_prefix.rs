//! Issue 23 (b): one row per user and distinct prefix of one to three
//! characters of their search terms, so a short people search pages in name
//! order from one index range. Written by `crate::search` on every save.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_search_prefixes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prefix: String,
    /// The user's organization (or publisher), as on their search terms.
    pub scope_id: Uuid,
    /// The user's name, for the page's order.
    pub name: String,
    /// Not deleted (R43): a search lists them.
    pub listed: bool,
    /// Listed and active: a search lists them without `includeDeactivated`.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
