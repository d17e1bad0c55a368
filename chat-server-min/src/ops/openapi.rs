//! The OpenAPI 3.1 document of the API (`chat-server-min/openapi.json`), served at
//! `/api/v1/openapi.json`. A test checks that it documents exactly the router's routes.

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../../openapi.json");
