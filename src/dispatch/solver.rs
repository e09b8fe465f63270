//! The day planner: regret insertion to build routes, then adaptive large neighbourhood
//! search (Ropke & Pisinger 2006) with simulated-annealing acceptance to improve them.
//!
//! Objective: total travel time (distance for Cordeau). Requests that cannot be served
//! come back in [`Plan::unserved`] with a reason; the search penalises them heavily, so a
//! request is only left out when no feasible place for it was found.

use super::model::{Instance, TimeWindow};
use super::rng::Rng;
use super::schedule::{EPS, Network, Scheduler};
use serde::Serialize;
use std::time::{Duration, Instant};

/// How long and how the search runs.
#[derive(Clone, Debug)]
pub struct SolverConfig {
    pub seed: u64,
    /// Wall-clock bound. With `None` only `max_iterations` bounds the search, and the
    /// result is the same for the same seed on every machine.
    pub time_limit: Option<Duration>,
    pub max_iterations: Option<u64>,
}

impl Default for SolverConfig {
    fn default() -> Self {
        SolverConfig { seed: 1, time_limit: Some(Duration::from_secs(10)), max_iterations: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    Pickup,
    Dropoff,
}

/// One stop of a route with its planned times.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedStop {
    pub request: usize,
    pub kind: StopKind,
    pub arrival: f64,
    /// Begin of service; the person gets in or out between `begin` and `begin + service`.
    pub begin: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoutePlan {
    pub vehicle: usize,
    /// Departure from the start depot.
    pub depart: f64,
    /// Arrival at the end depot.
    pub arrive: f64,
    pub stops: Vec<PlannedStop>,
}

/// Why a request is not in the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnservedReason {
    /// No vehicle has enough wheelchair places.
    NoWheelchairPlace { needed: u32, largest: u32 },
    /// No vehicle has enough seats.
    TooManySeats { needed: u32, largest: u32 },
    /// The pickup window is empty, e.g. a linked return before its appointment ends.
    EmptyPickupWindow { earliest: f64, latest: f64 },
    /// Even driving straight there, the drop-off window cannot be met.
    WindowsUnreachable,
    /// The direct trip alone is longer than the allowed ride time.
    RideTooLong { direct: f64, max_ride: f64 },
    /// No vehicle's shift or maximum route duration covers the trip.
    OutsideShifts,
    /// Feasible alone, but every suitable vehicle is busy at those times.
    FleetBusy,
    /// The request refers to something that does not exist (a place, an outbound trip).
    Invalid { what: String },
}

impl std::fmt::Display for UnservedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoWheelchairPlace { needed, largest } => write!(f, "needs {needed} wheelchair places, the largest vehicle has {largest}"),
            Self::TooManySeats { needed, largest } => write!(f, "needs {needed} seats, the largest vehicle has {largest}"),
            Self::EmptyPickupWindow { earliest, latest } => {
                write!(f, "pickup window is empty ({earliest:.0} > {latest:.0}), e.g. the appointment ends too late")
            }
            Self::WindowsUnreachable => write!(f, "the drop-off window cannot be reached from the pickup window"),
            Self::RideTooLong { direct, max_ride } => {
                write!(f, "the direct trip takes {direct:.1} min, more than the {max_ride:.1} min allowed on board")
            }
            Self::OutsideShifts => write!(f, "no vehicle shift or route duration covers the trip"),
            Self::FleetBusy => write!(f, "every suitable vehicle is already busy at those times"),
            Self::Invalid { what } => write!(f, "invalid request: {what}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unserved {
    pub request: usize,
    pub reason: UnservedReason,
}

/// A day plan: one route per used vehicle, and the requests left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub routes: Vec<RoutePlan>,
    pub unserved: Vec<Unserved>,
    /// Total travel time of all routes.
    pub cost: f64,
}

