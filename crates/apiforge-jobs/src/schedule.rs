//! Cron schedules: stored in `schedules`, turned into jobs by workers. A due schedule is
//! claimed with a compare-and-set on `next_run_at`, in the same transaction as the job
//! it enqueues, so each occurrence becomes exactly one job however many workers tick.
//! Occurrences missed while no worker ran are not replayed: one job, then the next
//! occurrence after now.

use std::cmp::Ordering;
use std::str::FromStr;

use apiforge_store::now_ms;
use croner::errors::CronError;
use croner::{CivilDateTime, Cron, CronDateTime, Resolution, Weekday};
use serde_json::json;

use crate::backend::{Conn, on_pool};
use crate::error::QueueError;
use crate::event;
use crate::model::{JobId, NewJob, Schedule, ScheduleInfo, ScheduleRow};
use crate::queue::Queue;

/// The first occurrence of the cron expression `cron` (5 fields, UTC; a leading seconds
/// field is accepted) strictly after `after_ms`: validates a schedule before storing it.
pub fn next_run_after(cron: &str, after_ms: i64) -> Result<i64, QueueError> {
    next_occurrence(&parse_cron(cron)?, after_ms)
}

/// Parses a cron expression (5 fields; a leading seconds field is accepted).
pub(crate) fn parse_cron(cron: &str) -> Result<Cron, QueueError> {
    Cron::from_str(cron).map_err(|error| QueueError::Cron {
        cron: cron.to_owned(),
        message: error.to_string(),
    })
}

/// The first occurrence of `cron` strictly after `after_ms` (ms since the epoch, UTC).
pub(crate) fn next_occurrence(cron: &Cron, after_ms: i64) -> Result<i64, QueueError> {
    let start = UtcSecond(after_ms.div_euclid(1000));
    let next = cron
        .find_next_occurrence(&start, false)
        .map_err(|error| QueueError::Cron {
            cron: cron.pattern.to_string(),
            message: error.to_string(),
        })?;
    Ok(next.0.saturating_mul(1000))
}

impl Queue {
    /// Creates or replaces a schedule. Its next run is the next occurrence after now,
    /// unless the cron expression is unchanged (then the planned run is kept).
    pub async fn upsert_schedule(&self, schedule: &Schedule) -> Result<ScheduleInfo, QueueError> {
        const SQL: &str = "INSERT INTO schedules \
             (name, cron, kind, payload, priority, max_attempts, next_run_at, enabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, kind = excluded.kind, \
             payload = excluded.payload, priority = excluded.priority, \
             max_attempts = excluded.max_attempts, enabled = excluded.enabled, \
             next_run_at = CASE WHEN schedules.cron = excluded.cron \
                 THEN schedules.next_run_at ELSE excluded.next_run_at END";
        if schedule.max_attempts == 0 {
            return Err(QueueError::InvalidJob(
                "max_attempts must be at least 1".into(),
            ));
        }
        let cron = parse_cron(&schedule.cron)?;
        let next_run_at = next_occurrence(&cron, now_ms())?;
        on_pool!(&self.inner.db, |pool| {
            sqlx::query(SQL)
                .bind(&schedule.name)
                .bind(&schedule.cron)
                .bind(&schedule.kind)
                .bind(schedule.payload.to_string())
                .bind(schedule.priority)
                .bind(i32::try_from(schedule.max_attempts).unwrap_or(i32::MAX))
                .bind(next_run_at)
                .bind(schedule.enabled)
                .execute(pool)
                .await?;
        });
        self.schedule(&schedule.name)
            .await?
            .ok_or_else(|| QueueError::InvalidJob("the schedule vanished".into()))
    }

