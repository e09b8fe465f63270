//! The queue: an office's open tickets, most urgent first, with filters and a live
//! refresh of the rows.

use super::error::StaffError;
use super::extract::SignedIn;
use super::layout::{KINDS, STATUSES, Urgency, csrf_field, kind_label, local_time, page, status_label, topic_label, urgent_badge};
use crate::domain::tickets::{Ticket, TicketQuery, UNASSIGNED};
use crate::server::AppState;
use crate::staff::access;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

/// The filter form's fields (all optional; empty means "any").
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub status: String,
    /// A username, `me`, or `-` for nobody.
    #[serde(default)]
    pub assignee: String,
}

impl Filter {
    pub fn query(&self, who: &SignedIn) -> TicketQuery {
        let assignee = if self.assignee == "me" { who.username().to_string() } else { self.assignee.clone() };
        TicketQuery { office_id: String::new(), kind: self.kind.clone(), topic: self.topic.clone(), status: self.status.clone(), assignee }
    }

    fn query_string(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("kind", &self.kind)
            .append_pair("topic", &self.topic)
            .append_pair("status", &self.status)
            .append_pair("assignee", &self.assignee)
            .finish()
    }
}

pub async fn page_handler(State(app): State<AppState>, who: SignedIn, Query(filter): Query<Filter>) -> Result<Markup, StaffError> {
    let list = access::tickets(&app.db, &who.session.staff, filter.query(&who)).await?;
    let topics = access::topics(&app.db, &who.session.staff).await?;
    who.audit(&app, "queue.view", "", "", &format!("{} Anliegen", list.len())).await?;
    let refresh = format!("/staff/queue/rows?{}", filter.query_string());
    let office = match &who.session.staff.office_id {
        Some(id) if !who.session.staff.sees_several_offices() => crate::domain::directory::office(&app.db, id).await?.map(|o| o.name),
        _ => None,
    };
    let content = html! {
        h1 { "Warteschlange" @if let Some(o) = &office { " – " (o) } }
        (filter_form(&app, &filter, &topics))
        p.refreshed #refreshed aria-live="off" { "Die Liste aktualisiert sich alle 20 Sekunden." }
        table {
            caption.skip { "Anliegen" }
            thead {
                tr {
                    th scope="col" { "Fällig" }
                    th scope="col" { "Art" }
                    th scope="col" { "Thema" }
                    @if who.session.staff.sees_several_offices() { th scope="col" { "Büro" } }
                    th scope="col" { "Rückrufnummer" }
                    th scope="col" { "Status" }
                    th scope="col" { "Bearbeitung" }
                    th scope="col" { "Eingang" }
                    th scope="col" { span.skip { "Aktion" } }
                }
            }
            tbody #queue-rows data-refresh=(refresh) { (rows(&app, &who, &list)) }
        }
    };
    Ok(page("Warteschlange", Some(&who), content))
}

/// The rows alone, for the live refresh.
pub async fn rows_handler(State(app): State<AppState>, who: SignedIn, Query(filter): Query<Filter>) -> Result<Markup, StaffError> {
    let list = access::tickets(&app.db, &who.session.staff, filter.query(&who)).await?;
    Ok(rows(&app, &who, &list))
}

fn filter_form(app: &AppState, f: &Filter, topics: &[String]) -> Markup {
    let option = |value: &str, label: &str, current: &str| html! { option value=(value) selected[value == current] { (label) } };
    html! {
        form.filters method="get" action="/staff/queue" {
            div {
                label for="f-kind" { "Art" }
                select #f-kind name="kind" {
                    (option("", "alle", &f.kind))
                    @for k in KINDS { (option(k, kind_label(k), &f.kind)) }
                }
            }
            div {
                label for="f-topic" { "Thema" }
                select #f-topic name="topic" {
                    (option("", "alle", &f.topic))
                    @for t in topics { (option(t, topic_label(&app.prompts, t), &f.topic)) }
                }
            }
            div {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    (option("", "alle offenen", &f.status))
                    @for s in STATUSES { (option(s, status_label(s), &f.status)) }
                }
            }
            div {
                label for="f-assignee" { "Bearbeitung" }
                select #f-assignee name="assignee" {
                    (option("", "alle", &f.assignee))
                    (option("me", "von mir", &f.assignee))
                    (option(UNASSIGNED, "noch niemand", &f.assignee))
                }
            }
            div { button type="submit" { "Filtern" } }
        }
    }
}

fn rows(app: &AppState, who: &SignedIn, list: &[Ticket]) -> Markup {
    let tz = app.config.dialog.timezone;
    let now = chrono::Utc::now();
    let columns = if who.session.staff.sees_several_offices() { 9 } else { 8 };
    html! {
        @if list.is_empty() {
            tr { td colspan=(columns) { "Keine Anliegen in dieser Auswahl." } }
        }
        @for t in list {
            @let urgency = Urgency::of(&t.due_at, now, tz);
            @let topic = topic_label(&app.prompts, &t.topic);
            tr {
                td {
                    @if t.status == "closed" { "–" } @else {
                        @if t.priority > 0 { (urgent_badge()) br; }
                        span class=(urgency.class()) { (urgency.label()) } br; (local_time(&t.due_at, tz))
                    }
                }
                td { (kind_label(&t.kind)) }
                td { a href={ "/staff/tickets/" (t.id) } { (topic) } }
                @if who.session.staff.sees_several_offices() { td { (t.office_name) } }
                td { (t.callback_number.as_deref().unwrap_or("–")) }
                td { (status_label(&t.status)) }
                td { (t.assignee.as_deref().unwrap_or("–")) }
                td { (local_time(&t.created_at, tz)) }
                td {
                    @if t.status == "open" {
                        form method="post" action={ "/staff/tickets/" (t.id) "/claim" } {
                            (csrf_field(who))
                            button type="submit" aria-label={ "Übernehmen: " (topic) } { "Übernehmen" }
                        }
                    }
                }
            }
        }
    }
}
