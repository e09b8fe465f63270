//! Reader for the Cordeau (2006) dial-a-ride benchmark files, and the best known costs.
//!
//! Layout (checked against `../shared/data/darp-cordeau/a*.txt`): a header line
//! `vehicles nodes max_route_duration capacity max_ride_time`, where `nodes` = 2n; then
//! one line per node `id x y service load earliest latest`: node 0 is the depot, 1..n the
//! pickups, n+1..2n the matching drop-offs (negative load). Some files add node 2n+1, the
//! end depot, whose window bounds the return. Travel time = Euclidean distance.

use super::model::{Euclidean, Instance, ModelError, Request, Stop, TimeWindow, Vehicle};
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CordeauError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: line {line}: {what}")]
    Format { file: String, line: usize, what: String },
    #[error("{file}: {source}")]
    Model { file: String, source: ModelError },
}

/// Parses a benchmark file's text. `name` appears in errors and as the instance name.
pub fn parse(name: &str, text: &str) -> Result<Instance, CordeauError> {
    let err = |line: usize, what: String| CordeauError::Format { file: name.to_string(), line, what };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty());
    let (hline, header) = lines.next().ok_or_else(|| err(1, "empty file".into()))?;
    let h: Vec<f64> = header
        .split_whitespace()
        .map(|v| v.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| err(hline, format!("header {header:?} is not numbers")))?;
    if h.len() != 5 {
        return Err(err(
            hline,
            format!("header must be `vehicles nodes max_route_duration capacity max_ride_time`, found {} fields", h.len()),
        ));
    }
    let (vehicles, nodes, max_duration, capacity, max_ride) = (h[0], h[1], h[2], h[3], h[4]);
    if vehicles < 1.0
        || vehicles.fract() != 0.0
        || nodes < 2.0
        || nodes.fract() != 0.0
        || !(nodes as usize).is_multiple_of(2)
        || capacity < 0.0
        || capacity.fract() != 0.0
    {
        return Err(err(
            hline,
            "vehicles must be >= 1, nodes an even number >= 2 (pickups plus drop-offs), capacity a whole number".into(),
        ));
    }
    let n = nodes as usize / 2;
    let mut rows: Vec<(usize, [f64; 6])> = Vec::new();
    for (line, text) in lines {
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() != 7 {
            return Err(err(line, format!("expected `id x y service load earliest latest`, found {} fields", f.len())));
        }
        let id: usize = f[0].parse().map_err(|_| err(line, format!("node id {:?} is not a whole number", f[0])))?;
        if id != rows.len() {
            return Err(err(line, format!("node id {id}, expected {} (nodes must be numbered 0, 1, 2, ... in order)", rows.len())));
        }
        let mut v = [0.0; 6];
        for (k, s) in f[1..].iter().enumerate() {
            v[k] = s.parse().map_err(|_| err(line, format!("{s:?} is not a number")))?;
        }
        if v[4] > v[5] {
            return Err(err(line, format!("time window [{}, {}] is empty", v[4], v[5])));
        }
        rows.push((line, v));
    }
    if rows.len() != 2 * n + 1 && rows.len() != 2 * n + 2 {
        return Err(err(hline, format!("header announces {} nodes plus depot, file has {} node lines", 2 * n, rows.len())));
    }
    let points: Vec<(f64, f64)> = rows.iter().map(|(_, v)| (v[0], v[1])).collect();
    let depot = rows[0].1;
    let end = rows.get(2 * n + 1).map(|r| r.1).unwrap_or(depot);
    let end_place = if rows.len() == 2 * n + 2 { 2 * n + 1 } else { 0 };
    let mut requests = Vec::with_capacity(n);
    for i in 1..=n {
        let (pl, p) = rows[i];
        let (dl, d) = rows[n + i];
        if p[3] <= 0.0 || p[3].fract() != 0.0 || d[3] != -p[3] {
            return Err(err(
                pl,
                format!(
                    "pickup {i} has load {} but drop-off {} (line {dl}) has {}: expected a positive whole load and its negative",
                    p[3],
                    n + i,
                    d[3]
                ),
            ));
        }
        let stop = |v: [f64; 6], place| Stop { place, window: TimeWindow::new(v[4], v[5]), service: v[2] };
        requests.push(Request { pickup: stop(p, i), dropoff: stop(d, n + i), seats: p[3] as u32, wheelchairs: 0, max_ride, link: None });
    }
    let shift = TimeWindow::new(depot[4], depot[5].min(end[5]));
    let fleet = (0..vehicles as usize)
        .map(|_| Vehicle { start_place: 0, end_place, shift, seats: capacity as u32, wheelchairs: 0, max_duration })
        .collect();
    Instance::new(name, requests, fleet, Arc::new(Euclidean::new(points)))
        .map_err(|source| CordeauError::Model { file: name.to_string(), source })
}

/// Reads and parses one file; the instance is named after the file stem (`a2-16`).
pub fn load(path: &Path) -> Result<Instance, CordeauError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CordeauError::Io { file: file.clone(), source })?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or(file);
    parse(&name, &text)
}

