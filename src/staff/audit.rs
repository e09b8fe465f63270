//! The audit log: who viewed or changed what, when. Written for every ticket view and
//! change and every sign-in, so an office can answer a person's GDPR access request.

use crate::db::{Db, DbError, new_id, now};

/// One thing someone did.
pub struct Entry<'a> {
    /// Username, or `-` when unknown (failed sign-in).
    pub actor: &'a str,
    /// Dotted verb, e.g. `ticket.view`, `ticket.claim`, `login.failed`.
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub detail: &'a str,
    pub ip: &'a str,
}

pub async fn record(db: &Db, e: &Entry<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, object_type, object_id, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(now())
    .bind(e.actor)
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.detail)
    .bind(e.ip)
    .execute(db.pool())
    .await?;
    Ok(())
}
