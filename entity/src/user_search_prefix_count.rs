//! Issue 23 (b): per scope and prefix, how many users of
//! `user_search_prefixes` are listed and how many are listed and active, so a
//! short people search's total is one row. Kept by `crate::search` on every
//! save, in the save's transaction.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_search_prefix_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prefix: String,
    pub listed: i64,
    pub active: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