/// Plans the day. Every request ends up in a route or in [`Plan::unserved`].
pub fn solve(inst: &Instance, config: &SolverConfig) -> Plan {
    let net = Network::new(inst);
    let mut search = Search::new(&net, config.seed);
    let mut unserved = Vec::new();
    let mut pending = Vec::new();
    for r in 0..net.n {
        match diagnose(&net, &mut search.sched, inst, r) {
            Some(reason) => unserved.push(Unserved { request: r, reason }),
            None => pending.push(r),
        }
    }
    let mut sol = Solution::empty(&net);
    search.repair(&mut sol, pending, Repair::Regret(2), false);
    let best = search.alns(sol, config);
    for &r in &best.unassigned {
        unserved.push(Unserved { request: r, reason: UnservedReason::FleetBusy });
    }
    unserved.sort_by_key(|u| u.request);
    to_plan(&net, &best.routes, unserved)
}

/// Turns node routes into a plan with times.
pub(crate) fn to_plan(net: &Network, routes: &[Vec<u32>], unserved: Vec<Unserved>) -> Plan {
    let mut sched = Scheduler::new(net);
    let mut out = Vec::new();
    let mut cost = 0.0;
    for (k, route) in routes.iter().enumerate() {
        if route.is_empty() {
            continue;
        }
        let ok = sched.evaluate(net, k, route);
        debug_assert!(ok, "a route in the solution must be feasible");
        cost += net.route_cost(k, route);
        let stops = route
            .iter()
            .enumerate()
            .map(|(i, &node)| PlannedStop {
                request: net.request(node),
                kind: if net.is_pickup(node) { StopKind::Pickup } else { StopKind::Dropoff },
                arrival: sched.arrival(i + 1),
                begin: sched.begin(i + 1),
            })
            .collect();
        out.push(RoutePlan { vehicle: k, depart: sched.depart(), arrive: sched.begin(route.len() + 1), stops });
    }
    Plan { routes: out, unserved, cost }
}

/// Node routes of a plan, one per vehicle.
pub(crate) fn from_plan(net: &Network, plan: &Plan) -> Vec<Vec<u32>> {
    let mut routes = vec![Vec::new(); net.m];
    for rp in &plan.routes {
        routes[rp.vehicle] =
            rp.stops.iter().map(|s| if s.kind == StopKind::Pickup { net.pickup(s.request) } else { net.dropoff(s.request) }).collect();
    }
    routes
}

/// Why request `r` cannot be served even by an otherwise empty vehicle, if so.
pub(crate) fn diagnose(net: &Network, sched: &mut Scheduler, inst: &Instance, r: usize) -> Option<UnservedReason> {
    let req = &inst.requests[r];
    if (0..net.m).any(|k| sched.feasible(net, k, &[net.pickup(r), net.dropoff(r)])) {
        return None;
    }
    let largest_wc = inst.vehicles.iter().map(|v| v.wheelchairs).max().unwrap_or(0);
    let largest = inst.vehicles.iter().map(|v| v.seats).max().unwrap_or(0);
    let pw: TimeWindow = req.effective_pickup_window(&inst.requests);
    let direct = net.t(net.pickup(r), net.dropoff(r));
    Some(if req.wheelchairs > largest_wc {
        UnservedReason::NoWheelchairPlace { needed: req.wheelchairs, largest: largest_wc }
    } else if req.seats > largest {
        UnservedReason::TooManySeats { needed: req.seats, largest }
    } else if pw.earliest > pw.latest {
        UnservedReason::EmptyPickupWindow { earliest: pw.earliest, latest: pw.latest }
    } else if direct > req.max_ride + EPS {
        UnservedReason::RideTooLong { direct, max_ride: req.max_ride }
    } else if pw.earliest + req.pickup.service + direct > req.dropoff.window.latest + EPS {
        UnservedReason::WindowsUnreachable
    } else {
        UnservedReason::OutsideShifts
    })
}

#[derive(Clone, Debug)]
pub(crate) struct Solution {
    pub routes: Vec<Vec<u32>>,
    pub costs: Vec<f64>,
    pub unassigned: Vec<usize>,
}