    /// One schedule.
    pub async fn schedule(&self, name: &str) -> Result<Option<ScheduleInfo>, QueueError> {
        const SQL: &str = "SELECT name, cron, kind, payload, priority, max_attempts, \
             next_run_at, last_run_at, enabled FROM schedules WHERE name = $1";
        let row: Option<ScheduleRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(SQL).bind(name).fetch_optional(pool).await?
        });
        Ok(row.map(ScheduleInfo::from))
    }

    /// Every schedule, by name.
    pub async fn schedules(&self) -> Result<Vec<ScheduleInfo>, QueueError> {
        const SQL: &str = "SELECT name, cron, kind, payload, priority, max_attempts, \
             next_run_at, last_run_at, enabled FROM schedules ORDER BY name";
        let rows: Vec<ScheduleRow> = on_pool!(&self.inner.db, |pool| sqlx::query_as(SQL)
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(ScheduleInfo::from).collect())
    }

    /// Removes a schedule; returns whether it existed.
    pub async fn delete_schedule(&self, name: &str) -> Result<bool, QueueError> {
        const SQL: &str = "DELETE FROM schedules WHERE name = $1";
        let done = on_pool!(&self.inner.db, |pool| {
            sqlx::query(SQL)
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Enqueues one job for every enabled schedule due at `now` (workers call this at
    /// each poll). Safe to call from any number of workers at once: a schedule's
    /// occurrence is claimed by `UPDATE schedules SET next_run_at = new WHERE name = ? AND
    /// next_run_at = old` in the transaction that inserts the job. The job's `run_at` is
    /// the occurrence.
    pub async fn enqueue_due_schedules(&self, now: i64) -> Result<Vec<JobId>, QueueError> {
        const DUE: &str = "SELECT name, cron, kind, payload, priority, max_attempts, \
             next_run_at, last_run_at, enabled FROM schedules \
             WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at";
        const CLAIM: &str = "UPDATE schedules SET next_run_at = $3, last_run_at = $2 \
             WHERE name = $1 AND next_run_at = $2 AND enabled";
        let due: Vec<ScheduleRow> = on_pool!(&self.inner.db, |pool| {
            sqlx::query_as(DUE).bind(now).fetch_all(pool).await?
        });
        let mut enqueued = Vec::new();
        for row in due {
            let next = match parse_cron(&row.cron).and_then(|cron| next_occurrence(&cron, now)) {
                Ok(next) => next,
                Err(error) => {
                    tracing::warn!(schedule = %row.name, %error, "skipping a broken schedule");
                    continue;
                }
            };
            let id = JobId::new();
            let job = NewJob {
                kind: row.kind.clone(),
                payload: serde_json::from_str(&row.payload).unwrap_or_default(),
                user_id: None,
                project_id: None,
                priority: row.priority,
                max_attempts: u32::try_from(row.max_attempts).unwrap_or(1).max(1),
                run_at: Some(row.next_run_at),
            };
            let data = json!({
                "kind": job.kind, "priority": job.priority, "run_at": row.next_run_at,
                "schedule": row.name,
            });
            let claimed = on_pool!(&self.inner.db, |pool| {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(CLAIM)
                    .bind(&row.name)
                    .bind(row.next_run_at)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 1 {
                    tx.insert_job(id.as_str(), &job, row.next_run_at, now)
                        .await?;
                    tx.add_event(id.as_str(), now, event::ENQUEUED, &data)
                        .await?;
                    tx.wake_workers().await?;
                    tx.commit().await?;
                    true
                } else {
                    tx.rollback().await?;
                    false
                }
            });
            if claimed {
                enqueued.push(id);
            }
        }
        if !enqueued.is_empty() {
            self.wake_local();
        }
        Ok(enqueued)
    }
}

/// A UTC instant with second resolution, so croner works without a datetime crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UtcSecond(i64);

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // In range by construction: 1 ≤ day ≤ 31, 1 ≤ month ≤ 12.
    (year, month as u32, day as u32)
}

/// (year, month, day) → days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl CronDateTime for UtcSecond {
    fn to_civil(&self) -> CivilDateTime {
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        let secs = self.0.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let year = i32::try_from(year).unwrap_or(i32::MAX);
        // `secs` is below 86 400, so the parts are in range.
        let (hour, minute, second) = (
            (secs / 3600) as u32,
            (secs / 60 % 60) as u32,
            (secs % 60) as u32,
        );
        CivilDateTime::from_ymd_hms_opt(year, month, day, hour, minute, second)
            .expect("civil_from_days yields valid dates")
    }

    fn civil_weekday(&self) -> Weekday {
        // 1970-01-01 was a Thursday (4 days from Sunday).
        let days = self.0.div_euclid(SECONDS_PER_DAY);
        Weekday::from_days_from_sunday((days + 4).rem_euclid(7) as u32)
    }

    fn resolve_civil(&self, civil: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        let days = days_from_civil(i64::from(civil.year()), civil.month(), civil.day());
        let secs = i64::from(civil.hour()) * 3600
            + i64::from(civil.minute()) * 60
            + i64::from(civil.second());
        Ok(Resolution::Single(UtcSecond(days * SECONDS_PER_DAY + secs)))
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0.checked_add(seconds).map(UtcSecond)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24T10:17:30Z
    const T: i64 = 1_795_515_450_000;

    fn check(cron: &str, after_ms: i64, expect_ms: i64) {
        let parsed = parse_cron(cron).expect("valid cron");
        assert_eq!(
            next_occurrence(&parsed, after_ms).expect("next"),
            expect_ms,
            "{cron}"
        );
    }

    #[test]
    fn civil_round_trips() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 20_416, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
    }

    #[test]
    fn next_occurrences_in_utc() {
        // every minute: the next whole minute
        check("* * * * *", T, T + 30_000);
        // nightly at 02:00 UTC: the next day
        check(
            "0 2 * * *",
            T,
            T - (10 * 3600 + 17 * 60 + 30) * 1000 + (24 + 2) * 3600 * 1000,
        );
        // on a boundary: strictly after
        check("* * * * *", T + 30_000, T + 90_000);
        // with seconds
        check("*/10 * * * * *", T, T + 10_000);
        // Mondays at 00:00 (2026-11-24 is a Tuesday): 6 days later
        check(
            "0 0 * * 1",
            T,
            T - (10 * 3600 + 17 * 60 + 30) * 1000 + 6 * 86_400_000,
        );
    }

    #[test]
    fn bad_cron_is_an_error() {
        assert!(parse_cron("every day").is_err());
        assert!(parse_cron("61 * * * *").is_err());
    }
}
