//! Who may see which tickets. Every staff page and API call gets its tickets through
//! [`ticket`] or [`Staff::scope`], so no handler can forget the office check.
//!
//! A ticket outside someone's scope is reported as not found, never as forbidden: staff
//! of one office do not learn which ticket ids exist elsewhere.

use crate::db::{Db, DbError};
use crate::domain::tickets::{self, Ticket, TicketQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Works the tickets of their own office.
    Staff,
    /// Plans rides: ride tickets of every office.
    RideDesk,
    /// Oversees all offices (and their reports).
    Coordinator,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "staff" => Some(Role::Staff),
            "ride_desk" => Some(Role::RideDesk),
            "coordinator" => Some(Role::Coordinator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "Mitarbeiterin/Mitarbeiter",
            Role::RideDesk => "Fahrdienst",
            Role::Coordinator => "Koordination",
            Role::Admin => "Verwaltung",
        }
    }
}

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq)]
pub struct Staff {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office_id: Option<String>,
}

impl Staff {
    /// From a row with the `staff_users` columns id, username, display_name, role,
    /// office_id; `None` for a role this code does not know.
    pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Option<Staff> {
        use sqlx::Row;
        Some(Staff {
            id: r.get("id"),
            username: r.get("username"),
            display_name: r.get("display_name"),
            role: Role::parse(r.get("role"))?,
            office_id: r.get("office_id"),
        })
    }

    /// Narrows `query` to what this person may see; `None` when the query asks only for
    /// tickets outside it (another office, or another kind for the ride desk).
    pub fn scope(&self, mut query: TicketQuery) -> Option<TicketQuery> {
        let pin = |field: &mut String, value: &str| {
            if field.is_empty() || field == value {
                *field = value.to_string();
                true
            } else {
                false
            }
        };
        let allowed = match self.role {
            Role::Staff => self.office_id.as_deref().is_some_and(|office| pin(&mut query.office_id, office)),
            Role::RideDesk => pin(&mut query.kind, "ride"),
            Role::Coordinator | Role::Admin => true,
        };
        allowed.then_some(query)
    }

    pub fn may_see(&self, ticket: &Ticket) -> bool {
        match self.role {
            Role::Staff => self.office_id.as_deref() == Some(ticket.office_id.as_str()),
            Role::RideDesk => ticket.kind == "ride",
            Role::Coordinator | Role::Admin => true,
        }
    }

    /// Coordinators and admins answer data-protection requests (export, erasure) and
    /// read the reports; everyone else is told such pages do not exist.
    pub fn oversees(&self) -> bool {
        matches!(self.role, Role::Coordinator | Role::Admin)
    }

    /// Whose ride requests this person works: `Some("")` every office's (ride desk,
    /// coordinators, admins), `Some(office)` their own office's, `None` none. The same
    /// office rule as for tickets.
    pub fn ride_office(&self) -> Option<&str> {
        match self.role {
            Role::Staff => self.office_id.as_deref(),
            Role::RideDesk | Role::Coordinator | Role::Admin => Some(""),
        }
    }

    /// Whose offers this person manages: like rides, but the ride desk has none.
    pub fn offer_office(&self) -> Option<&str> {
        if self.role == Role::RideDesk { None } else { self.ride_office() }
    }

    /// Whose registered people (and their caregivers) this person looks after: like
    /// offers. Someone of another office is told such a person does not exist.
    pub fn people_office(&self) -> Option<&str> {
        self.offer_office()
    }

    /// Whether a person of `office_id` (none: not yet assigned) is theirs to see.
    pub fn may_see_person_of(&self, office_id: Option<&str>) -> bool {
        match self.people_office() {
            Some("") => true,
            Some(own) => office_id == Some(own),
            None => false,
        }
    }

    pub fn may_see_rides_of(&self, office_id: &str) -> bool {
        self.ride_office().is_some_and(|o| o.is_empty() || o == office_id)
    }

    /// Whether the queue mixes offices (then it shows each ticket's office).
    pub fn sees_several_offices(&self) -> bool {
        self.role != Role::Staff
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no such ticket")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The ticket `id` if `staff` may see it; [`AccessError::NotFound`] whether it is missing
/// or belongs to someone else's scope.
pub async fn ticket(db: &Db, staff: &Staff, id: &str) -> Result<Ticket, AccessError> {
    match tickets::get(db, id).await? {
        Some(t) if staff.may_see(&t) => Ok(t),
        _ => Err(AccessError::NotFound),
    }
}

/// Tickets matching `query` within what `staff` may see.
pub async fn tickets(db: &Db, staff: &Staff, query: TicketQuery) -> Result<Vec<Ticket>, DbError> {
    match staff.scope(query) {
        Some(q) => tickets::list(db, &q).await,
        None => Ok(Vec::new()),
    }
}

/// Topics of the tickets `staff` may see.
pub async fn topics(db: &Db, staff: &Staff) -> Result<Vec<String>, DbError> {
    match staff.scope(TicketQuery::default()) {
        Some(q) => tickets::topics(db, &q).await,
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, office: Option<&str>) -> Staff {
        Staff { id: "u".into(), username: "u".into(), display_name: "U".into(), role, office_id: office.map(str::to_string) }
    }

    #[test]
    fn scope_pins_office_and_kind() {
        let hoerde = staff(Role::Staff, Some("do-hoerde"));
        assert_eq!(hoerde.scope(TicketQuery::default()).unwrap().office_id, "do-hoerde");
        let other = TicketQuery { office_id: "do-innenstadt-west".into(), ..Default::default() };
        assert_eq!(hoerde.scope(other.clone()), None);
        assert_eq!(staff(Role::Staff, None).scope(TicketQuery::default()), None, "staff without an office see nothing");

        let desk = staff(Role::RideDesk, Some("do-hoerde"));
        let q = desk.scope(other.clone()).unwrap();
        assert_eq!((q.kind.as_str(), q.office_id.as_str()), ("ride", "do-innenstadt-west"));
        assert_eq!(desk.scope(TicketQuery { kind: "callback".into(), ..Default::default() }), None);

        assert_eq!(staff(Role::Coordinator, None).scope(other.clone()), Some(other));
    }

    #[test]
    fn rides_follow_the_office_rule() {
        assert!(staff(Role::Staff, Some("do-hoerde")).may_see_rides_of("do-hoerde"));
        assert!(!staff(Role::Staff, Some("do-hoerde")).may_see_rides_of("do-innenstadt-west"));
        assert!(!staff(Role::Staff, None).may_see_rides_of("do-hoerde"));
        assert!(staff(Role::RideDesk, Some("do-hoerde")).may_see_rides_of("do-innenstadt-west"));
        assert!(staff(Role::Coordinator, None).may_see_rides_of("do-hoerde"));
    }

    #[test]
    fn people_are_seen_by_their_office_and_those_overseeing() {
        let hoerde = staff(Role::Staff, Some("do-hoerde"));
        assert!(hoerde.may_see_person_of(Some("do-hoerde")));
        assert!(!hoerde.may_see_person_of(Some("do-innenstadt-west")));
        assert!(!hoerde.may_see_person_of(None));
        assert!(!staff(Role::RideDesk, Some("do-hoerde")).may_see_person_of(Some("do-hoerde")));
        assert!(staff(Role::Coordinator, None).may_see_person_of(None));
    }

    #[test]
    fn roles_parse_all_stored_names() {
        for name in crate::staff::users::ROLES {
            assert!(Role::parse(name).is_some(), "{name}");
        }
        assert_eq!(Role::parse("root"), None);
    }
}
