//! Route scheduling: is a stop sequence feasible for a vehicle, and when does it serve
//! each stop?
//!
//! Uses the eight-step procedure of Cordeau & Laporte (2003): first the earliest times,
//! then forward time slack to start the route as late as helps, then to delay each
//! pickup as far as waiting further on allows, so ride times shrink without lengthening
//! anything else. The procedure is a heuristic for the ride-time part: it can call a
//! feasible sequence infeasible in rare cases, never the other way round, because the
//! last step checks every constraint on the schedule it actually produced.

use super::model::Instance;

/// Tolerance for floating-point comparisons of times.
pub const EPS: f64 = 1e-6;

/// The instance flattened into node arrays, the layout the solver works on.
///
/// Nodes: pickup of request r = r, its drop-off = n + r, start depot of vehicle k =
/// 2n + k, end depot of vehicle k = 2n + m + k.
#[derive(Clone, Debug)]
pub struct Network {
    pub n: usize,
    pub m: usize,
    size: usize,
    time: Vec<f64>,
    pub earliest: Vec<f64>,
    pub latest: Vec<f64>,
    pub service: Vec<f64>,
    /// Seat change at the node (+ at pickups, - at drop-offs).
    pub seats: Vec<i32>,
    pub wheelchairs: Vec<i32>,
    /// Per request.
    pub max_ride: Vec<f64>,
    /// Per vehicle.
    pub cap_seats: Vec<i32>,
    pub cap_wheelchairs: Vec<i32>,
    pub max_duration: Vec<f64>,
}

impl Network {
    pub fn new(inst: &Instance) -> Self {
        let (n, m) = (inst.requests.len(), inst.vehicles.len());
        let size = 2 * n + 2 * m;
        let mut place = vec![0usize; size];
        let mut earliest = vec![0.0; size];
        let mut latest = vec![0.0; size];
        let mut service = vec![0.0; size];
        let mut seats = vec![0i32; size];
        let mut wheelchairs = vec![0i32; size];
        for (r, req) in inst.requests.iter().enumerate() {
            let pw = req.effective_pickup_window(&inst.requests);
            place[r] = req.pickup.place;
            place[n + r] = req.dropoff.place;
            (earliest[r], latest[r], service[r]) = (pw.earliest, pw.latest, req.pickup.service);
            (earliest[n + r], latest[n + r], service[n + r]) =
                (req.dropoff.window.earliest, req.dropoff.window.latest, req.dropoff.service);
            (seats[r], seats[n + r]) = (req.seats as i32, -(req.seats as i32));
            (wheelchairs[r], wheelchairs[n + r]) = (req.wheelchairs as i32, -(req.wheelchairs as i32));
        }
        for (k, v) in inst.vehicles.iter().enumerate() {
            let (s, e) = (2 * n + k, 2 * n + m + k);
            place[s] = v.start_place;
            place[e] = v.end_place;
            (earliest[s], latest[s]) = (v.shift.earliest, v.shift.latest);
            (earliest[e], latest[e]) = (v.shift.earliest, v.shift.latest);
        }
        let mut time = vec![0.0; size * size];
        for a in 0..size {
            for b in 0..size {
                if place[a] != place[b] {
                    time[a * size + b] = inst.travel.minutes(place[a], place[b]);
                }
            }
        }
        Network {
            n,
            m,
            size,
            time,
            earliest,
            latest,
            service,
            seats,
            wheelchairs,
            max_ride: inst.requests.iter().map(|r| r.max_ride).collect(),
            cap_seats: inst.vehicles.iter().map(|v| v.seats as i32).collect(),
            cap_wheelchairs: inst.vehicles.iter().map(|v| v.wheelchairs as i32).collect(),
            max_duration: inst.vehicles.iter().map(|v| v.max_duration).collect(),
        }
    }

    #[inline]
    pub fn t(&self, a: u32, b: u32) -> f64 {
        self.time[a as usize * self.size + b as usize]
    }

    #[inline]
    pub fn pickup(&self, r: usize) -> u32 {
        r as u32
    }