impl Solution {
    pub fn empty(net: &Network) -> Self {
        Solution { routes: vec![Vec::new(); net.m], costs: vec![0.0; net.m], unassigned: Vec::new() }
    }

    fn cost(&self) -> f64 {
        self.costs.iter().sum()
    }
}

/// Precomputed per-route data for fast insertion checks (positions include depots).
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteInfo {
    earliest: Vec<f64>,
    latest: Vec<f64>,
    seats: Vec<i32>,
    wheelchairs: Vec<i32>,
}

impl RouteInfo {
    pub fn new(net: &Network, k: usize, route: &[u32]) -> Self {
        let mut info = RouteInfo::default();
        info.update(net, k, route);
        info
    }

    pub fn update(&mut self, net: &Network, k: usize, route: &[u32]) {
        let len = route.len() + 2;
        let node = |p: usize| net.route_node(k, route, p);
        self.earliest.clear();
        self.latest.clear();
        self.seats.clear();
        self.wheelchairs.clear();
        let s0 = net.start(k);
        self.earliest.push(net.earliest[s0 as usize]);
        self.seats.push(0);
        self.wheelchairs.push(0);
        for p in 1..len {
            let (a, b) = (node(p - 1), node(p));
            let t = (self.earliest[p - 1] + net.service[a as usize] + net.t(a, b)).max(net.earliest[b as usize]);
            self.earliest.push(t);
            self.seats.push(self.seats[p - 1] + net.seats[b as usize]);
            self.wheelchairs.push(self.wheelchairs[p - 1] + net.wheelchairs[b as usize]);
        }
        self.latest.resize(len, 0.0);
        self.latest[len - 1] = net.latest[node(len - 1) as usize];
        for p in (0..len - 1).rev() {
            let (a, b) = (node(p), node(p + 1));
            self.latest[p] = net.latest[a as usize].min(self.latest[p + 1] - net.service[a as usize] - net.t(a, b));
        }
    }
}

/// A way to put a request into a route: pickup after position `i`, drop-off after
/// position `j` (positions count the start depot as 0; `j == i` means right after the
/// pickup).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Insertion {
    pub cost: f64,
    pub i: usize,
    pub j: usize,
}

pub(crate) fn apply(route: &mut Vec<u32>, net: &Network, r: usize, ins: Insertion) {
    route.insert(ins.j, net.dropoff(r));
    route.insert(ins.i, net.pickup(r));
}

