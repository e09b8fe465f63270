//! Independent plan checker: recomputes every constraint from the instance and the
//! plan's stated times, sharing no code with the solver's scheduling, so a solver bug
//! cannot hide itself. Used by the bench and the tests, and worth running before a plan
//! goes to the drivers.

use super::model::Instance;
use super::solver::{Plan, StopKind};
use thiserror::Error;

/// Slack for rounding in stated times (minutes).
const TOL: f64 = 1e-5;

#[derive(Clone, Debug, PartialEq, Error)]
pub enum Violation {
    #[error("route uses vehicle {vehicle}, which does not exist")]
    UnknownVehicle { vehicle: usize },
    #[error("vehicle {vehicle} has more than one route")]
    VehicleUsedTwice { vehicle: usize },
    #[error("request {request} does not exist")]
    UnknownRequest { request: usize },
    #[error("request {request} is neither served nor reported as unserved")]
    NotPlanned { request: usize },
    #[error("request {request} is served and also reported as unserved")]
    ServedAndUnserved { request: usize },
    #[error("request {request} is reported as unserved twice")]
    UnservedTwice { request: usize },
    #[error("request {request}: {what} appears {count} times (expected once)")]
    StopCount { request: usize, what: &'static str, count: usize },
    #[error("request {request}: pickup and drop-off are in different vehicles")]
    SplitAcrossRoutes { request: usize },
    #[error("request {request}: drop-off comes before the pickup")]
    DropoffBeforePickup { request: usize },
    #[error("vehicle {vehicle}, stop {position}: begins at {begin:.3}, but cannot be there before {earliest:.3}")]
    TooFast { vehicle: usize, position: usize, begin: f64, earliest: f64 },
    #[error("vehicle {vehicle}, stop {position}: begins at {begin:.3}, before its stated arrival {arrival:.3}")]
    BeginBeforeArrival { vehicle: usize, position: usize, begin: f64, arrival: f64 },
    #[error("request {request}: {kind:?} begins at {begin:.3}, outside its window [{earliest:.3}, {latest:.3}]")]
    TimeWindow { request: usize, kind: StopKind, begin: f64, earliest: f64, latest: f64 },
    #[error("request {request}: return pickup at {begin:.3}, before the appointment ends at {earliest:.3}")]
    ReturnBeforeAppointmentEnds { request: usize, begin: f64, earliest: f64 },
    #[error("request {request}: ride time {ride:.3} exceeds the maximum {max:.3}")]
    RideTime { request: usize, ride: f64, max: f64 },
    #[error("vehicle {vehicle}, stop {position}: {load} seats occupied, vehicle has {capacity}")]
    Seats { vehicle: usize, position: usize, load: i64, capacity: u32 },
    #[error("vehicle {vehicle}, stop {position}: {load} wheelchair places occupied, vehicle has {capacity}")]
    Wheelchairs { vehicle: usize, position: usize, load: i64, capacity: u32 },
    #[error("vehicle {vehicle}: leaves the depot at {depart:.3}, before the shift starts at {shift_start:.3}")]
    ShiftStart { vehicle: usize, depart: f64, shift_start: f64 },
    #[error("vehicle {vehicle}: back at the depot at {arrive:.3}, after the shift ends at {shift_end:.3}")]
    ShiftEnd { vehicle: usize, arrive: f64, shift_end: f64 },
    #[error("vehicle {vehicle}: route takes {duration:.3}, more than the maximum {max:.3}")]
    RouteDuration { vehicle: usize, duration: f64, max: f64 },
    #[error("plan states cost {stated:.3}, the routes add up to {actual:.3}")]
    CostMismatch { stated: f64, actual: f64 },
}

/// Total travel time of the plan's routes, recomputed from the instance.
pub fn plan_cost(inst: &Instance, plan: &Plan) -> f64 {
    let mut total = 0.0;
    for route in &plan.routes {
        let Some(v) = inst.vehicles.get(route.vehicle) else { continue };
        if route.stops.is_empty() {
            continue;
        }
        let mut at = v.start_place;
        for s in &route.stops {
            let Some(req) = inst.requests.get(s.request) else { continue };
            let place = if s.kind == StopKind::Pickup { req.pickup.place } else { req.dropoff.place };
            total += inst.travel.minutes(at, place);
            at = place;
        }
        total += inst.travel.minutes(at, v.end_place);
    }
    total
}

/// Every violated constraint of `plan`; empty means the plan is valid.
pub fn validate(inst: &Instance, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let n = inst.requests.len();
    // Where each request's stops are: (route index, stop index).
    let mut pickups: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut dropoffs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut used = vec![false; inst.vehicles.len()];
    for (ri, route) in plan.routes.iter().enumerate() {
        let Some(v) = inst.vehicles.get(route.vehicle) else {
            out.push(Violation::UnknownVehicle { vehicle: route.vehicle });
            continue;
        };
        if std::mem::replace(&mut used[route.vehicle], true) {
            out.push(Violation::VehicleUsedTwice { vehicle: route.vehicle });
        }
        let vehicle = route.vehicle;
        if route.depart < v.shift.earliest - TOL {
            out.push(Violation::ShiftStart { vehicle, depart: route.depart, shift_start: v.shift.earliest });
        }
        let (mut at, mut ready) = (v.start_place, route.depart);
        let (mut seats, mut chairs) = (0i64, 0i64);
        for (si, stop) in route.stops.iter().enumerate() {
            let Some(req) = inst.requests.get(stop.request) else {
                out.push(Violation::UnknownRequest { request: stop.request });
                continue;
            };
            let (s, sign) = match stop.kind {
                StopKind::Pickup => {
                    pickups[stop.request].push((ri, si));
                    (&req.pickup, 1)
                }
                StopKind::Dropoff => {
                    dropoffs[stop.request].push((ri, si));
                    (&req.dropoff, -1)
                }
            };
            let earliest = ready + inst.travel.minutes(at, s.place);
            if stop.begin < earliest - TOL || stop.arrival < earliest - TOL {
                out.push(Violation::TooFast { vehicle, position: si, begin: stop.begin.min(stop.arrival), earliest });
            }
            if stop.begin < stop.arrival - TOL {
                out.push(Violation::BeginBeforeArrival { vehicle, position: si, begin: stop.begin, arrival: stop.arrival });
            }
            if stop.begin < s.window.earliest - TOL || stop.begin > s.window.latest + TOL {
                out.push(Violation::TimeWindow {
                    request: stop.request,
                    kind: stop.kind,
                    begin: stop.begin,
                    earliest: s.window.earliest,
                    latest: s.window.latest,
                });
            }
            seats += sign * req.seats as i64;
            chairs += sign * req.wheelchairs as i64;
            if seats > v.seats as i64 {
                out.push(Violation::Seats { vehicle, position: si, load: seats, capacity: v.seats });
            }
            if chairs > v.wheelchairs as i64 {
                out.push(Violation::Wheelchairs { vehicle, position: si, load: chairs, capacity: v.wheelchairs });
            }
            at = s.place;
            ready = stop.begin + s.service;
        }
        if !route.stops.is_empty() {
            let back = ready + inst.travel.minutes(at, v.end_place);
            if route.arrive < back - TOL {
                out.push(Violation::TooFast { vehicle, position: route.stops.len(), begin: route.arrive, earliest: back });
            }
            if route.arrive > v.shift.latest + TOL {
                out.push(Violation::ShiftEnd { vehicle, arrive: route.arrive, shift_end: v.shift.latest });
            }
            if route.arrive - route.depart > v.max_duration + TOL {
                out.push(Violation::RouteDuration { vehicle, duration: route.arrive - route.depart, max: v.max_duration });
            }
        }
    }
    let mut unserved = vec![0usize; n];
    for u in &plan.unserved {
        match unserved.get_mut(u.request) {
            Some(c) => *c += 1,
            None => out.push(Violation::UnknownRequest { request: u.request }),
        }
    }
    for r in 0..n {
        let (ps, ds) = (&pickups[r], &dropoffs[r]);
        if unserved[r] > 1 {
            out.push(Violation::UnservedTwice { request: r });
        }
        if ps.is_empty() && ds.is_empty() {
            if unserved[r] == 0 {
                out.push(Violation::NotPlanned { request: r });
            }
            continue;
        }
        if unserved[r] > 0 {
            out.push(Violation::ServedAndUnserved { request: r });
        }
        if ps.len() != 1 {
            out.push(Violation::StopCount { request: r, what: "pickup", count: ps.len() });
        }
        if ds.len() != 1 {
            out.push(Violation::StopCount { request: r, what: "drop-off", count: ds.len() });
        }
        let (Some(&(rp, sp)), Some(&(rd, sd))) = (ps.first(), ds.first()) else { continue };
        if rp != rd {
            out.push(Violation::SplitAcrossRoutes { request: r });
            continue;
        }
        if sd < sp {
            out.push(Violation::DropoffBeforePickup { request: r });
        }
        let req = &inst.requests[r];
        let (p, d) = (&plan.routes[rp].stops[sp], &plan.routes[rd].stops[sd]);
        let ride = d.begin - (p.begin + req.pickup.service);
        if ride > req.max_ride + TOL {
            out.push(Violation::RideTime { request: r, ride, max: req.max_ride });
        }
        if let Some(link) = req.link
            && let Some(outbound) = inst.requests.get(link.outbound)
        {
            let earliest = outbound.dropoff.window.latest + link.appointment;
            if p.begin < earliest - TOL {
                out.push(Violation::ReturnBeforeAppointmentEnds { request: r, begin: p.begin, earliest });
            }
        }
    }
    let actual = plan_cost(inst, plan);
    if (actual - plan.cost).abs() > 1e-6 * actual.max(1.0) {
        out.push(Violation::CostMismatch { stated: plan.cost, actual });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::model::*;
    use crate::dispatch::solver::{PlannedStop, RoutePlan, Unserved, UnservedReason};
    use std::sync::Arc;

    /// Two requests on a line (place = x coordinate); one vehicle with 2 seats and one
    /// wheelchair place. The valid plan picks both up, then drops both off.
    fn instance() -> Instance {
        let eu = Euclidean::new((0..6).map(|x| (x as f64 * 10.0, 0.0)).collect());
        let req = |p: usize, d: usize| Request {
            pickup: Stop { place: p, window: TimeWindow::new(0.0, 100.0), service: 1.0 },
            dropoff: Stop { place: d, window: TimeWindow::new(0.0, 200.0), service: 1.0 },
            seats: 1,
            wheelchairs: 0,
            max_ride: 50.0,
            link: None,
        };
        let van =
            Vehicle { start_place: 0, end_place: 0, shift: TimeWindow::new(0.0, 300.0), seats: 2, wheelchairs: 1, max_duration: 200.0 };
        Instance::new("v", vec![req(1, 3), req(2, 4)], vec![van], Arc::new(eu)).unwrap()
    }

    fn stop(request: usize, kind: StopKind, t: f64) -> PlannedStop {
        PlannedStop { request, kind, arrival: t, begin: t }
    }

    /// depot(0) -> p0 @10 -> p1 @21 -> d0 @32 -> d1 @43 -> depot @84.
    fn valid_plan() -> Plan {
        let stops = vec![
            stop(0, StopKind::Pickup, 10.0),
            stop(1, StopKind::Pickup, 21.0),
            stop(0, StopKind::Dropoff, 32.0),
            stop(1, StopKind::Dropoff, 43.0),
        ];
        Plan { routes: vec![RoutePlan { vehicle: 0, depart: 0.0, arrive: 84.0, stops }], unserved: vec![], cost: 80.0 }
    }

    fn has(inst: &Instance, plan: &Plan, pred: impl Fn(&Violation) -> bool) -> bool {
        let v = validate(inst, plan);
        assert!(v.iter().any(&pred), "expected violation not found in {v:?}");
        true
    }

    #[test]
    fn valid_plan_passes() {
        assert_eq!(validate(&instance(), &valid_plan()), vec![]);
    }

    #[test]
    fn catches_time_window() {
        let mut inst = instance();
        inst.requests[0].dropoff.window = TimeWindow::new(0.0, 30.0);
        has(&inst, &valid_plan(), |v| matches!(v, Violation::TimeWindow { request: 0, kind: StopKind::Dropoff, .. }));
        let mut plan = valid_plan();
        inst = instance();
        inst.requests[1].pickup.window = TimeWindow::new(25.0, 100.0);
        plan.cost = 80.0;
        has(&inst, &plan, |v| matches!(v, Violation::TimeWindow { request: 1, kind: StopKind::Pickup, .. }));
    }

    #[test]
    fn catches_seat_capacity() {
        let mut inst = instance();
        inst.vehicles[0].seats = 1;
        has(&inst, &valid_plan(), |v| matches!(v, Violation::Seats { load: 2, capacity: 1, .. }));
    }

    #[test]
    fn catches_wheelchair_capacity() {
        let mut inst = instance();
        inst.requests[0].wheelchairs = 1;
        inst.requests[1].wheelchairs = 1;
        has(&inst, &valid_plan(), |v| matches!(v, Violation::Wheelchairs { load: 2, capacity: 1, .. }));
    }

    #[test]
    fn catches_ride_time() {
        let mut inst = instance();
        inst.requests[0].max_ride = 20.0; // rides 11..32 = 21
        has(&inst, &valid_plan(), |v| matches!(v, Violation::RideTime { request: 0, .. }));
    }

    #[test]
    fn catches_route_duration_and_shift() {
        let mut inst = instance();
        inst.vehicles[0].max_duration = 80.0;
        has(&inst, &valid_plan(), |v| matches!(v, Violation::RouteDuration { .. }));
        let mut inst = instance();
        inst.vehicles[0].shift = TimeWindow::new(5.0, 80.0);
        has(&inst, &valid_plan(), |v| matches!(v, Violation::ShiftStart { .. }));
        has(&inst, &valid_plan(), |v| matches!(v, Violation::ShiftEnd { .. }));
    }

    #[test]
    fn catches_impossible_travel_times() {
        let mut plan = valid_plan();
        plan.routes[0].stops[1].begin = 15.0;
        plan.routes[0].stops[1].arrival = 15.0;
        has(&instance(), &plan, |v| matches!(v, Violation::TooFast { position: 1, .. }));
        let mut plan = valid_plan();
        plan.routes[0].arrive = 50.0;
        has(&instance(), &plan, |v| matches!(v, Violation::TooFast { position: 4, .. }));
        let mut plan = valid_plan();
        plan.routes[0].stops[0].arrival = 12.0;
        has(&instance(), &plan, |v| matches!(v, Violation::BeginBeforeArrival { .. }));
    }

    #[test]
    fn catches_pairing_and_precedence() {
        let inst = instance();
        // Drop-off before pickup.
        let mut plan = valid_plan();
        plan.routes[0].stops.swap(0, 2);
        has(&inst, &plan, |v| matches!(v, Violation::DropoffBeforePickup { request: 0 }));
        // Missing drop-off.
        let mut plan = valid_plan();
        plan.routes[0].stops.remove(3);
        has(&inst, &plan, |v| matches!(v, Violation::StopCount { request: 1, what: "drop-off", count: 0 }));
        // Request served twice.
        let mut plan = valid_plan();
        plan.routes[0].stops.push(stop(1, StopKind::Dropoff, 60.0));
        has(&inst, &plan, |v| matches!(v, Violation::StopCount { request: 1, what: "drop-off", count: 2 }));
        // Pickup and drop-off in different vehicles.
        let mut inst2 = instance();
        inst2.vehicles.push(inst2.vehicles[0].clone());
        let mut plan = valid_plan();
        let d1 = plan.routes[0].stops.remove(3);
        plan.routes.push(RoutePlan {
            vehicle: 1,
            depart: 0.0,
            arrive: 100.0,
            stops: vec![PlannedStop { arrival: 40.0, begin: 43.0, ..d1 }],
        });
        has(&inst2, &plan, |v| matches!(v, Violation::SplitAcrossRoutes { request: 1 }));
        // The same vehicle twice, and a vehicle that does not exist.
        let mut plan = valid_plan();
        plan.routes.push(RoutePlan { vehicle: 0, depart: 0.0, arrive: 0.0, stops: vec![] });
        plan.routes.push(RoutePlan { vehicle: 7, depart: 0.0, arrive: 0.0, stops: vec![] });
        has(&inst, &plan, |v| matches!(v, Violation::VehicleUsedTwice { vehicle: 0 }));
        has(&inst, &plan, |v| matches!(v, Violation::UnknownVehicle { vehicle: 7 }));
    }

    #[test]
    fn catches_silently_dropped_and_double_reported_requests() {
        let inst = instance();
        let mut plan = valid_plan();
        plan.routes[0].stops.retain(|s| s.request != 1);
        has(&inst, &plan, |v| matches!(v, Violation::NotPlanned { request: 1 }));
        let mut plan = valid_plan();
        plan.unserved.push(Unserved { request: 0, reason: UnservedReason::FleetBusy });
        has(&inst, &plan, |v| matches!(v, Violation::ServedAndUnserved { request: 0 }));
    }

    #[test]
    fn catches_linked_return_before_appointment_end() {
        let mut inst = instance();
        // Request 1 returns from request 0's appointment, which starts at 30 and lasts 60.
        inst.requests[0].dropoff.window = TimeWindow::new(0.0, 30.0);
        inst.requests[1].link = Some(Link { outbound: 0, appointment: 60.0 });
        has(&inst, &valid_plan(), |v| matches!(v, Violation::ReturnBeforeAppointmentEnds { request: 1, .. }));
    }

    #[test]
    fn catches_wrong_cost() {
        let mut plan = valid_plan();
        plan.cost = 70.0;
        has(&instance(), &plan, |v| matches!(v, Violation::CostMismatch { .. }));
    }
}
