//! A day plan as text for the ride desk: one schedule per vehicle, then the requests
//! not planned with the reason.

use super::planner::DayPlan;
use super::store::{Direction, RideRequest};
use crate::dispatch::StopKind;
use chrono::Datelike;
use std::collections::HashMap;
use std::fmt::Write;

const WEEKDAYS: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];

/// The plan, German, local times.
pub fn schedule(plan: &DayPlan) -> String {
    let rows = &plan.rows;
    let requests: HashMap<&str, &RideRequest> = plan.requests.iter().map(|r| (r.id.as_str(), r)).collect();
    let date = rows.service_date;
    let mut out = String::new();
    let served = rows.stops.iter().filter(|s| s.kind == StopKind::Pickup).count();
    let _ = writeln!(
        out,
        "Fahrplan für {}, {}: {served} Fahrten eingeplant, {} nicht eingeplant, Fahrzeit zusammen {:.0} min",
        WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        date.format("%d.%m.%Y"),
        rows.unserved.len(),
        rows.cost
    );
    for vehicle in &plan.vehicles {
        let stops: Vec<_> = rows.stops.iter().filter(|s| s.vehicle_id == vehicle.id).collect();
        let _ = writeln!(out, "\n{} ({}, Schicht {}-{})", vehicle.name, vehicle.office_id, vehicle.shift_start, vehicle.shift_end);
        if stops.is_empty() {
            let _ = writeln!(out, "  keine Fahrten");
        }
        for s in stops {
            let Some(r) = requests.get(s.request_id.as_str()) else { continue };
            let (what, place, note) = match s.kind {
                StopKind::Pickup => ("Abholen ", &r.pickup.text, needs(r)),
                StopKind::Dropoff => ("Absetzen", &r.destination.text, String::new()),
            };
            let appointment = match (r.direction, s.kind) {
                (Direction::Outbound, StopKind::Dropoff) => format!(" (Termin {})", r.appointment_at.format("%H:%M")),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {} {what}  {:<22} {place}{appointment}{note}", s.arrive_at.format("%H:%M"), who(r));
        }
    }
    if !rows.unserved.is_empty() {
        let _ = writeln!(out, "\nNicht eingeplant:");
        for u in &rows.unserved {
            let Some(r) = requests.get(u.request_id.as_str()) else { continue };
            let when = match r.direction {
                Direction::Outbound => format!("Termin {}", r.appointment_at.format("%H:%M")),
                Direction::Return => format!("Rückfahrt nach Termin {}", r.appointment_at.format("%H:%M")),
            };
            let _ = writeln!(out, "  {}, {when}, {} -> {}: {}", who(r), r.pickup.text, r.destination.text, u.reason);
        }
    }
    out
}

fn who(r: &RideRequest) -> &str {
    r.person_name.as_deref().unwrap_or("Fahrgast ohne Namen")
}

/// What the driver should know at the pickup.
fn needs(r: &RideRequest) -> String {
    let items: Vec<&str> = [(r.wheelchair, "Rollstuhl"), (r.rollator, "Rollator"), (r.companion, "mit Begleitung")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| s)
        .collect();
    if items.is_empty() { String::new() } else { format!(" [{}]", items.join(", ")) }
}
