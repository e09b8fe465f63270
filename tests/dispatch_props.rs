//! Property-style tests of the dispatcher: random instances from the generator, every
//! plan checked by the independent validator.

use seniorentelefon::dispatch::bench::{GeneratorConfig, generate};
use seniorentelefon::dispatch::model::OPEN_END;
use seniorentelefon::dispatch::{
    Euclidean, Haversine, Instance, Link, MatrixTimes, Request, SolverConfig, Stop, StopKind, TimeWindow, TravelTimes, UnservedReason,
    Vehicle, insert_request, solve, validate,
};
use std::sync::Arc;

fn iterations(n: u64) -> SolverConfig {
    SolverConfig { seed: 7, time_limit: None, max_iterations: Some(n) }
}

#[test]
fn every_plan_is_valid_and_every_request_accounted_for() {
    for case in 0..120u64 {
        let requests = 3 + (case % 12) as usize;
        let vehicles = 1 + (case % 3) as usize;
        let g = generate(&GeneratorConfig { requests, vehicles, extra: 0, seed: case, variety: case % 4 != 0 });
        let inst = &g.instance;
        let plan = solve(inst, &SolverConfig { seed: case, time_limit: None, max_iterations: Some(150) });
        let violations = validate(inst, &plan);
        assert!(violations.is_empty(), "case {case}: {violations:?}");
        // Served or reported, never both, never neither (the validator checks this too).
        let served = plan.routes.iter().flat_map(|r| &r.stops).filter(|s| s.kind == StopKind::Pickup).count();
        assert_eq!(served + plan.unserved.len(), inst.requests.len(), "case {case}");
        for u in &plan.unserved {
            assert!(!u.reason.to_string().is_empty());
            if inst.requests[u.request].wheelchairs > 1 {
                assert!(matches!(u.reason, UnservedReason::NoWheelchairPlace { .. }), "case {case}: {:?}", u.reason);
            }
        }
        for (r, req) in inst.requests.iter().enumerate() {
            if req.wheelchairs > 1 {
                assert!(plan.unserved.iter().any(|u| u.request == r), "case {case}: request {r} needs 2 wheelchair places");
            }
        }
    }
}

#[test]
fn same_seed_same_plan() {
    let g = generate(&GeneratorConfig { requests: 24, vehicles: 3, extra: 0, seed: 3, variety: true });
    let a = solve(&g.instance, &iterations(400));
    let b = solve(&g.instance, &iterations(400));
    assert_eq!(a, b);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/darp-cordeau/a2-16.txt");
    if let Ok(inst) = seniorentelefon::dispatch::cordeau::load(&dir) {
        let a = solve(&inst, &iterations(300));
        let b = solve(&inst, &iterations(300));
        assert_eq!(a, b);
        assert!(validate(&inst, &a).is_empty());
        assert!(a.unserved.is_empty());
    }
}

#[test]
fn dynamic_insertion_keeps_the_plan_valid_and_the_promises() {
    let g = generate(&GeneratorConfig { requests: 40, vehicles: 4, extra: 40, seed: 11, variety: false });
    let mut inst = g.instance.clone();
    let mut plan = solve(&inst, &iterations(300));
    assert!(validate(&inst, &plan).is_empty());
    let (mut ok, mut alt) = (0, 0);
    for req in g.extra {
        match insert_request(&inst, &plan, req) {
            Ok(ins) => {
                ok += 1;
                let v = validate(&ins.instance, &ins.plan);
                assert!(v.is_empty(), "{v:?}");
                // The pickup happens inside the announced window, and the instance keeps it.
                let stop =
                    ins.plan.routes.iter().flat_map(|r| &r.stops).find(|s| s.request == ins.request && s.kind == StopKind::Pickup).unwrap();
                assert!(ins.pickup_window.contains(stop.begin));
                assert!(ins.pickup_window.latest - ins.pickup_window.earliest <= 20.0 + 1e-9);
                assert_eq!(ins.instance.requests[ins.request].pickup.window, ins.pickup_window);
                // Earlier requests keep their place in the plan.
                assert_eq!(ins.plan.unserved, plan.unserved);
                inst = ins.instance;
                plan = ins.plan;
            }
            Err(a) => {
                alt += 1;
                assert!(!a.to_string().is_empty());
            }
        }
    }
    assert!(ok > 0, "{ok} inserted, {alt} alternatives");
    assert_eq!(validate(&inst, &plan), vec![]);
}

