//! One admitted connection as the transports see it, and how its end is counted and logged.

use std::sync::Arc;
use std::time::Instant;

use chat_core::presence::Connection as PresenceConnection;
use chat_core::Actor;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::slots::Slot;
use super::End;
use crate::app::App;

/// Everything a transport needs for one admitted connection.
pub(crate) struct Session {
    pub(crate) app: Arc<App>,
    pub(crate) actor: Actor,
    pub(crate) presence: PresenceConnection,
    pub(crate) slot: Slot,
    /// When the token stops being valid.
    pub(crate) deadline: Instant,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) opened: Instant,
}

impl Session {
    /// Counts and logs the end of the connection.
    pub(crate) fn finish(&self, end: End) {
        let transport = self.slot.transport.label();
        self.app
            .metrics
            .realtime_closes
            .with_label_values(&[transport, end.label()])
            .inc();
        tracing::info!(
            transport,
            reason = end.label(),
            account_id = self.actor.account().0,
            user_id = self.actor.user().0,
            seconds = self.opened.elapsed().as_secs_f64(),
            "realtime connection closed"
        );
    }
}

/// Aborts a task when dropped: a connection's helper tasks never outlive it.
pub(crate) struct AbortOnDrop<T>(pub(crate) JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
