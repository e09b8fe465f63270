//! Dynamic insertion: a phone booking goes into the existing day plan while the caller
//! waits, or the caller hears the nearest times that would work.
//!
//! Only the new request moves into the plan; existing stops keep their order, so
//! promises already made (announced pickup windows) stay kept. Re-optimising the whole
//! day is the job of [`super::solver::solve`], e.g. overnight.

use super::model::{Instance, Request, TimeWindow};
use super::schedule::{Network, Scheduler};
use super::solver::{Plan, RouteInfo, UnservedReason, apply, best_insertion, diagnose, from_plan, to_plan};
use serde::Serialize;
use thiserror::Error;

/// Half-width of the pickup window announced to the caller ("between 8:50 and 9:10").
pub const ANNOUNCE_HALF_WIDTH: f64 = 10.0;

/// Shifts of the desired times tried when the booking does not fit, nearest first.
pub const SHIFTS: [f64; 6] = [-15.0, 15.0, -30.0, 30.0, -60.0, 60.0];

/// The booking fits.
#[derive(Clone, Debug)]
pub struct Inserted {
    /// The instance with the new request appended; its pickup window is narrowed to the
    /// announced one, so later insertions keep the promise.
    pub instance: Instance,
    pub plan: Plan,
    /// Index of the new request.
    pub request: usize,
    pub pickup_window: TimeWindow,
}

/// A time that would work, relative to the desired one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alternative {
    /// Minutes added to both time windows (negative = earlier).
    pub shift_minutes: f64,
    pub pickup_window: TimeWindow,
}

/// The booking does not fit as asked.
#[derive(Clone, Debug, PartialEq, Serialize, Error)]
#[error("the ride cannot be planned as asked: {reason} ({} alternative times)", options.len())]
pub struct Alternatives {
    pub reason: UnservedReason,
    /// Nearest first; empty when no shift helps either.
    pub options: Vec<Alternative>,
}

/// Best insertion of `request` into `plan`, or the nearest alternative times.
pub fn insert_request(inst: &Instance, plan: &Plan, request: Request) -> Result<Inserted, Alternatives> {
    let mut grown = match with_request(inst, request.clone()) {
        Ok(i) => i,
        Err(what) => return Err(Alternatives { reason: UnservedReason::Invalid { what }, options: vec![] }),
    };
    let r = grown.requests.len() - 1;
    let net = Network::new(&grown);
    let mut routes = from_plan(&net, plan);
    let mut sched = Scheduler::new(&net);
    if let Some((k, window)) = place(&net, &mut sched, &mut routes, r) {
        grown.requests[r].pickup.window = window;
        let narrowed = Network::new(&grown);
        let mut check = Scheduler::new(&narrowed);
        let (net, window) = if check.evaluate(&narrowed, k, &routes[k]) {
            (narrowed, window)
        } else {
            // The scheduling heuristic did not find the same times again: promise the
            // request's own window instead of a narrower one.
            grown.requests[r].pickup.window = request.pickup.window;
            (net, request.pickup.window)
        };
        let plan = to_plan(&net, &routes, plan.unserved.clone());
        return Ok(Inserted { instance: grown, plan, request: r, pickup_window: window });
    }
    let reason = diagnose(&net, &mut sched, &grown, r).unwrap_or(UnservedReason::FleetBusy);
    let mut options = Vec::new();
    for shift in SHIFTS {
        let mut moved = request.clone();
        for w in [&mut moved.pickup.window, &mut moved.dropoff.window] {
            w.earliest = (w.earliest + shift).max(0.0);
            w.latest += shift;
        }
        let Ok(trial) = with_request(inst, moved) else { continue };
        let net = Network::new(&trial);
        let mut routes = from_plan(&net, plan);
        let mut sched = Scheduler::new(&net);
        if let Some((_, pickup_window)) = place(&net, &mut sched, &mut routes, r) {
            options.push(Alternative { shift_minutes: shift, pickup_window });
        }
    }
    Err(Alternatives { reason, options })
}

fn with_request(inst: &Instance, request: Request) -> Result<Instance, String> {
    let mut requests = inst.requests.clone();
    requests.push(request);
    Instance::new(inst.name.clone(), requests, inst.vehicles.clone(), inst.travel.clone()).map_err(|e| e.to_string())
}

/// Inserts request `r` at its cheapest feasible place; returns the vehicle and the
/// pickup window to announce.
fn place(net: &Network, sched: &mut Scheduler, routes: &mut [Vec<u32>], r: usize) -> Option<(usize, TimeWindow)> {
    let mut buf = Vec::new();
    let mut best = None;
    let mut bound = f64::INFINITY;
    for (k, route) in routes.iter().enumerate() {
        let info = RouteInfo::new(net, k, route);
        if let Some(ins) = best_insertion(net, sched, &mut buf, k, route, &info, r, bound) {
            bound = ins.cost;
            best = Some((k, ins));
        }
    }
    let (k, ins) = best?;
    apply(&mut routes[k], net, r, ins);
    let ok = sched.evaluate(net, k, &routes[k]);
    debug_assert!(ok);
    let pos = routes[k].iter().position(|&v| v == net.pickup(r)).expect("just inserted");
    let begin = sched.begin(pos + 1);
    let (e, l) = (net.earliest[r], net.latest[r]);
    let window = TimeWindow::new((begin - ANNOUNCE_HALF_WIDTH).max(e), (begin + ANNOUNCE_HALF_WIDTH).min(l));
    Some((k, window))
}