/// A best known solution cost and where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct BestKnown {
    pub instance: &'static str,
    pub cost: Option<f64>,
    pub source: &'static str,
    /// True when the value was found in a concrete source, not quoted from memory (see
    /// [`BEST_KNOWN`]).
    pub confirmed: bool,
}

/// Where the values were checked: a public exact solver run (restricted fragments,
/// Rist & Forbes 2021, solved by Gurobi to optimality), in the repository
/// github.com/Thibaud-Ardoin/Dial-a-Ride, folder
/// `dialRL/strategies/logs/darp/rf/4443b2f25d373531/`, files `RF<k>-<instance>_info.json`
/// (objective, bound, gap) and `RF<k>-<instance>_soln.json` (the routes).
const RF_LOGS: &str = "optimal, checked against the exact run in Thibaud-Ardoin/Dial-a-Ride (rf logs)";

/// Best known total route lengths of the a-instances, rounded to two decimals.
///
/// Later DARP papers attribute these optimal values to Ropke, Cordeau & Laporte (2007,
/// Networks 49:258-272; that table was not available here), and DISPATCH.md quotes
/// a2-16, a5-40 and a8-96. Every value was found in the exact run named in [`RF_LOGS`]:
/// `obj_val` with a relative MIP gap of 0, except a7-56 (724.04, lower bound 723.99) and
/// a8-96 (1229.66, lower bound 1229.57), closed to Gurobi's default 1e-4. The routes of
/// that run, replayed on our copies of the files, give the same costs and pass our
/// [`super::validator`], so the files are the same instances.
pub const BEST_KNOWN: [BestKnown; 21] = [
    BestKnown { instance: "a2-16", cost: Some(294.25), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a2-20", cost: Some(344.83), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a2-24", cost: Some(431.12), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a3-24", cost: Some(344.83), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a3-30", cost: Some(494.85), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a3-36", cost: Some(583.19), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a4-32", cost: Some(485.50), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a4-40", cost: Some(557.69), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a4-48", cost: Some(668.82), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a5-40", cost: Some(498.41), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a5-50", cost: Some(686.62), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a5-60", cost: Some(808.42), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a6-48", cost: Some(604.12), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a6-60", cost: Some(819.25), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a6-72", cost: Some(916.05), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a7-56", cost: Some(724.04), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a7-70", cost: Some(889.12), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a7-84", cost: Some(1033.37), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a8-64", cost: Some(747.46), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a8-80", cost: Some(945.73), source: RF_LOGS, confirmed: true },
    BestKnown { instance: "a8-96", cost: Some(1229.66), source: RF_LOGS, confirmed: true },
];

pub fn best_known(instance: &str) -> Option<&'static BestKnown> {
    BEST_KNOWN.iter().find(|b| b.instance == instance)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "1 4 480 3 30\n0 0 0 0 0 0 1440\n1 1 0 3 1 0 1440\n2 2 0 3 1 0 1440\n3 3 0 3 -1 0 1440\n4 4 0 3 -1 0 1440\n";

    #[test]
    fn parses_small_file() {
        let inst = parse("t", SMALL).unwrap();
        assert_eq!(inst.requests.len(), 2);
        assert_eq!(inst.vehicles.len(), 1);
        assert_eq!(inst.requests[1].dropoff.place, 4);
        assert_eq!(inst.vehicles[0].end_place, 0);
        assert!((inst.travel.minutes(0, 3) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn end_depot_line_bounds_the_shift() {
        let text = format!("{SMALL}5 0 0 0 0 0 400\n");
        let inst = parse("t", &text).unwrap();
        assert_eq!(inst.vehicles[0].end_place, 5);
        assert_eq!(inst.vehicles[0].shift.latest, 400.0);
    }

    #[test]
    fn malformed_files_are_reported_with_line() {
        let cases = [
            ("", "empty file"),
            ("1 4 480 3\n", "found 4 fields"),
            ("1 4 480 3 30\n0 0 0 0 0 0 1440\n", "file has 1 node lines"),
            ("1 4 480 3 30\n0 0 0 0 0 0 1440\n1 1 0 3 1 0 1440\n2 2 0 3 1 0 1440\n3 3 0 3 -1 0 1440\n5 4 0 3 -1 0 1440\n", "node id 5"),
            ("1 4 480 3 30\n0 0 0 0 0 0 1440\n1 1 0 3 1 0 1440\n2 2 0 3 1 0 1440\n3 3 0 3 -2 0 1440\n4 4 0 3 -1 0 1440\n", "line 3"),
            ("1 4 480 3 30\n0 0 0 0 0 0 1440\n1 1 x 3 1 0 1440\n", "\"x\" is not a number"),
            ("1 4 480 3 30\n0 0 0 0 0 10 5\n", "is empty"),
        ];
        for (text, needle) in cases {
            let e = parse("bad", text).unwrap_err().to_string();
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
    }

    #[test]
    fn every_a_instance_has_an_entry() {
        assert!(BEST_KNOWN.iter().all(|b| b.confirmed));
        assert_eq!(best_known("a5-40").unwrap().cost, Some(498.41));
    }
}
