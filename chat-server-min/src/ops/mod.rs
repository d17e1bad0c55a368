//! Instrumentation: Prometheus metrics, the JSON log format and the OpenAPI document. The
//! endpoints that serve them are routes ([`crate::routes::ops`]); this module depends on no
//! other module of the crate.

pub mod log;
pub mod metrics;
pub mod openapi;
