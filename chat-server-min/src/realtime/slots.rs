//! A connection's place in the per-user limit and the connection gauge: taken when a
//! connection opens, given back when it is dropped, whatever ends it.

use std::sync::Arc;

use chat_core::{AccountId, Actor, UserId};
use tokio::sync::watch;

use super::Transport;
use crate::app::App;
use crate::http::ApiError;

/// One open realtime connection: counts toward the user's limit and the gauge until dropped,
/// and holds a shutdown watch, so shutdown waits for it.
pub(crate) struct Slot {
    app: Arc<App>,
    key: (AccountId, UserId),
    pub(crate) transport: Transport,
    _drain: watch::Receiver<bool>,
}

impl Slot {
    /// Takes a slot for the actor, or `RateLimited` when the user already has
    /// [`crate::RealtimeConfig::max_connections_per_user`] open.
    pub(crate) fn acquire(
        app: &Arc<App>,
        actor: &Actor,
        transport: Transport,
    ) -> Result<Self, ApiError> {
        let key = (actor.account(), actor.user());
        if !app
            .realtime
            .try_open(key, app.config.realtime.max_connections_per_user)
        {
            return Err(ApiError::RateLimited {
                retry_after_secs: 5,
            });
        }
        app.metrics
            .realtime_connections
            .with_label_values(&[transport.label()])
            .inc();
        Ok(Self {
            app: Arc::clone(app),
            key,
            transport,
            _drain: app.realtime.shutdown_watch(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.app.realtime.close(self.key);
        self.app
            .metrics
            .realtime_connections
            .with_label_values(&[self.transport.label()])
            .dec();
    }
}
