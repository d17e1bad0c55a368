//! The service API of the host platform: directory provisioning and entitlements.

use chat_core::{AccountRole, Entitlements, UserId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, ServiceCall};
use crate::http::{decode_json, Reply};

/// Body of `PUT /users/{user_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProvisionUser {
    #[serde(default)]
    pub(super) name: Option<String>,
    pub(super) role: AccountRole,
    pub(super) active: bool,
}

/// Body of `PUT /entitlements`: the whole value. Every field is required and `null` is "no
/// limit": a limit left out would otherwise read as unlimited, so a host that sends only
/// `{"chat_enabled": true}` to re-enable an account would silently lift its limits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetEntitlements {
    pub(super) chat_enabled: bool,
    #[serde(deserialize_with = "present")]
    pub(super) max_rooms: Option<u32>,
    #[serde(deserialize_with = "present")]
    pub(super) max_members_per_room: Option<u32>,
}

/// A field that must be present, `null` allowed. (serde reads a missing `Option` field as
/// `None` unless it has its own deserializer.)
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Option::<u32>::deserialize(d)
}

/// `PUT /users/{user_id}` `{name, role, active}`: the directory entry.
pub async fn provision_user(c: ServiceCall) -> HandlerResult {
    let user = UserId(c.params.id("user_id")?);
    let body: ProvisionUser = decode_json(&c.body)?;
    let entry = c
        .app
        .chat
        .provision_user(
            c.account,
            user,
            body.name.as_deref(),
            body.role,
            body.active,
        )
        .await?;
    Ok(Reply::json(StatusCode::OK, &entry))
}

/// `PUT /entitlements` `{chat_enabled, max_rooms, max_members_per_room}`.
pub async fn set_entitlements(c: ServiceCall) -> HandlerResult {
    let body: SetEntitlements = decode_json(&c.body)?;
    let e = Entitlements {
        chat_enabled: body.chat_enabled,
        max_rooms: body.max_rooms,
        max_members_per_room: body.max_members_per_room,
    };
    let saved = c.app.chat.set_entitlements(c.account, e).await?;
    Ok(Reply::json(StatusCode::OK, &saved))
}

/// `GET /entitlements`: current values.
pub async fn entitlements(c: ServiceCall) -> HandlerResult {
    let e = c.app.chat.entitlements(c.account).await?;
    Ok(Reply::json(StatusCode::OK, &e))
}
