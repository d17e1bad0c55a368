//! Path parameters of a matched route. Here rather than in `routes` because admission
//! (`app::same_account`) and the realtime transports read them too, and both sit below the
//! route table.

use std::str::FromStr;

use chat_core::ChatError;

/// The matched path parameters, by name.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The raw value of `name`.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `name` parsed as `T`; an id that does not parse names nothing that exists: `NotFound`.
    pub fn id<T: FromStr>(&self, name: &str) -> Result<T, ChatError> {
        self.raw(name)
            .and_then(|v| v.parse().ok())
            .ok_or(ChatError::NotFound)
    }
}