    #[inline]
    pub fn dropoff(&self, r: usize) -> u32 {
        (self.n + r) as u32
    }

    #[inline]
    pub fn start(&self, k: usize) -> u32 {
        (2 * self.n + k) as u32
    }

    #[inline]
    pub fn end(&self, k: usize) -> u32 {
        (2 * self.n + self.m + k) as u32
    }

    /// The node at position `pos` of vehicle `k`'s route with its depots: 0 is the start
    /// depot, `route.len() + 1` the end depot.
    #[inline]
    pub fn route_node(&self, k: usize, route: &[u32], pos: usize) -> u32 {
        if pos == 0 {
            self.start(k)
        } else if pos == route.len() + 1 {
            self.end(k)
        } else {
            route[pos - 1]
        }
    }

    #[inline]
    pub fn is_pickup(&self, node: u32) -> bool {
        (node as usize) < self.n
    }

    /// Request of a pickup or drop-off node.
    #[inline]
    pub fn request(&self, node: u32) -> usize {
        node as usize % self.n
    }

    /// Travel cost of a route (0 for an unused vehicle: it stays in the depot).
    pub fn route_cost(&self, k: usize, route: &[u32]) -> f64 {
        if route.is_empty() {
            return 0.0;
        }
        let mut prev = self.start(k);
        let mut c = 0.0;
        for &v in route {
            c += self.t(prev, v);
            prev = v;
        }
        c + self.t(prev, self.end(k))
    }
}

/// Evaluates routes; owns its buffers so the hot insertion loop does not allocate.
#[derive(Clone, Debug, Default)]
pub struct Scheduler {
    seq: Vec<u32>,
    a: Vec<f64>,
    b: Vec<f64>,
    w: Vec<f64>,
    d: Vec<f64>,
    /// Position of each request's pickup in `seq`, valid where `stamp` matches.
    pick_pos: Vec<u32>,
    stamp: Vec<u32>,
    /// 0 = not seen, 1 = on board, 2 = delivered (valid where `stamp` matches).
    state: Vec<u8>,
    round: u32,
    /// Lower bound on each begin time: the window start, raised by ride-time and
    /// duration constraints in [`Self::feasible`].
    floor: Vec<f64>,
}

impl Scheduler {
    pub fn new(net: &Network) -> Self {
        Scheduler { pick_pos: vec![0; net.n], stamp: vec![0; net.n], state: vec![0; net.n], ..Default::default() }
    }

    /// Exact feasibility of `route` (pickup/drop-off nodes, depots excluded) for vehicle
    /// `k`, and a schedule in [`Self::begin`] and friends: the eight-step schedule when
    /// that procedure succeeds, else the earliest feasible schedule.
    pub fn evaluate(&mut self, net: &Network, k: usize, route: &[u32]) -> bool {
        if !self.feasible(net, k, route) {
            return false;
        }
        if !self.eight_step(net, k) {
            // The heuristic missed; the exact earliest schedule is feasible.
            let ok = self.feasible(net, k, route);
            debug_assert!(ok);
        }
        true
    }

