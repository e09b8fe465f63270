//! One office's service day as a dispatcher instance, and the dispatcher's plan back as
//! rows to store.
//!
//! Time windows sit on the side that matters: an outbound trip arrives within
//! `window_minutes` before the appointment starts; a return trip is picked up within
//! `window_minutes` after it ends (and, when its outbound trip is planned the same day,
//! the dispatcher's link says so too). The other end is bounded by the ride time.

use super::clock::{at_minutes, minutes_into};
use super::store::{Direction, FleetVehicle, Point, RideRequest, StopRow, UnservedRow};
use crate::config::RidesConfig;
use crate::dispatch::{Haversine, Instance, Link, ModelError, Plan, Request, Stop, StopKind, TimeWindow, UnservedReason, Vehicle};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Why a request is not in the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Unplanned {
    /// A trip end has no verified position.
    AddressUnverified,
    /// The office has no vehicle in service.
    NoVehicle,
    Solver(UnservedReason),
}

impl Unplanned {
    pub fn code(&self) -> &'static str {
        match self {
            Unplanned::AddressUnverified => "address_unverified",
            Unplanned::NoVehicle => "no_vehicle",
            Unplanned::Solver(r) => match r {
                UnservedReason::NoWheelchairPlace { .. } => "no_wheelchair_place",
                UnservedReason::TooManySeats { .. } => "too_many_seats",
                UnservedReason::EmptyPickupWindow { .. } => "empty_pickup_window",
                UnservedReason::WindowsUnreachable => "windows_unreachable",
                UnservedReason::RideTooLong { .. } => "ride_too_long",
                UnservedReason::OutsideShifts => "outside_shifts",
                UnservedReason::FleetBusy => "fleet_busy",
                UnservedReason::Invalid { .. } => "invalid",
            },
        }
    }
}

/// The explanation for staff, in German.
impl fmt::Display for Unplanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unplanned::AddressUnverified => write!(f, "Adresse nicht geprüft"),
            Unplanned::NoVehicle => write!(f, "Das Büro hat kein Fahrzeug im Dienst"),
            Unplanned::Solver(r) => match r {
                UnservedReason::NoWheelchairPlace { needed, largest } => {
                    write!(f, "Braucht {needed} Rollstuhlplatz/-plätze, kein Fahrzeug hat mehr als {largest}")
                }
                UnservedReason::TooManySeats { needed, largest } => {
                    write!(f, "Braucht {needed} Sitzplätze, kein Fahrzeug hat mehr als {largest}")
                }
                UnservedReason::EmptyPickupWindow { .. } => write!(f, "Kein möglicher Abholzeitraum (der Termin endet zu spät)"),
                UnservedReason::WindowsUnreachable => write!(f, "Der Termin ist vom Abholort aus nicht rechtzeitig erreichbar"),
                UnservedReason::RideTooLong { direct, max_ride } => {
                    write!(f, "Die direkte Fahrt dauert {direct:.0} Minuten, erlaubt sind {max_ride:.0}")
                }
                UnservedReason::OutsideShifts => write!(f, "Keine Fahrzeugschicht deckt die Fahrt ab"),
                UnservedReason::FleetBusy => write!(f, "Alle passenden Fahrzeuge sind zu dieser Zeit belegt"),
                UnservedReason::Invalid { what } => write!(f, "Ungültige Anfrage: {what}"),
            },
        }
    }
}

/// An office's day, ready for the dispatcher.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub instance: Instance,
    /// For each instance request, its index in the requests given to [`build`].
    pub requests: Vec<usize>,
    /// Requests left out before solving (index in the given requests), with the reason.
    pub left_out: Vec<(usize, Unplanned)>,
}