/// Places on a line (x = index * 10), one vehicle.
fn line_instance(requests: Vec<Request>, vehicles: Vec<Vehicle>) -> Instance {
    let eu = Euclidean::new((0..10).map(|x| (x as f64 * 10.0, 0.0)).collect());
    Instance::new("line", requests, vehicles, Arc::new(eu)).unwrap()
}

fn req(p: usize, d: usize, pw: TimeWindow, dw: TimeWindow) -> Request {
    Request {
        pickup: Stop { place: p, window: pw, service: 1.0 },
        dropoff: Stop { place: d, window: dw, service: 1.0 },
        seats: 1,
        wheelchairs: 0,
        max_ride: 60.0,
        link: None,
    }
}

fn van(seats: u32, wheelchairs: u32) -> Vehicle {
    Vehicle { start_place: 0, end_place: 0, shift: TimeWindow::new(0.0, 600.0), seats, wheelchairs, max_duration: 600.0 }
}

#[test]
fn infeasible_requests_come_back_with_their_reason() {
    let open = TimeWindow::open();
    let mut wheelchair = req(1, 2, open, open);
    wheelchair.wheelchairs = 1;
    let mut party = req(1, 2, open, open);
    party.seats = 4;
    let mut rushed = req(1, 9, open, open);
    rushed.max_ride = 30.0; // 80 minutes direct
    let mut unreachable = req(1, 9, TimeWindow::new(100.0, 110.0), TimeWindow::new(0.0, 150.0));
    unreachable.max_ride = 100.0;
    let outbound = req(1, 3, open, TimeWindow::new(0.0, 300.0));
    let mut back = req(3, 1, TimeWindow::new(0.0, 320.0), open);
    back.link = Some(Link { outbound: 4, appointment: 60.0 }); // appointment ends at 360
    // Two rides at the same time in opposite directions, for a single one-seat vehicle.
    let busy_a = req(1, 2, TimeWindow::new(100.0, 101.0), open);
    let busy_b = req(8, 7, TimeWindow::new(100.0, 101.0), open);
    let inst = line_instance(vec![wheelchair, party, rushed, unreachable, outbound, back, busy_a, busy_b], vec![van(3, 0)]);
    let plan = solve(&inst, &iterations(100));
    assert!(validate(&inst, &plan).is_empty());
    let reason = |r: usize| plan.unserved.iter().find(|u| u.request == r).map(|u| u.reason.clone());
    assert!(matches!(reason(0), Some(UnservedReason::NoWheelchairPlace { needed: 1, largest: 0 })));
    assert!(matches!(reason(1), Some(UnservedReason::TooManySeats { needed: 4, largest: 3 })));
    assert!(matches!(reason(2), Some(UnservedReason::RideTooLong { .. })));
    assert!(matches!(reason(3), Some(UnservedReason::WindowsUnreachable)));
    assert_eq!(reason(4), None);
    assert!(matches!(reason(5), Some(UnservedReason::EmptyPickupWindow { .. })));
    let busy: Vec<_> = [6, 7].into_iter().filter_map(reason).collect();
    assert_eq!(busy, vec![UnservedReason::FleetBusy]);
}

