//! `hotline bench dispatch`: our plans on the Cordeau (2006) a-instances against the best
//! known costs, every plan checked by the independent [`super::validator`], plus the
//! latency of inserting single bookings into a 100-request day plan.
//!
//! Also home of the random instance generator used by the insertion bench and the tests.

use super::cordeau::{self, CordeauError};
use super::insert::insert_request;
use super::model::{Euclidean, Instance, Link, Request, Stop, TimeWindow, Vehicle};
use super::rng::Rng;
use super::solver::{SolverConfig, solve};
use super::validator::{plan_cost, validate};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("cannot list {dir}: {source}")]
    ListDir { dir: String, source: std::io::Error },
    #[error("no a*.txt instances in {0}")]
    NoInstances(String),
    #[error(transparent)]
    Cordeau(#[from] CordeauError),
}

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub dir: PathBuf,
    /// Time limit per instance.
    pub seconds: f64,
    pub seed: u64,
    /// Trials for the insertion latency measurement.
    pub insertion_trials: usize,
    /// Only these instances (by name); empty = all.
    pub only: Vec<String>,
}

impl BenchOptions {
    pub fn new(dir: impl Into<PathBuf>, seconds: f64, seed: u64) -> Self {
        BenchOptions { dir: dir.into(), seconds, seed, insertion_trials: 200, only: Vec::new() }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct InstanceResult {
    pub name: String,
    pub requests: usize,
    pub vehicles: usize,
    /// Recomputed by the validator from the routes, not the solver's claim.
    pub cost: f64,
    pub best_known: Option<f64>,
    pub best_known_source: String,
    pub best_known_confirmed: bool,
    pub gap_percent: Option<f64>,
    pub seconds: f64,
    pub valid: bool,
    pub unserved: usize,
    pub violations: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InsertionResult {
    pub plan_requests: usize,
    pub vehicles: usize,
    pub trials: usize,
    pub inserted: usize,
    /// Did not fit as asked; alternatives were computed (included in the timings).
    pub alternatives: usize,
    pub inserted_plans_valid: bool,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub seconds_per_instance: f64,
    pub seed: u64,
    pub instances: Vec<InstanceResult>,
    pub mean_gap_percent: Option<f64>,
    pub worst_gap_percent: Option<f64>,
    /// Over the instances whose best known value is confirmed by a concrete source.
    pub mean_gap_confirmed_percent: Option<f64>,
    pub all_valid: bool,
    pub insertion: InsertionResult,
}

/// Runs every `a*.txt` in `opts.dir`; `progress` sees each result as it is ready.
pub fn run(opts: &BenchOptions, mut progress: impl FnMut(&InstanceResult)) -> Result<BenchReport, BenchError> {
    let dir = opts.dir.display().to_string();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&opts.dir)
        .map_err(|source| BenchError::ListDir { dir: dir.clone(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt") && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('a')))
        .collect();
    if !opts.only.is_empty() {
        files.retain(|p| opts.only.iter().any(|o| p.file_stem().is_some_and(|s| s.to_string_lossy() == *o)));
    }
    if files.is_empty() {
        return Err(BenchError::NoInstances(dir));
    }
    // a2-16 < a2-20 < ... < a8-96, by vehicles then requests.
    files.sort_by_key(|p| instance_key(p));
    let mut instances = Vec::new();
    for file in &files {
        let inst = cordeau::load(file)?;
        let result = run_instance(&inst, opts);
        progress(&result);
        instances.push(result);
    }
    let gaps: Vec<f64> = instances.iter().filter_map(|r| r.gap_percent).collect();
    let confirmed: Vec<f64> = instances.iter().filter(|r| r.best_known_confirmed).filter_map(|r| r.gap_percent).collect();
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    Ok(BenchReport {
        seconds_per_instance: opts.seconds,
        seed: opts.seed,
        mean_gap_percent: mean(&gaps),
        worst_gap_percent: gaps.iter().copied().reduce(f64::max),
        mean_gap_confirmed_percent: mean(&confirmed),
        all_valid: instances.iter().all(|r| r.valid),
        instances,
        insertion: insertion_bench(opts),
    })
}

fn instance_key(p: &Path) -> (u32, u32, String) {
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let nums: Vec<u32> = stem.trim_start_matches('a').split('-').filter_map(|x| x.parse().ok()).collect();
    (nums.first().copied().unwrap_or(0), nums.get(1).copied().unwrap_or(0), stem)
}

fn run_instance(inst: &Instance, opts: &BenchOptions) -> InstanceResult {
    let config = SolverConfig { seed: opts.seed, time_limit: Some(Duration::from_secs_f64(opts.seconds)), max_iterations: None };
    let started = Instant::now();
    let plan = solve(inst, &config);
    let seconds = started.elapsed().as_secs_f64();
    let violations: Vec<String> = validate(inst, &plan).iter().map(|v| v.to_string()).collect();
    let cost = plan_cost(inst, &plan);
    let bk = cordeau::best_known(&inst.name);
    let best_known = bk.and_then(|b| b.cost);
    InstanceResult {
        name: inst.name.clone(),
        requests: inst.requests.len(),
        vehicles: inst.vehicles.len(),
        cost,
        best_known,
        best_known_source: bk.map(|b| b.source).unwrap_or("unknown").to_string(),
        best_known_confirmed: bk.is_some_and(|b| b.confirmed),
        // Served everything, or the gap would flatter us.
        gap_percent: best_known.filter(|_| plan.unserved.is_empty()).map(|b| (cost - b) / b * 100.0),
        seconds,
        valid: violations.is_empty(),
        unserved: plan.unserved.len(),
        violations,
    }
}

/// Inserts single random bookings into a solved 100-request, 8-vehicle day plan
/// (Cordeau-style), each into the same base plan, and times every call.
fn insertion_bench(opts: &BenchOptions) -> InsertionResult {
    let trials = opts.insertion_trials.max(1);
    let g = generate(&GeneratorConfig { requests: 100, vehicles: 8, extra: trials, seed: opts.seed, variety: false });
    let config =
        SolverConfig { seed: opts.seed, time_limit: Some(Duration::from_secs_f64(opts.seconds.clamp(0.5, 5.0))), max_iterations: None };
    let base = solve(&g.instance, &config);
    let mut times = Vec::with_capacity(trials);
    let (mut inserted, mut alternatives, mut all_valid) = (0, 0, true);
    for req in &g.extra {
        let started = Instant::now();
        let result = insert_request(&g.instance, &base, req.clone());
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        match result {
            Ok(ins) => {
                inserted += 1;
                all_valid &= validate(&ins.instance, &ins.plan).is_empty();
            }
            Err(_) => alternatives += 1,
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
    InsertionResult {
        plan_requests: g.instance.requests.len() - base.unserved.len(),
        vehicles: g.instance.vehicles.len(),
        trials,
        inserted,
        alternatives,
        inserted_plans_valid: all_valid,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        max_ms: *times.last().unwrap_or(&0.0),
    }
}

/// The human-readable report.
pub fn table(report: &BenchReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "Cordeau (2006) a-instances, {:.0} s per instance, seed {}", report.seconds_per_instance, report.seed);
    let _ = writeln!(
        s,
        "{:<7} {:>4} {:>3} {:>9} {:>9} {:>7} {:>6} {:>5}  best known source",
        "name", "req", "veh", "cost", "best", "gap %", "time s", "valid"
    );
    for r in &report.instances {
        let best = r.best_known.map(|b| format!("{b:.2}")).unwrap_or_else(|| "unknown".into());
        let gap = r.gap_percent.map(|g| format!("{g:.2}")).unwrap_or_else(|| "-".into());
        let valid = if r.valid { "yes" } else { "NO" };
        let _ = writeln!(
            s,
            "{:<7} {:>4} {:>3} {:>9.2} {:>9} {:>7} {:>6.1} {:>5}  {}",
            r.name, r.requests, r.vehicles, r.cost, best, gap, r.seconds, valid, r.best_known_source
        );
        if r.unserved > 0 {
            let _ = writeln!(s, "        {} requests unserved", r.unserved);
        }
        for v in &r.violations {
            let _ = writeln!(s, "        violation: {v}");
        }
    }
    let f = |x: Option<f64>| x.map(|g| format!("{g:.2} %")).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        s,
        "mean gap {}, worst gap {}, mean gap over confirmed best known values {}",
        f(report.mean_gap_percent),
        f(report.worst_gap_percent),
        f(report.mean_gap_confirmed_percent)
    );
    let _ = writeln!(s, "all plans valid (independent validator): {}", if report.all_valid { "yes" } else { "NO" });
    let i = &report.insertion;
    let _ = writeln!(
        s,
        "dynamic insertion into a {}-request, {}-vehicle plan: {} trials ({} inserted, {} answered with alternatives; inserted plans valid: {}): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        i.plan_requests,
        i.vehicles,
        i.trials,
        i.inserted,
        i.alternatives,
        if i.inserted_plans_valid { "yes" } else { "NO" },
        i.p50_ms,
        i.p95_ms,
        i.max_ms
    );
    s
}

/// Random instances in the style of Cordeau (2006), optionally with the features real
/// ride services have (wheelchairs, parties of two, linked return trips, odd requests).
#[derive(Clone, Debug)]
pub struct GeneratorConfig {
    pub requests: usize,
    pub vehicles: usize,
    /// Extra requests (not in the instance) whose places exist, for insertion tests.
    pub extra: usize,
    pub seed: u64,
    pub variety: bool,
}

#[derive(Clone, Debug)]
pub struct Generated {
    pub instance: Instance,
    pub extra: Vec<Request>,
}

/// Points uniform in [-10, 10]², depot in the middle, time = distance. Half the
/// requests are outbound (15-minute window at the drop-off), half inbound (at the
/// pickup); service 3, ride time at most 30, vehicles with 3 seats and a 720-minute day.
pub fn generate(cfg: &GeneratorConfig) -> Generated {
    let mut rng = Rng::new(cfg.seed);
    let mut eu = Euclidean::new(vec![(0.0, 0.0)]);
    let horizon = 720.0;
    let make = |rng: &mut Rng, eu: &mut Euclidean, outbound: bool| {
        let mut pt = || (rng.f64() * 20.0 - 10.0, rng.f64() * 20.0 - 10.0);
        let (a, b) = (pt(), pt());
        let (p, d) = (eu.push(a.0, a.1), eu.push(b.0, b.1));
        let start = 60.0 + rng.f64() * (horizon - 120.0);
        let tight = TimeWindow::new(start, start + 15.0);
        let open = TimeWindow::new(0.0, 1440.0);
        let (pw, dw) = if outbound { (open, tight) } else { (tight, open) };
        Request {
            pickup: Stop { place: p, window: pw, service: 3.0 },
            dropoff: Stop { place: d, window: dw, service: 3.0 },
            seats: 1,
            wheelchairs: 0,
            max_ride: 30.0,
            link: None,
        }
    };
    let mut requests: Vec<Request> = (0..cfg.requests).map(|i| make(&mut rng, &mut eu, i < cfg.requests / 2)).collect();
    let extra: Vec<Request> = (0..cfg.extra).map(|i| make(&mut rng, &mut eu, i % 2 == 0)).collect();
    let mut vehicles: Vec<Vehicle> = (0..cfg.vehicles)
        .map(|_| Vehicle {
            start_place: 0,
            end_place: 0,
            shift: TimeWindow::new(0.0, 1440.0),
            seats: 3,
            wheelchairs: 0,
            max_duration: horizon,
        })
        .collect();
    if cfg.variety {
        for (k, v) in vehicles.iter_mut().enumerate() {
            v.wheelchairs = u32::from(k % 2 == 0);
            v.seats = 2 + (k % 3) as u32;
            v.shift = TimeWindow::new(0.0, if k % 2 == 0 { 1440.0 } else { 600.0 });
        }
        for i in 0..requests.len() {
            match rng.below(10) {
                0 => requests[i].wheelchairs = 1,
                1 => requests[i].seats = 2,
                2 => requests[i].wheelchairs = 2, // no vehicle has two places: must be reported
                3 => requests[i].max_ride = 5.0,  // often shorter than the direct trip
                4 if i > 0 && requests[i - 1].link.is_none() => {
                    // A return trip home from the previous request's appointment.
                    let out = requests[i - 1].clone();
                    requests[i].pickup = Stop { place: out.dropoff.place, window: TimeWindow::new(0.0, 1440.0), service: 3.0 };
                    requests[i].dropoff = Stop { place: out.pickup.place, window: TimeWindow::new(0.0, 1440.0), service: 3.0 };
                    requests[i].link = Some(Link { outbound: i - 1, appointment: 30.0 + rng.f64() * 60.0 });
                }
                _ => {}
            }
        }
    }
    let instance = Instance::new(format!("gen-{}-{}-{}", cfg.requests, cfg.vehicles, cfg.seed), requests, vehicles, Arc::new(eu))
        .expect("generated instance is consistent");
    Generated { instance, extra }
}
