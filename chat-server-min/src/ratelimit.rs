//! Write-request rate limits: GCRA (`governor`) keyed per user and per account.
//!
//! A request is first charged to its user, then to its account; a user already over their own
//! budget therefore spends nothing of the account's, so one user's flood cannot limit the rest
//! of the account until the account budget itself is spent, and never touches another
//! account. Idle keys are evicted periodically ([`Limits::evict_idle`]) so memory stays bounded
//! by the number of recently active users.

use std::num::NonZeroU32;

use chat_core::{AccountId, UserId};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateConfig;
use crate::http::ApiError;

/// The two keyed limiters.
pub struct Limits {
    user: DefaultKeyedRateLimiter<(AccountId, UserId)>,
    account: DefaultKeyedRateLimiter<AccountId>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("user_keys", &self.user.len())
            .field("account_keys", &self.account.len())
            .finish()
    }
}

fn quota(per_sec: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl Limits {
    /// Limiters for `config` (zero values are treated as 1; [`crate::Config`] refuses them).
    pub fn new(config: &RateConfig) -> Self {
        Self {
            user: RateLimiter::keyed(quota(config.user_per_sec, config.user_burst)),
            account: RateLimiter::keyed(quota(config.account_per_sec, config.account_burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Charges one write to the user, then to the account; `RateLimited` with the wait in
    /// whole seconds (at least 1) when either budget is spent.
    pub fn check(&self, account: AccountId, user: UserId) -> Result<(), ApiError> {
        let refused = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(self.clock.now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited {
                retry_after_secs: secs.max(1),
            }
        };
        self.user.check_key(&(account, user)).map_err(refused)?;
        self.account.check_key(&account).map_err(refused)?;
        Ok(())
    }

    /// Forgets keys whose buckets are full again (idle users and accounts).
    pub fn evict_idle(&self) {
        self.user.retain_recent();
        self.user.shrink_to_fit();
        self.account.retain_recent();
        self.account.shrink_to_fit();
    }

    /// Number of tracked (user, account) keys.
    pub fn tracked(&self) -> (usize, usize) {
        (self.user.len(), self.account.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_does_not_limit_others() {
        let l = Limits::new(&RateConfig {
            user_per_sec: 1,
            user_burst: 3,
            account_per_sec: 1,
            account_burst: 5,
        });
        let (a, b) = (AccountId(1), AccountId(2));
        for _ in 0..3 {
            assert!(l.check(a, UserId(1)).is_ok());
        }
        for _ in 0..10 {
            match l.check(a, UserId(1)) {
                Err(ApiError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
                other => panic!("{other:?}"),
            }
        }
        // The flood spent 3 of the account's 5: another user still has 2.
        assert!(l.check(a, UserId(2)).is_ok());
        assert!(l.check(a, UserId(2)).is_ok());
        assert!(l.check(a, UserId(2)).is_err());
        assert!(l.check(b, UserId(1)).is_ok());
    }

    #[test]
    fn eviction_bounds_memory() {
        let l = Limits::new(&RateConfig {
            user_per_sec: 1000,
            user_burst: 1,
            account_per_sec: 1_000_000,
            account_burst: 1000,
        });
        for u in 1..=100_000 {
            let _ = l.check(AccountId(u % 10), UserId(u));
        }
        assert_eq!(l.tracked(), (100_000, 10));
        std::thread::sleep(std::time::Duration::from_millis(20));
        l.evict_idle();
        assert_eq!(l.tracked(), (0, 0));
    }
}
