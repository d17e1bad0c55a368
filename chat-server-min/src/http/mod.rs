//! HTTP plumbing shared by every route: request ids, path parameters, body limits and JSON
//! decoding, query parsing, responses, CORS, the connection kill switch and the one mapping from
//! failures to HTTP. It depends on no other module of the crate, so every layer above may
//! use it.

pub mod body;
pub mod cors;
pub mod csv;
pub mod error;
pub mod kill;
pub mod params;
pub mod query;
pub mod request_id;
pub mod response;

pub use body::{decode_json, read_body, MAX_BODY_BYTES};
pub use error::ApiError;
pub use kill::Kill;
pub use params::Params;
pub use query::Query;
pub use response::{BodyError, Reply, ResponseBody};
