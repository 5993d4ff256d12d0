//! Small builders so each migration reads as the table it creates.

use sea_orm_migration::prelude::*;

/// A foreign key `table.column → target.id`.
pub fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// A (possibly unique) index on `columns`.
pub fn index(table: &'static str, name: &str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for column in columns {
        stmt.col(*column);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

pub async fn create_indexes(manager: &SchemaManager<'_>, indexes: Vec<IndexCreateStatement>) -> Result<(), DbErr> {
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(*table).if_exists().to_owned()).await?;
    }
    Ok(())
}
