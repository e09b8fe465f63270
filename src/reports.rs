//! Figures for the coordinators: calls per day and hour, the ways callers take through
//! the menu, abandoned calls, tickets by topic and office, how long callers wait for the
//! first call-back attempt, bookings and rides. Counts only: nothing here names a caller.
//!
//! Days and hours are the offices' local time; timestamps are stored in UTC, so rows are
//! selected by the UTC bounds of the local days and bucketed here.
//! Not for: drawing or exporting the figures (that is the staff workspace).

use crate::db::{Db, DbError, timestamp};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// The outcome the dialog records when the caller hangs up before finishing.
pub const ABANDONED: &str = "caller_hung_up";

/// A range of local days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Range {
    /// The UTC timestamps of the start of `from` and the end of `to`, local time.
    fn bounds(&self, tz: Tz) -> (String, String) {
        let start = |d: NaiveDate| {
            let local = d.and_hms_opt(0, 0, 0).expect("midnight exists");
            // Midnight is never skipped by German DST changes; earliest() covers any zone where it is ambiguous.
            tz.from_local_datetime(&local).earliest().map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
        };
        (timestamp(start(self.from)), timestamp(start(self.to + chrono::Duration::days(1))))
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| d <= &self.to)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketCount {
    pub office: String,
    pub topic: String,
    pub count: u64,
}

/// Minutes from a call to the office's first call-back attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wait {
    /// Tickets with at least one attempt.
    pub tickets: u64,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub range: Range,
    pub calls: u64,
    /// Every day of the range, also those without calls.
    pub calls_per_day: Vec<Count>,
    /// Hours "00" to "23".
    pub calls_per_hour: Vec<Count>,
    /// Most frequent first, at most [`TOP_PATHS`].
    pub paths: Vec<Count>,
    pub abandoned: u64,
    pub tickets: Vec<TicketCount>,
    pub callback_wait: Wait,
    /// By status.
    pub bookings: Vec<Count>,
    /// Rides on service days in the range, by status.
    pub rides: Vec<Count>,
}

pub const TOP_PATHS: usize = 20;

pub async fn build(db: &Db, range: Range, tz: Tz) -> Result<Report, DbError> {
    let (start, end) = range.bounds(tz);
    let started: Vec<String> = sqlx::query_scalar("SELECT started_at FROM calls WHERE started_at >= $1 AND started_at < $2")
        .bind(&start)
        .bind(&end)
        .fetch_all(db.pool())
        .await?;
    let mut per_day: BTreeMap<NaiveDate, u64> = range.days().map(|d| (d, 0)).collect();
    let mut per_hour = [0u64; 24];
    for t in started.iter().filter_map(|t| DateTime::parse_from_rfc3339(t).ok()) {
        let local = t.with_timezone(&tz);
        *per_day.entry(local.date_naive()).or_default() += 1;
        per_hour[chrono::Timelike::hour(&local) as usize] += 1;
    }
    let paths = counts(
        db,
        "SELECT path AS label, COUNT(*) AS n FROM calls WHERE started_at >= $1 AND started_at < $2 GROUP BY path ORDER BY n DESC, path",
        &start,
        &end,
    )
    .await?;
    let abandoned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE started_at >= $1 AND started_at < $2 AND outcome = $3")
        .bind(&start)
        .bind(&end)
        .bind(ABANDONED)
        .fetch_one(db.pool())
        .await?;
    let tickets = sqlx::query(
        "SELECT o.name AS office, t.topic, COUNT(*) AS n FROM tickets t JOIN offices o ON o.id = t.office_id
         WHERE t.created_at >= $1 AND t.created_at < $2 GROUP BY o.name, t.topic ORDER BY o.name, n DESC, t.topic",
    )
    .bind(&start)
    .bind(&end)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| TicketCount { office: r.get("office"), topic: r.get("topic"), count: r.get::<i64, _>("n").max(0) as u64 })
    .collect();
    Ok(Report {
        range,
        calls: started.len() as u64,
        calls_per_day: per_day.into_iter().map(|(d, count)| Count { label: d.to_string(), count }).collect(),
        calls_per_hour: per_hour.iter().enumerate().map(|(h, &count)| Count { label: format!("{h:02}"), count }).collect(),
        paths: paths.into_iter().take(TOP_PATHS).collect(),
        abandoned: abandoned.max(0) as u64,
        tickets,
        callback_wait: callback_wait(db, &start, &end).await?,
        bookings: counts(
            db,
            "SELECT status AS label, COUNT(*) AS n FROM bookings WHERE created_at >= $1 AND created_at < $2 GROUP BY status ORDER BY status",
            &start,
            &end,
        )
        .await?,
        rides: counts(
            db,
            "SELECT status AS label, COUNT(*) AS n FROM ride_requests WHERE service_date >= $1 AND service_date <= $2 GROUP BY status ORDER BY status",
            &range.from.to_string(),
            &range.to.to_string(),
        )
        .await?,
    })
}

/// Rows of (label, n) for a query over `$1` and `$2`.
async fn counts(db: &Db, sql: &'static str, a: &str, b: &str) -> Result<Vec<Count>, DbError> {
    let rows = sqlx::query(sql).bind(a).bind(b).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(|r| Count { label: r.get("label"), count: r.get::<i64, _>("n").max(0) as u64 }).collect())
}

/// From the call (or, without a call, the ticket's creation) to the first attempt, for
/// tickets created in the range.
async fn callback_wait(db: &Db, start: &str, end: &str) -> Result<Wait, DbError> {
    let rows = sqlx::query(
        "SELECT COALESCE(c.started_at, t.created_at) AS called, MIN(e.at) AS first_attempt
         FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id AND e.kind = 'attempt'
         LEFT JOIN calls c ON c.id = t.call_id
         WHERE t.created_at >= $1 AND t.created_at < $2
         GROUP BY t.id, c.started_at, t.created_at",
    )
    .bind(start)
    .bind(end)
    .fetch_all(db.pool())
    .await?;
    let parse = |s: String| DateTime::parse_from_rfc3339(&s).ok();
    let mut minutes: Vec<i64> = rows
        .into_iter()
        .filter_map(|r| Some((parse(r.get("called"))?, parse(r.get("first_attempt"))?)))
        .map(|(called, attempt)| (attempt - called).num_minutes().max(0))
        .collect();
    minutes.sort_unstable();
    Ok(Wait { tickets: minutes.len() as u64, median_minutes: percentile(&minutes, 50), p90_minutes: percentile(&minutes, 90) })
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p`
/// percent of the values at or below it.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 90)), (Some(5), Some(9)));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[10, 20, 30, 40], 90), Some(40));
    }

    #[test]
    fn local_days_map_to_utc_bounds() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let range = Range { from: d("2026-11-25"), to: d("2026-11-26") };
        let (start, end) = range.bounds(chrono_tz::Europe::Berlin);
        assert_eq!((start.as_str(), end.as_str()), ("2026-11-24T23:00:00.000Z", "2026-11-26T23:00:00.000Z"));
        // Summer time: two hours ahead of UTC.
        let summer = Range { from: d("2026-07-01"), to: d("2026-07-01") };
        assert_eq!(summer.bounds(chrono_tz::Europe::Berlin).0, "2026-06-30T22:00:00.000Z");
        assert_eq!(range.days().count(), 2);
    }
}
