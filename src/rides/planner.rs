//! Planning a service day: every office's open requests with its own vehicles, solved by
//! the dispatcher, checked by the independent validator, stored as the day's plan.

use super::RidesError;
use super::day;
use super::store::{self, FleetVehicle, PlanRows, RideRequest};
use crate::config::RidesConfig;
use crate::db::Db;
use crate::dispatch::{SolverConfig, solve, validate};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// A stored day plan with what it refers to, for showing it.
#[derive(Debug, Clone)]
pub struct DayPlan {
    pub id: String,
    pub rows: PlanRows,
    /// Every request of the day, planned or not.
    pub requests: Vec<RideRequest>,
    pub vehicles: Vec<FleetVehicle>,
}

/// Plans `date` and stores the plan, replacing an older one. `time_limit` is the search
/// time for the whole day, shared by the offices.
pub async fn plan_day(db: &Db, date: NaiveDate, rules: &RidesConfig, seed: u64, time_limit: Duration) -> Result<DayPlan, RidesError> {
    let requests = store::requests_on(db, date).await?;
    let vehicles = store::active_vehicles(db).await?;
    let offices: BTreeSet<&str> = requests.iter().filter(|r| r.status.is_open()).map(|r| r.office_id.as_str()).collect();
    let mut days = Vec::new();
    for office in offices {
        let open: Vec<RideRequest> = requests.iter().filter(|r| r.office_id == office && r.status.is_open()).cloned().collect();
        let fleet: Vec<FleetVehicle> = vehicles.iter().filter(|v| v.office_id == office).cloned().collect();
        let day = day::build(date, &open, &fleet, rules)?;
        days.push((office.to_string(), open, fleet, day));
    }
    // Search time goes to the offices with something to search.
    let searching = days.iter().filter(|(.., day)| !day.instance.requests.is_empty()).count();
    let config = SolverConfig { seed, time_limit: Some(time_limit.div_f64(searching.max(1) as f64)), max_iterations: None };
    let started = Instant::now();
    let mut rows = PlanRows { service_date: date, seed, cost: 0.0, solver_seconds: 0.0, stops: Vec::new(), unserved: Vec::new() };
    for (office, open, fleet, day) in days {
        let config = config.clone();
        // The search keeps a core busy for seconds: off the async reactor.
        let (day, plan) = tokio::task::spawn_blocking(move || {
            let plan = solve(&day.instance, &config);
            (day, plan)
        })
        .await
        .map_err(|e| RidesError::Solver(e.to_string()))?;
        let violations = validate(&day.instance, &plan);
        if !violations.is_empty() {
            return Err(RidesError::InvalidPlan { office, violations: violations.iter().map(ToString::to_string).collect() });
        }
        tracing::info!(
            office,
            requests = open.len(),
            vehicles = fleet.len(),
            unserved = plan.unserved.len() + day.left_out.len(),
            cost = plan.cost,
            "planned"
        );
        let (stops, unserved) = day.rows(&plan, &open, &fleet);
        rows.cost += plan.cost;
        rows.stops.extend(stops);
        rows.unserved.extend(unserved);
    }
    rows.solver_seconds = started.elapsed().as_secs_f64();
    let id = store::save_plan(db, &rows).await?;
    Ok(DayPlan { id, rows, requests, vehicles })
}
