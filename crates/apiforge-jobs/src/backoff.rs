//! Exponential backoff with jitter, persisted by the worker in the job's `run_at`.

use std::time::Duration;

/// Delay before attempt `n + 1` after attempt `n` failed:
/// `min(base * 2^(n-1), max)`, shortened by a random share of up to `jitter` (0.0–1.0)
/// so that jobs failing together do not come back together. Never above `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    /// Share of the delay that is random, 0.0 (none) to 1.0 ("full jitter").
    pub jitter: f64,
}

impl Default for Backoff {
    /// 2 s, 4 s, 8 s, … up to 10 minutes, 25 % jitter.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(600),
            jitter: 0.25,
        }
    }
}

impl Backoff {
    /// The delay after failed attempt `attempt` (1-based) for a random draw `unit` in
    /// `[0, 1)`: the pure part of [`Backoff::delay`].
    pub fn delay_with(&self, attempt: u32, unit: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let raw = self.base.saturating_mul(1u32 << doublings);
        let capped = raw.min(self.max);
        let jitter = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        capped.mul_f64(1.0 - jitter)
    }

    /// The delay after failed attempt `attempt` (1-based), with fresh randomness.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, rand::random::<f64>())
    }

    /// The bounds [`Backoff::delay`] stays within for `attempt`.
    pub fn bounds(&self, attempt: u32) -> (Duration, Duration) {
        (self.delay_with(attempt, 1.0), self.delay_with(attempt, 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(backoff: Backoff, attempt: u32, unit: f64, expect_ms: u64) {
        assert_eq!(
            backoff.delay_with(attempt, unit),
            Duration::from_millis(expect_ms),
            "attempt {attempt}, unit {unit}"
        );
    }

    const B: Backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
        jitter: 0.5,
    };

    #[test]
    fn doubles_from_base_without_jitter_draw() {
        check(B, 1, 0.0, 100);
        check(B, 2, 0.0, 200);
        check(B, 3, 0.0, 400);
        check(B, 4, 0.0, 800);
    }

    #[test]
    fn is_capped_at_max() {
        check(B, 5, 0.0, 1000);
        check(B, 40, 0.0, 1000);
        check(B, u32::MAX, 0.0, 1000);
    }

    #[test]
    fn jitter_shortens_by_at_most_its_share() {
        check(B, 1, 1.0, 50);
        check(B, 3, 0.5, 300);
        check(B, 9, 1.0, 500);
        check(Backoff { jitter: 0.0, ..B }, 3, 1.0, 400);
        check(Backoff { jitter: 7.0, ..B }, 3, 1.0, 0);
    }

    #[test]
    fn random_delays_stay_within_bounds() {
        for attempt in 1..12 {
            let (low, high) = B.bounds(attempt);
            for _ in 0..200 {
                let delay = B.delay(attempt);
                assert!(
                    low <= delay && delay <= high,
                    "{delay:?} not in {low:?}..={high:?}"
                );
            }
        }
    }

    #[test]
    fn attempt_zero_counts_as_first() {
        check(B, 0, 0.0, 100);
    }
}