/// Cheapest feasible insertion of request `r` into route `k` costing less than `bound`.
#[allow(clippy::too_many_arguments)] // hot path: buffers are passed in, not reallocated
pub(crate) fn best_insertion(
    net: &Network,
    sched: &mut Scheduler,
    buf: &mut Vec<u32>,
    k: usize,
    route: &[u32],
    info: &RouteInfo,
    r: usize,
    bound: f64,
) -> Option<Insertion> {
    let (p, d) = (net.pickup(r), net.dropoff(r));
    let (pu, du) = (p as usize, d as usize);
    let (q, qw) = (net.seats[pu], net.wheelchairs[pu]);
    let (cap, capw) = (net.cap_seats[k], net.cap_wheelchairs[k]);
    if q > cap || qw > capw {
        return None;
    }
    let len = route.len();
    let node = |pos: usize| net.route_node(k, route, pos);
    let max_ride = net.max_ride[r];
    let mut best: Option<Insertion> = None;
    let mut best_cost = bound;
    let mut try_seq = |i: usize, j: usize, cost: f64, best: &mut Option<Insertion>, best_cost: &mut f64| {
        buf.clear();
        buf.extend_from_slice(&route[..i]);
        buf.push(p);
        buf.extend_from_slice(&route[i..j]);
        buf.push(d);
        buf.extend_from_slice(&route[j..]);
        if sched.feasible(net, k, buf) {
            *best = Some(Insertion { cost, i, j });
            *best_cost = cost;
        }
    };
    for i in 0..=len {
        if info.seats[i] + q > cap || info.wheelchairs[i] + qw > capw {
            continue;
        }
        let (a, b) = (node(i), node(i + 1));
        let bp = (info.earliest[i] + net.service[a as usize] + net.t(a, p)).max(net.earliest[pu]);
        if bp > net.latest[pu] + EPS {
            break;
        }
        let dp = bp + net.service[pu];
        // Drop-off right after the pickup.
        let bd = (dp + net.t(p, d)).max(net.earliest[du]);
        if bd <= net.latest[du] + EPS && bd + net.service[du] + net.t(d, b) <= info.latest[i + 1] + EPS {
            let base = if len == 0 { 0.0 } else { net.t(a, b) };
            let cost = net.t(a, p) + net.t(p, d) + net.t(d, b) - base;
            if cost < best_cost - EPS {
                try_seq(i, i, cost, &mut best, &mut best_cost);
            }
        }
        if len == 0 {
            continue;
        }
        // Drop-off later in the route.
        let arr = dp + net.t(p, b);
        if arr > info.latest[i + 1] + EPS {
            continue;
        }
        let cost_p = net.t(a, p) + net.t(p, b) - net.t(a, b);
        if cost_p >= best_cost - EPS {
            continue;
        }
        let mut e = arr.max(net.earliest[b as usize]);
        let mut ride = net.t(p, b);
        for j in i + 1..=len {
            let c = node(j);
            if j > i + 1 {
                let prev = node(j - 1);
                e = (e + net.service[prev as usize] + net.t(prev, c)).max(net.earliest[c as usize]);
                ride += net.service[prev as usize] + net.t(prev, c);
            }
            if e > info.latest[j] + EPS || info.seats[j] + q > cap || info.wheelchairs[j] + qw > capw {
                break;
            }
            let to_d = net.service[c as usize] + net.t(c, d);
            let bd = (e + to_d).max(net.earliest[du]);
            if bd > net.latest[du] + EPS || ride + to_d > max_ride + EPS {
                break;
            }
            let f = node(j + 1);
            if bd + net.service[du] + net.t(d, f) > info.latest[j + 1] + EPS {
                continue;
            }
            let cost = cost_p + net.t(c, d) + net.t(d, f) - net.t(c, f);
            if cost < best_cost - EPS {
                try_seq(i, j, cost, &mut best, &mut best_cost);
            }
        }
    }
    best
}

#[derive(Clone, Copy, Debug)]
enum Repair {
    Regret(usize),
}

const DESTROYS: usize = 3;
const REPAIRS: usize = 6;

pub(crate) struct Search<'a> {
    net: &'a Network,
    rng: Rng,
    sched: Scheduler,
    buf: Vec<u32>,
    penalty: f64,
    max_t: f64,
}

impl<'a> Search<'a> {
    pub fn new(net: &'a Network, seed: u64) -> Self {
        let mut max_t: f64 = 0.0;
        for a in 0..(2 * net.n) as u32 {
            for b in 0..(2 * net.n) as u32 {
                max_t = max_t.max(net.t(a, b));
            }
        }
        Search {
            net,
            rng: Rng::new(seed),
            sched: Scheduler::new(net),
            buf: Vec::new(),
            penalty: 1000.0 + 20.0 * max_t,
            max_t: max_t.max(1.0),
        }
    }

    fn objective(&self, sol: &Solution) -> f64 {
        sol.cost() + self.penalty * sol.unassigned.len() as f64
    }

