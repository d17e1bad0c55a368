//! A handle that drops one HTTP connection. It lives with the HTTP plumbing because both the
//! accept loop (`server`, which listens for it) and the SSE transport (`realtime`, which fires
//! it) need it, and neither may depend on the other's side.

use std::sync::Arc;

use tokio::sync::Notify;

/// Drops one HTTP connection on request: the accept loop stops serving it when fired. Used
/// to cut off an SSE consumer whose socket no longer drains (hyper then never polls the
/// response body again, so the body alone cannot end it).
///
/// Without our accept loop listening (a host serving [`crate::ChatService`] itself), firing
/// does nothing, and a stalled SSE socket lingers until the host's own timeouts drop it.
#[derive(Debug, Clone, Default)]
pub struct Kill(Arc<Notify>);

impl Kill {
    /// Asks the accept loop to drop the connection.
    pub fn fire(&self) {
        self.0.notify_one();
    }

    /// Completes once fired.
    pub async fn fired(&self) {
        self.0.notified().await;
    }
}