    /// Exact feasibility test, leaving the earliest feasible schedule in the buffers.
    ///
    /// Every constraint is a difference constraint between begin times (travel:
    /// `B_next >= B + s + t`; window: `e <= B <= l`; ride: `B_pickup >= B_drop - s - L`;
    /// duration: `B_start >= B_end - T`), so the least solution of the lower bounds is found by label
    /// correcting (Bellman-Ford in longest-path form) and the route is feasible exactly
    /// when that solution respects every latest time.
    pub fn feasible(&mut self, net: &Network, k: usize, route: &[u32]) -> bool {
        if self.pick_pos.len() < net.n {
            self.pick_pos.resize(net.n, 0);
            self.stamp.resize(net.n, 0);
            self.state.resize(net.n, 0);
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.round = 1;
        }
        self.seq.clear();
        self.seq.push(net.start(k));
        self.seq.extend_from_slice(route);
        self.seq.push(net.end(k));
        let len = self.seq.len();
        // Capacity, pairing and precedence.
        let (mut seats, mut wc, mut open) = (0i32, 0i32, 0i32);
        for p in 1..len - 1 {
            let node = self.seq[p];
            if node as usize >= 2 * net.n {
                return false;
            }
            seats += net.seats[node as usize];
            wc += net.wheelchairs[node as usize];
            if seats > net.cap_seats[k] || wc > net.cap_wheelchairs[k] {
                return false;
            }
            let r = net.request(node);
            if self.stamp[r] != self.round {
                self.stamp[r] = self.round;
                self.state[r] = 0;
            }
            if net.is_pickup(node) {
                if self.state[r] != 0 {
                    return false;
                }
                self.state[r] = 1;
                self.pick_pos[r] = p as u32;
                open += 1;
            } else {
                if self.state[r] != 1 {
                    return false;
                }
                self.state[r] = 2;
                open -= 1;
            }
        }
        if open != 0 {
            return false;
        }
        for v in [&mut self.a, &mut self.b, &mut self.w, &mut self.d] {
            v.clear();
            v.resize(len, 0.0);
        }
        self.floor.clear();
        self.floor.extend(self.seq.iter().map(|&v| net.earliest[v as usize]));
        let max_dur = net.max_duration[k];
        for _pass in 0..len + 2 {
            self.set_start(self.floor[0]);
            if !self.forward(net, 1) {
                return false;
            }
            let mut raised = false;
            for p in 1..len - 1 {
                let node = self.seq[p];
                if net.is_pickup(node) {
                    continue;
                }
                let r = net.request(node);
                let i = self.pick_pos[r] as usize;
                let need = self.b[p] - net.service[self.seq[i] as usize] - net.max_ride[r];
                if self.b[i] < need - EPS {
                    if need > net.latest[self.seq[i] as usize] + EPS {
                        return false;
                    }
                    self.floor[i] = need;
                    raised = true;
                }
            }
            let need = self.b[len - 1] - max_dur;
            if self.b[0] < need - EPS {
                if need > net.latest[self.seq[0] as usize] + EPS {
                    return false;
                }
                self.floor[0] = need;
                raised = true;
            }
            if !raised {
                return true;
            }
        }
        // Still rising after |V| passes: a positive cycle, no schedule exists.
        false
    }

    /// Eight-step schedule (Cordeau & Laporte 2003) of the sequence in `seq`; false when
    /// it does not find a feasible one.
    fn eight_step(&mut self, net: &Network, k: usize) -> bool {
        let len = self.seq.len();
        for p in 0..len {
            self.floor[p] = net.earliest[self.seq[p] as usize];
        }
        // Step 1-2: earliest schedule.
        let e0 = net.earliest[self.seq[0] as usize];
        self.set_start(e0);
        if !self.forward(net, 1) {
            return false;
        }
        // Step 3-5: start as late as possible without breaking windows.
        let total_wait: f64 = self.w[1..].iter().sum();
        let f0 = self.slack(net, 0);
        self.set_start(e0 + f0.min(total_wait));
        if !self.forward(net, 1) {
            return false;
        }
        // Step 6-7: delay each pickup to shorten ride times.
        for j in 1..len - 1 {
            if !net.is_pickup(self.seq[j]) {
                continue;
            }
            let wait_after: f64 = self.w[j + 1..].iter().sum();
            let delay = self.slack(net, j).min(wait_after);
            if delay > EPS {
                self.w[j] += delay;
                self.b[j] += delay;
                self.d[j] = self.b[j] + net.service[self.seq[j] as usize];
                if !self.forward(net, j + 1) {
                    return false;
                }
            }
        }
        // Step 8: ride times and route duration on the final schedule.
        for p in 1..len - 1 {
            let node = self.seq[p];
            if !net.is_pickup(node) {
                let r = net.request(node);
                let ride = self.b[p] - self.d[self.pick_pos[r] as usize];
                if ride > net.max_ride[r] + EPS {
                    return false;
                }
            }
        }
        self.b[len - 1] - self.d[0] <= net.max_duration[k] + EPS
    }