#[test]
fn a_booking_that_does_not_fit_gets_alternative_times() {
    let open = TimeWindow::open();
    // One one-seat vehicle, busy from x=30 to x=40 at 100; a second ride from x=10 to x=20
    // at 100 cannot be done, but half an hour earlier it can.
    let inst = line_instance(vec![req(3, 4, TimeWindow::new(100.0, 105.0), open)], vec![van(1, 0)]);
    let plan = solve(&inst, &iterations(50));
    let err = insert_request(&inst, &plan, req(1, 2, TimeWindow::new(100.0, 105.0), open)).unwrap_err();
    assert_eq!(err.reason, UnservedReason::FleetBusy);
    assert!(!err.options.is_empty(), "{err:?}");
    for o in &err.options {
        assert!(o.shift_minutes.abs() >= 15.0);
    }
    assert!(err.options.iter().any(|o| o.shift_minutes == -30.0), "{err:?}");
    // And a booking at a free time fits.
    let ok = insert_request(&inst, &plan, req(1, 2, TimeWindow::new(300.0, 305.0), open)).unwrap();
    assert!(validate(&ok.instance, &ok.plan).is_empty());
}

#[test]
fn travel_time_sources() {
    // Dortmund Hbf to Hörde, about 4.7 km straight; 1.3 detour at 30 km/h is about 12 min.
    let h = Haversine::new(vec![(51.5178, 7.4593), (51.4879, 7.5067)], 1.3, 30.0);
    let km = h.km(0, 1);
    assert!((4.0..5.5).contains(&km), "{km}");
    assert!((h.minutes(0, 1) - km * 1.3 / 30.0 * 60.0).abs() < 1e-9);
    let m = MatrixTimes::from_csv("# from\\to\n0, 5; 7\n4,0,3\n\n6;2;0\n").unwrap();
    assert_eq!((m.places(), m.minutes(0, 2), m.minutes(2, 1)), (3, 7.0, 2.0));
    assert!(MatrixTimes::from_csv("0,1\n1\n").unwrap_err().to_string().contains("square"));
    assert!(MatrixTimes::from_csv("0,x\n1,0\n").unwrap_err().to_string().contains("not a number"));
    assert!(MatrixTimes::from_csv("0,-1\n1,0\n").is_err());
    let _ = OPEN_END;
}

#[test]
fn every_schedule_the_scheduler_accepts_passes_the_validator() {
    use seniorentelefon::dispatch::schedule::{Network, Scheduler};
    use seniorentelefon::dispatch::{Plan, PlannedStop, RoutePlan};
    let mut accepted = 0;
    for case in 0..300u64 {
        let g = generate(&GeneratorConfig { requests: 4, vehicles: 1, extra: 0, seed: 1000 + case, variety: case % 2 == 0 });
        let inst = &g.instance;
        let net = Network::new(inst);
        let mut sched = Scheduler::new(&net);
        // Requests in time order; each drop-off right after its pickup or after the next
        // pickup, chosen pseudo-randomly, so that a fair share of sequences is feasible.
        let key = |r: usize| {
            let q = &inst.requests[r];
            q.pickup.window.earliest.max(q.dropoff.window.earliest - 30.0)
        };
        let mut order: Vec<usize> = (0..net.n).collect();
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
        let mut route: Vec<u32> = Vec::new();
        let mut x = case.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut pending: Option<usize> = None;
        for &r in &order {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            route.push(net.pickup(r));
            if let Some(prev) = pending.take() {
                route.push(net.dropoff(prev));
            }
            if x % 2 == 0 {
                route.push(net.dropoff(r));
            } else {
                pending = Some(r);
            }
        }
        if let Some(prev) = pending {
            route.push(net.dropoff(prev));
        }
        if !sched.evaluate(&net, 0, &route) {
            continue;
        }
        accepted += 1;
        let stops = route
            .iter()
            .enumerate()
            .map(|(i, &v)| PlannedStop {
                request: net.request(v),
                kind: if net.is_pickup(v) { StopKind::Pickup } else { StopKind::Dropoff },
                arrival: sched.arrival(i + 1),
                begin: sched.begin(i + 1),
            })
            .collect();
        let plan = Plan {
            routes: vec![RoutePlan { vehicle: 0, depart: sched.depart(), arrive: sched.begin(route.len() + 1), stops }],
            unserved: vec![],
            cost: net.route_cost(0, &route),
        };
        let v = validate(inst, &plan);
        assert!(v.is_empty(), "case {case}: {v:?}");
    }
    assert!(accepted >= 10, "only {accepted} feasible sequences: the test says little");
}
