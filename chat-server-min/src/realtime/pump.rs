//! The pump: one task per connection that moves events from the subscription to the
//! connection's bounded queue. It is the only thing that ever waits on a slow socket, so
//! publishers and other subscribers never do; a queue that stays full ends the connection as
//! a slow consumer (the client resumes with `since`).

use std::time::{Duration, Instant};

use chat_core::events::Event;
use chat_core::{Subscription, SubscriptionEnd};
use tokio::sync::{mpsc, watch};

use super::End;
use crate::app::stopping;

/// Pulls the subscription into the connection's bounded queue until something ends it.
/// `render` turns an event into the transport's frame (`None`: skip it).
pub(crate) async fn pump<T, F>(
    mut sub: Subscription,
    tx: mpsc::Sender<T>,
    render: F,
    slow_after: Duration,
    deadline: Instant,
    mut shutdown: watch::Receiver<bool>,
) -> End
where
    F: Fn(&Event) -> Option<T>,
{
    let expiry = tokio::time::sleep_until(deadline.into());
    // One shutdown wait for the connection's life: a new one per event registered with and
    // deregistered from the watch channel every subscriber shares (a lock taken twice per
    // delivery, ~8% of the server's time in a 1,000-subscriber fan-out).
    let stop = stopping(&mut shutdown);
    tokio::pin!(expiry, stop);
    loop {
        let next = tokio::select! {
            biased;
            () = &mut stop => return End::Shutdown,
            () = &mut expiry => return End::TokenExpired,
            next = sub.next() => next,
        };
        let event = match next {
            Ok(event) => event,
            Err(SubscriptionEnd::Deactivated) => return End::Deactivated,
            Err(SubscriptionEnd::ChatDisabled) => return End::ChatDisabled,
            Err(SubscriptionEnd::Closed) => return End::Shutdown,
            Err(e) => {
                tracing::error!(error = %e, "subscription failed");
                return End::Internal;
            }
        };
        let Some(item) = render(&event) else {
            continue;
        };
        let reserved = tokio::select! {
            biased;
            () = &mut stop => return End::Shutdown,
            () = &mut expiry => return End::TokenExpired,
            r = tokio::time::timeout(slow_after, tx.reserve()) => r,
        };
        match reserved {
            Ok(Ok(permit)) => permit.send(item),
            // The writer is gone: the connection is closing anyway.
            Ok(Err(_)) => return End::Client,
            Err(_) => return End::SlowConsumer,
        }
    }
}