    fn set_start(&mut self, t: f64) {
        self.a[0] = t;
        self.b[0] = t;
        self.w[0] = 0.0;
        self.d[0] = t;
    }

    /// Recomputes arrival, begin and waiting from position `from` on; false when a time
    /// window is missed.
    fn forward(&mut self, net: &Network, from: usize) -> bool {
        for p in from..self.seq.len() {
            let (prev, node) = (self.seq[p - 1], self.seq[p]);
            let a = self.d[p - 1] + net.t(prev, node);
            let b = a.max(self.floor[p]);
            if b > net.latest[node as usize] + EPS {
                return false;
            }
            self.a[p] = a;
            self.b[p] = b;
            self.w[p] = b - a;
            self.d[p] = b + net.service[node as usize];
        }
        true
    }

    /// Forward time slack at position i (Cordeau & Laporte 2003), extended with the route
    /// duration so that delaying a pickup never makes the route too long.
    fn slack(&self, net: &Network, i: usize) -> f64 {
        let len = self.seq.len();
        let mut best = f64::INFINITY;
        let mut cum_wait = 0.0;
        for j in i..len {
            if j > i {
                cum_wait += self.w[j];
            }
            let node = self.seq[j];
            let mut room = net.latest[node as usize] - self.b[j];
            if (node as usize) >= net.n && (node as usize) < 2 * net.n {
                let r = net.request(node);
                let pp = self.pick_pos[r] as usize;
                if pp < i {
                    room = room.min(net.max_ride[r] - (self.b[j] - self.d[pp]));
                }
            }
            if j == len - 1 && i > 0 {
                let k_dur = self.b[j] - self.d[0];
                room = room.min(self.max_duration_of_route(net) - k_dur);
            }
            best = best.min(cum_wait + room.max(0.0));
        }
        best
    }

    fn max_duration_of_route(&self, net: &Network) -> f64 {
        let k = self.seq[0] as usize - 2 * net.n;
        net.max_duration[k]
    }

    /// Begin of service at position `p` of the last feasible route (0 = start depot,
    /// `route.len() + 1` = end depot).
    pub fn begin(&self, p: usize) -> f64 {
        self.b[p]
    }

    pub fn arrival(&self, p: usize) -> f64 {
        self.a[p]
    }