    /// Inserts `pending` (and whatever is already unassigned) by regret-k; what does not
    /// fit stays unassigned.
    fn repair(&mut self, sol: &mut Solution, mut pending: Vec<usize>, how: Repair, noise: bool) {
        let net = self.net;
        pending.append(&mut sol.unassigned);
        let Repair::Regret(kk) = how;
        let m = net.m;
        let mut infos: Vec<RouteInfo> = (0..m).map(|k| RouteInfo::new(net, k, &sol.routes[k])).collect();
        // cache[x * m + k]: best insertion of pending[x] into route k.
        let mut cache: Vec<Option<Insertion>> = vec![None; pending.len() * m];
        let noise_amp = if noise { 0.025 * self.max_t } else { 0.0 };
        for (x, &r) in pending.iter().enumerate() {
            for k in 0..m {
                cache[x * m + k] = self.cached(k, &sol.routes[k], &infos[k], r, noise_amp);
            }
        }
        // Identical empty vehicles give identical options; count each only once for regret.
        let mut costs: Vec<f64> = Vec::with_capacity(m);
        while !pending.is_empty() {
            let mut pick: Option<(usize, usize, f64, f64)> = None; // (x, route, score, cost)
            for x in 0..pending.len() {
                costs.clear();
                let mut best_k = usize::MAX;
                let mut best_c = f64::INFINITY;
                let mut empty_seen = false;
                for k in 0..m {
                    if let Some(ins) = cache[x * m + k] {
                        if sol.routes[k].is_empty() {
                            if empty_seen {
                                continue;
                            }
                            empty_seen = true;
                        }
                        costs.push(ins.cost);
                        if ins.cost < best_c {
                            best_c = ins.cost;
                            best_k = k;
                        }
                    }
                }
                if best_k == usize::MAX {
                    continue;
                }
                let score = if kk <= 1 {
                    -best_c
                } else {
                    costs.sort_by(|a, b| a.total_cmp(b));
                    // Requests with few options first: a missing option counts as very costly.
                    (1..kk).map(|h| costs.get(h).copied().unwrap_or(best_c + 1.0e6) - best_c).sum::<f64>()
                };
                let better = match pick {
                    None => true,
                    Some((_, _, s, c)) => score > s + 1e-9 || (score > s - 1e-9 && best_c < c),
                };
                if better {
                    pick = Some((x, best_k, score, best_c));
                }
            }
            let Some((x, k, _, _)) = pick else { break };
            let r = pending[x];
            let ins = cache[x * m + k].expect("picked a feasible insertion");
            apply(&mut sol.routes[k], net, r, ins);
            sol.costs[k] = net.route_cost(k, &sol.routes[k]);
            infos[k].update(net, k, &sol.routes[k]);
            pending.swap_remove(x);
            let last = pending.len();
            for kk2 in 0..m {
                cache[x * m + kk2] = cache[last * m + kk2];
            }
            cache.truncate(last * m);
            for (y, &r2) in pending.iter().enumerate() {
                cache[y * m + k] = self.cached(k, &sol.routes[k], &infos[k], r2, noise_amp);
            }
        }
        sol.unassigned = pending;
    }

    fn cached(&mut self, k: usize, route: &[u32], info: &RouteInfo, r: usize, noise_amp: f64) -> Option<Insertion> {
        let mut ins = best_insertion(self.net, &mut self.sched, &mut self.buf, k, route, info, r, f64::INFINITY)?;
        if noise_amp > 0.0 {
            ins.cost = (ins.cost + noise_amp * (2.0 * self.rng.f64() - 1.0)).max(0.0);
        }
        Some(ins)
    }

    fn remove(&self, sol: &mut Solution, r: usize) -> usize {
        let net = self.net;
        let (p, d) = (net.pickup(r), net.dropoff(r));
        for k in 0..net.m {
            let before = sol.routes[k].len();
            sol.routes[k].retain(|&v| v != p && v != d);
            if sol.routes[k].len() != before {
                sol.costs[k] = net.route_cost(k, &sol.routes[k]);
                return k;
            }
        }
        usize::MAX
    }

    fn assigned(&self, sol: &Solution) -> Vec<usize> {
        sol.routes.iter().flat_map(|r| r.iter().copied().filter(|&v| self.net.is_pickup(v)).map(|v| v as usize)).collect()
    }

