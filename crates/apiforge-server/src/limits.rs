//! Per-user request rate limiting (the per-IP limit is a tower layer in `app.rs`): a
//! keyed token bucket checked once a request's user is known, so one account cannot
//! exhaust the server from many addresses, nor one address's users starve each other.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateSettings;
use crate::problem::Problem;

/// A token bucket per user id.
#[derive(Clone)]
pub struct UserLimits {
    /// `None`: no per-user limit.
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl std::fmt::Debug for UserLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserLimits")
            .field("users", &self.limiter.as_ref().map(|l| l.len()))
            .finish()
    }
}

impl UserLimits {
    pub fn new(rate: Option<RateSettings>) -> Self {
        let Some(rate) = rate else {
            return Self { limiter: None };
        };
        let per_second = NonZeroU32::new(u32::try_from(rate.per_second).unwrap_or(u32::MAX))
            .unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Some(Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            ))),
        }
    }

    /// Takes one request from `user`'s bucket; an empty bucket is a 429 with `Retry-After`.
    pub fn check(&self, user: &str) -> Result<(), Problem> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&user.to_owned()).map_err(|not_until| {
            let clock = governor::clock::DefaultClock::default();
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&clock));
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Problem::too_many_requests(
                format!("too many requests from your account: retry in {seconds} s"),
                seconds,
            )
        })
    }

    /// Forgets users whose buckets are full again (called periodically).
    pub fn prune(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_the_burst_is_refused_with_a_retry_time_and_others_are_not() {
        let limits = UserLimits::new(Some(RateSettings {
            per_second: 1,
            burst: 3,
        }));
        for _ in 0..3 {
            assert!(limits.check("ada").is_ok());
        }
        let refused = limits
            .check("ada")
            .expect_err("the fourth request is refused");
        assert_eq!(refused.status, 429);
        assert!(refused.retry_after.is_some_and(|s| (1..=2).contains(&s)));
        assert!(
            refused.detail.contains("your account"),
            "{}",
            refused.detail
        );
        assert!(
            limits.check("grace").is_ok(),
            "another user has her own bucket"
        );
    }

    #[test]
    fn no_settings_means_no_limit() {
        let limits = UserLimits::new(None);
        for _ in 0..10_000 {
            assert!(limits.check("ada").is_ok());
        }
    }
}