/// Turns the open requests and the vehicles of one office and day into an instance.
/// Vehicle `k` of the instance is `vehicles[k]`.
pub fn build(date: NaiveDate, requests: &[RideRequest], vehicles: &[FleetVehicle], rules: &RidesConfig) -> Result<Day, ModelError> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut place = |p: Point| {
        points.push((p.lat, p.lon));
        points.len() - 1
    };
    let fleet: Vec<Vehicle> = vehicles
        .iter()
        .map(|v| {
            let depot = place(v.depot);
            Vehicle {
                start_place: depot,
                end_place: depot,
                shift: TimeWindow::new(f64::from(v.shift_start.minutes()), f64::from(v.shift_end.minutes())),
                seats: v.seats,
                wheelchairs: v.wheelchair_places,
                max_duration: f64::from(v.max_route_minutes),
            }
        })
        .collect();
    let (window, max_ride) = (f64::from(rules.window_minutes), f64::from(rules.max_ride_minutes));
    let mut day_requests = Vec::new();
    let mut index = Vec::new();
    let mut left_out = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let (Some(from), Some(to)) = (r.pickup.point, r.destination.point) else {
            left_out.push((i, Unplanned::AddressUnverified));
            continue;
        };
        if fleet.is_empty() {
            left_out.push((i, Unplanned::NoVehicle));
            continue;
        }
        let service = f64::from(if r.wheelchair { rules.wheelchair_service_minutes } else { rules.service_minutes });
        let start = minutes_into(date, r.appointment_at);
        let (pickup, dropoff) = match r.direction {
            Direction::Outbound => {
                let arrive = TimeWindow::new(start - window, start);
                (TimeWindow::new((arrive.earliest - service - max_ride).max(0.0), arrive.latest), arrive)
            }
            Direction::Return => {
                let end = start + f64::from(r.appointment_minutes);
                let leave = TimeWindow::new(end, end + window);
                (leave, TimeWindow::new(leave.earliest, leave.latest + service + max_ride))
            }
        };
        day_requests.push(Request {
            pickup: Stop { place: place(from), window: pickup, service },
            dropoff: Stop { place: place(to), window: dropoff, service },
            seats: r.seats,
            wheelchairs: u32::from(r.wheelchair),
            max_ride,
            link: None,
        });
        index.push(i);
    }
    // Links only within the instance: an outbound trip left out leaves its return trip
    // with its own window, which already waits for the appointment's end.
    let position: HashMap<&str, usize> = index.iter().enumerate().map(|(k, &i)| (requests[i].id.as_str(), k)).collect();
    for (k, &i) in index.iter().enumerate() {
        let r = &requests[i];
        if let Some(outbound) = r.return_of.as_deref().and_then(|id| position.get(id)) {
            day_requests[k].link = Some(Link { outbound: *outbound, appointment: f64::from(r.appointment_minutes) });
        }
    }
    let travel = Haversine::new(points, rules.detour_factor, rules.speed_kmh);
    let instance = Instance::new(date.to_string(), day_requests, fleet, Arc::new(travel))?;
    Ok(Day { date, instance, requests: index, left_out })
}