    /// Removes `q` requests; returns them and the routes touched.
    fn destroy(&mut self, sol: &mut Solution, op: usize, q: usize) -> Vec<usize> {
        let net = self.net;
        let mut assigned = self.assigned(sol);
        let q = q.min(assigned.len());
        let mut removed = Vec::with_capacity(q);
        match op {
            0 => {
                for _ in 0..q {
                    let x = self.rng.below(assigned.len());
                    removed.push(assigned.swap_remove(x));
                }
            }
            1 => {
                // Worst: largest saving when removed, randomised.
                let mut gains: Vec<(f64, usize)> = Vec::with_capacity(assigned.len());
                for (k, route) in sol.routes.iter().enumerate() {
                    let len = route.len();
                    let node = |pos: usize| net.route_node(k, route, pos);
                    for (i, &v) in route.iter().enumerate() {
                        if !net.is_pickup(v) {
                            continue;
                        }
                        let j = route.iter().position(|&w| w == net.dropoff(v as usize)).unwrap_or(i + 1);
                        let (pi, pj) = (i + 1, j + 1);
                        let g = if len == 2 {
                            sol.costs[k]
                        } else if pj == pi + 1 {
                            net.t(node(pi - 1), v) + net.t(v, node(pj)) + net.t(node(pj), node(pj + 1)) - net.t(node(pi - 1), node(pj + 1))
                        } else {
                            net.t(node(pi - 1), v) + net.t(v, node(pi + 1)) - net.t(node(pi - 1), node(pi + 1))
                                + net.t(node(pj - 1), node(pj))
                                + net.t(node(pj), node(pj + 1))
                                - net.t(node(pj - 1), node(pj + 1))
                        };
                        gains.push((g, v as usize));
                    }
                }
                gains.sort_by(|a, b| b.0.total_cmp(&a.0));
                for _ in 0..q {
                    let y = self.rng.f64();
                    let x = ((y * y * y) * gains.len() as f64) as usize;
                    removed.push(gains.remove(x.min(gains.len() - 1)).1);
                }
            }
            _ => {
                // Shaw: related in place and time.
                let mut times = vec![0.0; 2 * net.n];
                for (k, route) in sol.routes.iter().enumerate() {
                    if route.is_empty() {
                        continue;
                    }
                    if self.sched.feasible(net, k, route) {
                        for (i, &v) in route.iter().enumerate() {
                            times[v as usize] = self.sched.begin(i + 1);
                        }
                    }
                }
                let x = self.rng.below(assigned.len());
                removed.push(assigned.swap_remove(x));
                let horizon = 0.5 * self.max_t + 60.0;
                while removed.len() < q {
                    let r = removed[self.rng.below(removed.len())];
                    let rel = |s: usize| {
                        let (pr, dr, ps, ds) = (net.pickup(r), net.dropoff(r), net.pickup(s), net.dropoff(s));
                        (net.t(pr, ps) + net.t(dr, ds)) / self.max_t
                            + ((times[pr as usize] - times[ps as usize]).abs() + (times[dr as usize] - times[ds as usize]).abs()) / horizon
                    };
                    assigned.sort_by(|&a, &b| rel(a).total_cmp(&rel(b)));
                    let y = self.rng.f64();
                    let x = ((y.powi(6)) * assigned.len() as f64) as usize;
                    removed.push(assigned.remove(x.min(assigned.len() - 1)));
                }
            }
        }
        for &r in &removed {
            self.remove(sol, r);
        }
        removed
    }

