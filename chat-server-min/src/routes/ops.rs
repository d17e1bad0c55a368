//! Operations endpoints: health, Prometheus metrics, the OpenAPI document. (What they serve
//! is built in [`crate::ops`].)

use std::sync::Arc;

use http::StatusCode;
use serde_json::json;

use super::HandlerResult;
use chat_core::ChatError;

use crate::app::App;
use crate::http::{ApiError, Reply};
use crate::ops::openapi;

/// `GET /healthz`: `200 {"status":"ok"}` when the store reads and writes, `503` with a
/// `reason` when it does not (a load balancer takes the node out): the storage fault writes
/// ran into (`storage_full`, `storage_read_only`, `storage_corrupt`; reads may still work) or
/// `store_unreachable`. The detail goes to the log.
pub async fn healthz(app: Arc<App>) -> HandlerResult {
    if let Err(e) = app.chat.health().await {
        tracing::warn!(error = %e, "health check failed");
        let reason = match e {
            ChatError::Storage { fault, .. } => fault.code(),
            _ => "store_unreachable",
        };
        return Err(ApiError::Unavailable { reason });
    }
    Ok(Reply::json_value(StatusCode::OK, json!({ "status": "ok" })))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(app: Arc<App>) -> HandlerResult {
    Ok(Reply::raw(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        app.metrics.render(),
    ))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi(_app: Arc<App>) -> HandlerResult {
    Ok(Reply::raw(
        StatusCode::OK,
        "application/json",
        openapi::DOCUMENT.as_bytes(),
    ))
}