impl Day {
    /// The plan as rows: every stop with its times, and every request not served, those
    /// left out before solving included.
    pub fn rows(&self, plan: &Plan, requests: &[RideRequest], vehicles: &[FleetVehicle]) -> (Vec<StopRow>, Vec<UnservedRow>) {
        let at = |minutes: f64| at_minutes(self.date, minutes);
        let mut stops = Vec::new();
        for route in &plan.routes {
            for (seq, s) in route.stops.iter().enumerate() {
                let req = &self.instance.requests[s.request];
                let (stop, window) = match s.kind {
                    StopKind::Pickup => (&req.pickup, req.effective_pickup_window(&self.instance.requests)),
                    StopKind::Dropoff => (&req.dropoff, req.dropoff.window),
                };
                stops.push(StopRow {
                    vehicle_id: vehicles[route.vehicle].id.clone(),
                    seq: seq as u32 + 1,
                    request_id: requests[self.requests[s.request]].id.clone(),
                    kind: s.kind,
                    arrive_at: at(s.begin),
                    depart_at: at(s.begin + stop.service),
                    window_start: at(window.earliest),
                    window_end: at(window.latest),
                });
            }
        }
        let unplanned = self
            .left_out
            .iter()
            .map(|(i, why)| (*i, why.clone()))
            .chain(plan.unserved.iter().map(|u| (self.requests[u.request], Unplanned::Solver(u.reason.clone()))));
        let unserved = unplanned
            .map(|(i, why)| UnservedRow { request_id: requests[i].id.clone(), code: why.code(), reason: why.to_string() })
            .collect();
        (stops, unserved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{PlannedStop, RoutePlan, Unserved};
    use crate::rides::ClockTime;
    use crate::rides::store::{Location, RideStatus};
    use chrono::NaiveDateTime;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn at(hhmm: &str) -> NaiveDateTime {
        super::super::clock::parse_local(&format!("2026-12-03T{hhmm}")).unwrap()
    }

    const HOME: Point = Point { lat: 51.4845, lon: 7.5052 };
    const PRACTICE: Point = Point { lat: 51.4895, lon: 7.5080 };

    fn request(id: &str, direction: Direction, return_of: Option<&str>, home: Option<Point>) -> RideRequest {
        let (home, practice) =
            (Location { text: "Faßstraße 12".into(), point: home }, Location { text: "Praxis".into(), point: Some(PRACTICE) });
        let (pickup, destination) = match direction {
            Direction::Outbound => (home, practice),
            Direction::Return => (practice, home),
        };
        RideRequest {
            id: id.into(),
            office_id: "do-hoerde".into(),
            person_name: Some("Erika Mustermann".into()),
            direction,
            return_of: return_of.map(Into::into),
            pickup,
            destination,
            appointment_at: at("09:00"),
            appointment_minutes: 60,
            wheelchair: false,
            rollator: true,
            companion: false,
            seats: 1,
            status: RideStatus::Verified,
        }
    }

    fn van() -> FleetVehicle {
        FleetVehicle {
            id: "bus-1".into(),
            office_id: "do-hoerde".into(),
            name: "Bus 1".into(),
            depot: Point { lat: 51.4866, lon: 7.5063 },
            shift_start: "07:00".parse::<ClockTime>().unwrap(),
            shift_end: "14:00".parse().unwrap(),
            seats: 3,
            wheelchair_places: 1,
            max_route_minutes: 420,
        }
    }

    #[test]
    fn outbound_arrives_before_the_appointment_and_the_return_waits_for_its_end() {
        let rules = RidesConfig::default();
        let reqs = [request("out", Direction::Outbound, None, Some(HOME)), request("back", Direction::Return, Some("out"), Some(HOME))];
        let d = build(day(), &reqs, &[van()], &rules).unwrap();
        let inst = &d.instance;
        let (out, back) = (&inst.requests[0], &inst.requests[1]);
        // 09:00 = 540; arrive in [08:30, 09:00], picked up no earlier than 08:30 - 3 - 45.
        assert_eq!(out.dropoff.window, TimeWindow::new(510.0, 540.0));
        assert_eq!(out.pickup.window, TimeWindow::new(462.0, 540.0));
        assert_eq!(out.pickup.service, 3.0);
        // The appointment ends at 10:00: the return trip starts no earlier, within 30 min.
        assert_eq!(back.link, Some(Link { outbound: 0, appointment: 60.0 }));
        assert_eq!(back.effective_pickup_window(&inst.requests), TimeWindow::new(600.0, 630.0));
        assert_eq!(back.dropoff.window, TimeWindow::new(600.0, 678.0));
        assert_eq!(inst.vehicles[0].shift, TimeWindow::new(420.0, 840.0));
        assert_eq!(back.max_ride, 45.0);
        assert!(inst.travel.minutes(out.pickup.place, out.dropoff.place) > 0.0);
    }

    #[test]
    fn linked_return_earliest_start_is_the_appointment_end_even_if_its_own_time_is_earlier() {
        let mut back = request("back", Direction::Return, Some("out"), Some(HOME));
        back.appointment_at = at("08:00");
        let reqs = [request("out", Direction::Outbound, None, Some(HOME)), back];
        let d = build(day(), &reqs, &[van()], &RidesConfig::default()).unwrap();
        // Own window says 09:00; the outbound appointment (09:00 + 60 min) says 10:00.
        assert_eq!(d.instance.requests[1].effective_pickup_window(&d.instance.requests).earliest, 600.0);
    }

    #[test]
    fn unverified_addresses_and_missing_vehicles_are_reported_not_dropped() {
        let reqs = [
            request("out", Direction::Outbound, None, None),
            request("back", Direction::Return, Some("out"), None),
            request("ok", Direction::Outbound, None, Some(HOME)),
        ];
        let d = build(day(), &reqs, &[van()], &RidesConfig::default()).unwrap();
        assert_eq!(d.requests, [2]);
        assert_eq!(d.left_out, [(0, Unplanned::AddressUnverified), (1, Unplanned::AddressUnverified)]);
        let none = build(day(), &reqs[2..], &[], &RidesConfig::default()).unwrap();
        assert_eq!(none.left_out, [(0, Unplanned::NoVehicle)]);
        assert_eq!(Unplanned::AddressUnverified.to_string(), "Adresse nicht geprüft");
    }

    #[test]
    fn wheelchair_users_take_a_wheelchair_place_and_more_time() {
        let mut r = request("out", Direction::Outbound, None, Some(HOME));
        (r.wheelchair, r.seats) = (true, 0);
        let d = build(day(), &[r], &[van()], &RidesConfig::default()).unwrap();
        let req = &d.instance.requests[0];
        assert_eq!((req.seats, req.wheelchairs, req.pickup.service), (0, 1, 8.0));
    }

    #[test]
    fn plan_becomes_rows_with_local_times_and_reasons() {
        let reqs = [request("lost", Direction::Outbound, None, None), request("out", Direction::Outbound, None, Some(HOME))];
        let vans = [van()];
        let d = build(day(), &reqs, &vans, &RidesConfig::default()).unwrap();
        let stop = |kind, begin| PlannedStop { request: 0, kind, arrival: begin, begin };
        let plan = Plan {
            routes: vec![RoutePlan {
                vehicle: 0,
                depart: 500.0,
                arrive: 540.0,
                stops: vec![stop(StopKind::Pickup, 505.2), stop(StopKind::Dropoff, 520.0)],
            }],
            unserved: vec![],
            cost: 20.0,
        };
        let (stops, unserved) = d.rows(&plan, &reqs, &vans);
        assert_eq!(stops.len(), 2);
        assert_eq!((stops[0].request_id.as_str(), stops[0].vehicle_id.as_str(), stops[0].seq), ("out", "bus-1", 1));
        assert_eq!((stops[0].arrive_at, stops[0].depart_at), (at("08:25"), at("08:28")));
        assert_eq!((stops[1].window_start, stops[1].window_end), (at("08:30"), at("09:00")));
        assert_eq!(unserved.len(), 1);
        assert_eq!((unserved[0].request_id.as_str(), unserved[0].code), ("lost", "address_unverified"));
        let busy = Plan { routes: vec![], unserved: vec![Unserved { request: 0, reason: UnservedReason::FleetBusy }], cost: 0.0 };
        let (_, unserved) = d.rows(&busy, &reqs, &vans);
        assert_eq!(unserved[1].request_id, "out");
        assert_eq!(unserved[1].code, "fleet_busy");
    }
}
