//! Operations endpoints: health, Prometheus metrics, the OpenAPI document. (What they serve
//! is built in [`crate::ops`].)

use std::sync::Arc;

use http::StatusCode;
use serde_json::json;

use super::HandlerResult;
use crate::app::App;
use crate::http::Reply;
use crate::ops::openapi;

/// `GET /healthz`: `200 {"status":"ok"}` when the store answers.
pub async fn healthz(app: Arc<App>) -> HandlerResult {
    app.chat.health().await?;
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