    fn alns(&mut self, init: Solution, config: &SolverConfig) -> Solution {
        let net = self.net;
        let started = Instant::now();
        let n_assignable = self.assigned(&init).len() + init.unassigned.len();
        let mut best = init.clone();
        let mut best_obj = self.objective(&best);
        if n_assignable < 2 {
            return best;
        }
        let mut cur = init;
        let mut cur_obj = best_obj;
        // A 1.5 % worse solution is accepted with probability 1/2 at the start, 200 times
        // less at the end (tuned on a5-60..a8-96 at 5-10 s).
        let t_start = 0.015 * cur.cost().max(1.0) / std::f64::consts::LN_2;
        let t_end = t_start * 0.005;
        let mut w_d = [1.0; DESTROYS];
        let mut w_r = [1.0; REPAIRS];
        let (mut s_d, mut s_r) = ([0.0; DESTROYS], [0.0; REPAIRS]);
        let (mut u_d, mut u_r) = ([0u32; DESTROYS], [0u32; REPAIRS]);
        let q_min = 2.min(n_assignable);
        let q_max = ((n_assignable as f64 * 0.3) as usize).clamp(q_min, 30);
        let mut iter: u64 = 0;
        let mut since_best: u64 = 0;
        loop {
            let progress = match (config.max_iterations, config.time_limit) {
                (Some(max), Some(lim)) => (iter as f64 / max as f64).max(started.elapsed().as_secs_f64() / lim.as_secs_f64()),
                (Some(max), None) => iter as f64 / max as f64,
                (None, Some(lim)) => started.elapsed().as_secs_f64() / lim.as_secs_f64(),
                (None, None) => iter as f64 / 10_000.0,
            };
            if progress >= 1.0 {
                break;
            }
            iter += 1;
            since_best += 1;
            let temp = t_start * (t_end / t_start).powf(progress);
            // Long without a new best: continue from the best instead of drifting.
            if since_best > 3000 {
                cur = best.clone();
                cur_obj = best_obj;
                since_best = 0;
            }
            let d = roulette(&mut self.rng, &w_d);
            let r = roulette(&mut self.rng, &w_r);
            let mut cand = cur.clone();
            let q = self.rng.range(q_min, q_max);
            let removed = self.destroy(&mut cand, d, q);
            let touched: Vec<usize> = (0..net.m).filter(|&k| cand.routes[k] != cur.routes[k]).collect();
            let how = Repair::Regret([1, 2, 3][r % 3]);
            self.repair(&mut cand, removed, how, r >= 3);
            // Removal can, in rare cases, leave a sequence the scheduling heuristic rejects.
            if touched.iter().any(|&k| !cand.routes[k].is_empty() && !self.sched.feasible(net, k, &cand.routes[k])) {
                continue;
            }
            let obj = self.objective(&cand);
            let mut score = 0.0;
            if obj < best_obj - 1e-9 {
                best = cand.clone();
                best_obj = obj;
                since_best = 0;
                score = 33.0;
            }
            if obj < cur_obj - 1e-9 {
                if score == 0.0 {
                    score = 9.0;
                }
                cur = cand;
                cur_obj = obj;
            } else if obj > cur_obj + 1e-9 && self.rng.f64() < (-(obj - cur_obj) / temp).exp() {
                score = 13.0;
                cur = cand;
                cur_obj = obj;
            }
            s_d[d] += score;
            s_r[r] += score;
            u_d[d] += 1;
            u_r[r] += 1;
            if iter.is_multiple_of(100) {
                update_weights(&mut w_d, &mut s_d, &mut u_d);
                update_weights(&mut w_r, &mut s_r, &mut u_r);
            }
        }
        tracing::debug!(iterations = iter, cost = best.cost(), "alns finished");
        best
    }
}

fn roulette(rng: &mut Rng, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = rng.f64() * total;
    for (i, &wi) in w.iter().enumerate() {
        if x < wi {
            return i;
        }
        x -= wi;
    }
    w.len() - 1
}

fn update_weights(w: &mut [f64], s: &mut [f64], u: &mut [u32]) {
    const REACTION: f64 = 0.1;
    for i in 0..w.len() {
        if u[i] > 0 {
            w[i] = (w[i] * (1.0 - REACTION) + REACTION * s[i] / u[i] as f64).max(0.05);
        }
        s[i] = 0.0;
        u[i] = 0;
    }
}
