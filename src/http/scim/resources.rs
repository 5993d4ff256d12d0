//! The two resource types SCIM serves (RFC 7644 §3), behind one trait so each
//! HTTP verb has one handler for both: Users and Groups differ only in the
//! service module that does the work and the entity a bad ID is reported as.

use std::future::Future;

use serde_json::Value;
use uuid::Uuid;

use crate::{
    access::directory::Directory,
    error::{AppResult, EntityKind},
    service::{
        Services,
        directory::{Base, Edit, ListPage, ListRequest, groups, users},
    },
};

pub trait ScimResource: Send + Sync + 'static {
    /// What an unknown or unreadable ID is reported as (NOT_FOUND, R3).
    const ENTITY: EntityKind;

    fn list(
        state: &Services,
        dir: &Directory,
        base: &Base,
        request: &ListRequest,
    ) -> impl Future<Output = AppResult<ListPage>> + Send;
    fn create(
        state: &Services,
        dir: &Directory,
        base: &Base,
        body: &Value,
    ) -> impl Future<Output = AppResult<Value>> + Send;
    fn get(state: &Services, dir: &Directory, base: &Base, id: Uuid) -> impl Future<Output = AppResult<Value>> + Send;
    fn update(
        state: &Services,
        dir: &Directory,
        base: &Base,
        id: Uuid,
        edit: Edit<'_>,
        if_match: Option<&str>,
    ) -> impl Future<Output = AppResult<Value>> + Send;
    fn delete(
        state: &Services,
        dir: &Directory,
        base: &Base,
        id: Uuid,
        if_match: Option<&str>,
    ) -> impl Future<Output = AppResult<()>> + Send;
}

/// `/Users` and `/Groups`: the same six operations, each handed to the
/// resource's service module.
macro_rules! scim_resource {
    ($name:ident, $service:ident, $entity:expr) => {
        pub struct $name;

        impl ScimResource for $name {
            const ENTITY: EntityKind = $entity;

            fn list(
                state: &Services,
                dir: &Directory,
                base: &Base,
                request: &ListRequest,
            ) -> impl Future<Output = AppResult<ListPage>> + Send {
                $service::list(state, dir, base, request)
            }
            fn create(
                state: &Services,
                dir: &Directory,
                base: &Base,
                body: &Value,
            ) -> impl Future<Output = AppResult<Value>> + Send {
                $service::create(state, dir, base, body)
            }
            fn get(
                state: &Services,
                dir: &Directory,
                base: &Base,
                id: Uuid,
            ) -> impl Future<Output = AppResult<Value>> + Send {
                $service::get(state, dir, base, id)
            }
            fn update(
                state: &Services,
                dir: &Directory,
                base: &Base,
                id: Uuid,
                edit: Edit<'_>,
                if_match: Option<&str>,
            ) -> impl Future<Output = AppResult<Value>> + Send {
                $service::update(state, dir, base, id, edit, if_match)
            }
            fn delete(
                state: &Services,
                dir: &Directory,
                base: &Base,
                id: Uuid,
                if_match: Option<&str>,
            ) -> impl Future<Output = AppResult<()>> + Send {
                $service::delete(state, dir, base, id, if_match)
            }
        }
    };
}

scim_resource!(Users, users, EntityKind::User);
scim_resource!(Groups, groups, EntityKind::Group);