    /// Departure from the start depot.
    pub fn depart(&self) -> f64 {
        self.d[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::model::*;
    use std::sync::Arc;

    /// Places on a line: depot at 0, everything else at its x coordinate.
    fn line(points: &[f64], requests: Vec<Request>, vehicle: Vehicle) -> Network {
        let eu = Euclidean::new(points.iter().map(|&x| (x, 0.0)).collect());
        Network::new(&Instance::new("t", requests, vec![vehicle], Arc::new(eu)).unwrap())
    }

    fn req(p: usize, d: usize, pw: (f64, f64), dw: (f64, f64), max_ride: f64) -> Request {
        Request {
            pickup: Stop { place: p, window: TimeWindow::new(pw.0, pw.1), service: 1.0 },
            dropoff: Stop { place: d, window: TimeWindow::new(dw.0, dw.1), service: 1.0 },
            seats: 1,
            wheelchairs: 0,
            max_ride,
            link: None,
        }
    }

    fn van(seats: u32, wheelchairs: u32, max_duration: f64) -> Vehicle {
        Vehicle { start_place: 0, end_place: 0, shift: TimeWindow::new(0.0, 1000.0), seats, wheelchairs, max_duration }
    }

    #[test]
    fn delays_start_to_avoid_waiting() {
        // Pickup at x=10 opens at 100: leave the depot at 90, not at 0.
        let net = line(&[0.0, 10.0, 20.0], vec![req(1, 2, (100.0, 110.0), (0.0, 1000.0), 30.0)], van(3, 0, 1000.0));
        let mut s = Scheduler::new(&net);
        assert!(s.evaluate(&net, 0, &[0, 1]));
        assert!((s.depart() - 90.0).abs() < 1e-9);
        assert!((s.begin(1) - 100.0).abs() < 1e-9);
        assert!((s.begin(2) - 111.0).abs() < 1e-9);
    }

    #[test]
    fn delays_pickup_to_meet_ride_time() {
        // Request 0 rides 10..30; request 1 is dropped off at x=12 no earlier than 60.
        // Picking 1 up at the earliest (t=11) makes its ride 48 > 20, but the vehicle can
        // wait at the pickup instead.
        let reqs = vec![req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 30.0), req(3, 4, (0.0, 1000.0), (60.0, 70.0), 20.0)];
        let net = line(&[0.0, 5.0, 6.0, 8.0, 12.0], reqs, van(3, 0, 1000.0));
        let mut s = Scheduler::new(&net);
        // Route: pick 0, drop 0, pick 1, drop 1.
        assert!(s.evaluate(&net, 0, &[0, 2, 1, 3]));
        let ride1 = s.begin(4) - (s.begin(3) + 1.0);
        assert!(ride1 <= 20.0 + 1e-9, "ride {ride1}");
    }

    #[test]
    fn rejects_each_violated_constraint() {
        let mut s;
        // Time window: the drop-off must be done by 5 but is 20 away.
        let net = line(&[0.0, 10.0, 30.0], vec![req(1, 2, (0.0, 1000.0), (0.0, 5.0), 100.0)], van(3, 0, 1000.0));
        s = Scheduler::new(&net);
        assert!(!s.evaluate(&net, 0, &[0, 1]));
        // Precedence: drop-off before pickup.
        let net = line(&[0.0, 10.0, 30.0], vec![req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 100.0)], van(3, 0, 1000.0));
        assert!(!s.evaluate(&net, 0, &[1, 0]));
        // Pairing: pickup without drop-off.
        assert!(!s.evaluate(&net, 0, &[0]));
        // Max ride time: 20 minutes of travel with a 15 minute limit.
        let net = line(&[0.0, 10.0, 30.0], vec![req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 15.0)], van(3, 0, 1000.0));
        assert!(!s.evaluate(&net, 0, &[0, 1]));
        // Route duration: 60 minutes of driving with a 50 minute limit.
        let net = line(&[0.0, 10.0, 30.0], vec![req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 100.0)], van(3, 0, 50.0));
        assert!(!s.evaluate(&net, 0, &[0, 1]));
        // Seats: two people in a one-seat car.
        let reqs = vec![req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 100.0), req(1, 2, (0.0, 1000.0), (0.0, 1000.0), 100.0)];
        let net = line(&[0.0, 10.0, 30.0], reqs.clone(), van(1, 0, 1000.0));
        assert!(!s.evaluate(&net, 0, &[0, 1, 2, 3]));
        assert!(s.evaluate(&net, 0, &[0, 2, 1, 3]));
        // Wheelchair places are separate from seats.
        let mut wc = reqs;
        wc[0].wheelchairs = 1;
        wc[1].wheelchairs = 1;
        let net = line(&[0.0, 10.0, 30.0], wc, van(3, 1, 1000.0));
        assert!(!s.evaluate(&net, 0, &[0, 1, 2, 3]));
        assert!(s.evaluate(&net, 0, &[0, 2, 1, 3]));
    }

    #[test]
    fn linked_return_waits_for_the_appointment() {
        let mut back = req(2, 1, (0.0, 1000.0), (0.0, 1000.0), 100.0);
        back.link = Some(Link { outbound: 0, appointment: 45.0 });
        let reqs = vec![req(1, 2, (0.0, 1000.0), (0.0, 30.0), 100.0), back];
        let net = line(&[0.0, 10.0, 20.0], reqs, van(3, 0, 1000.0));
        assert_eq!(net.earliest[1], 75.0);
        let mut s = Scheduler::new(&net);
        assert!(s.evaluate(&net, 0, &[0, 2, 1, 3]));
        assert!(s.begin(3) >= 75.0 - 1e-9);
    }
}
