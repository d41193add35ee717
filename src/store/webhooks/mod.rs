//! Agency webhooks (推送): the addresses an agency registers, the durable
//! outbox its events wait in, and the delivery log it can read.
//!
//! An event is written to the outbox **inside the transaction of the change
//! it tells of** (`outbox::enqueue_in`, through the builders in `events`
//! called by the filing, the first read, the check-in, the attribution and
//! the dispute notices): it commits with the change or not at all, and a
//! restart of panke loses nothing — the delivery worker
//! (`service::webhooks`) reads the table, not memory. One row per event and
//! active address of the agency; no address, no row.
//!
//! Payloads never carry a full phone number: customers appear as
//! `138****5678`, and `enqueue_in` masks any 11-digit mainland mobile
//! number it still finds (and logs that it had to) before the event is
//! stored — what is stored is what is sent, byte for byte.
//!
//! `endpoints`: the addresses and their checks; `outbox`: the events
//! waiting and the delivery bookkeeping; `events`: one payload per event.

mod endpoints;
mod events;
mod outbox;

pub(crate) use endpoints::is_public;
pub use endpoints::{MAX_ENDPOINTS, WebhookEndpoint, check_webhook_url, points_at_this_machine};
pub(crate) use events::{
    DealNews, deal_attributed_in, dispute_updated_in, report_filed_in, report_first_read_in, visit_recorded_in,
};
pub use outbox::{CLAIM_LEASE_SECS, Delivery, DeliveryAttempt, DeliveryState, LoggedAttempt, LoggedEvent, NextStep};

/// What panke tells an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A report of the agency was filed (by an agent, the API, 补录).
    ReportFiled,
    /// A report's code was first read at a kiosk: the customer arrived.
    ReportFirstRead,
    /// The visit was recorded (带看确认单), with its verdict.
    VisitRecorded,
    /// A deal was attributed to the agency, or away from it.
    DealAttributed,
    /// A step of a dispute the agency is party to.
    DisputeUpdated,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::ReportFiled,
        EventType::ReportFirstRead,
        EventType::VisitRecorded,
        EventType::DealAttributed,
        EventType::DisputeUpdated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventType::ReportFiled => "report.filed",
            EventType::ReportFirstRead => "report.first_read",
            EventType::VisitRecorded => "visit.recorded",
            EventType::DealAttributed => "deal.attributed",
            EventType::DisputeUpdated => "dispute.updated",
        }
    }

    pub fn parse(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EventType::ReportFiled => "报备已提交",
            EventType::ReportFirstRead => "客户到访(首次扫码)",
            EventType::VisitRecorded => "带看已记录",
            EventType::DealAttributed => "成交归属",
            EventType::DisputeUpdated => "争议更新",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            EventType::ReportFiled => "Report filed",
            EventType::ReportFirstRead => "Customer arrived (first scan)",
            EventType::VisitRecorded => "Visit recorded",
            EventType::DealAttributed => "Deal attributed",
            EventType::DisputeUpdated => "Dispute updated",
        }
    }
}

#[cfg(test)]
mod tests;
