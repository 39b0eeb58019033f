#pragma once
// CalendarSyncService: keeps appointments in step with changes announced by Cal.com webhooks
// (BOOKING_CREATED / REQUESTED / REJECTED / CANCELLED / RESCHEDULED) — including bookings made on
// Cal.com's own pages — and drops cached availability of the event type at once. Deliveries are
// deduplicated.
//
// Event types that require confirmation: a booking awaiting the practice is `requested` (it holds
// its slot). BOOKING_REQUESTED keeps it so (or records one made on Cal.com's pages as requested,
// or turns a booked one back into a request); BOOKING_CREATED of a requested booking with status
// ACCEPTED (or none) is the practice's confirmation → booked; BOOKING_REJECTED → rejected (the
// slot is free; the caller hears it on their next query of their appointments). A
// BOOKING_RESCHEDULED whose new booking is PENDING records the new one as requested.
//
// A delivery about a booking whose attendee's data was erased (Appointment::erased_at) is
// applied like any other, but its raw body (name, e-mail, answers) is not kept: the stored
// delivery keeps only its dedupe key (privacy::PersonalData::Erase, docs/privacy.md).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "booking/calendar_provider.hpp"
#include "booking/repositories.hpp"
#include "calls/repositories.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/transaction.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// One change as the calendar announced it (transport-neutral).
struct CalendarChange {
  std::string trigger;  // BOOKING_CREATED | _REQUESTED | _REJECTED | _CANCELLED | _RESCHEDULED | …
  // The booking's status as sent ("ACCEPTED", "PENDING", "REJECTED", "CANCELLED"; any case;
  // may be empty).
  std::string status;
  std::string uid;           // the booking (for RESCHEDULED: the new one)
  std::string previous_uid;  // RESCHEDULED: the old booking
  std::optional<std::int64_t> event_type_id;
  std::optional<SystemTimePoint> start;
  std::optional<SystemTimePoint> end;
  std::map<std::string, std::string> metadata;
  std::string dedupe_key;
  std::string raw_body;
  // Which companies this delivery may touch (SPEC §4, docs/security.md): a company's own webhook
  // URL may touch only that company, the platform webhook only companies without their own
  // secret. Empty = every company (tests and tools only). Deliveries naming a booking outside
  // it are "ignored" and change nothing.
  std::function<bool(tenancy::CompanyId)> may_touch;
  // Prefix of the dedupe key, so one sender cannot pre-empt another sender's deliveries.
  std::string sender;
  // The company whose own webhook URL received the delivery; none for the platform's URL, where
  // the stored delivery is attributed to the company of the booking or service it names.
  std::optional<tenancy::CompanyId> company_id;
};

class CalendarSyncService {
 public:
  CalendarSyncService(AppointmentRepository& appointments, tenancy::ServiceRepository& services,
                      calls::WebhookEventRepository& events, CalendarProvider& calendar,
                      TransactionRunner& transactions, const Clock& clock,
                      observability::Metrics& metrics)
      : appointments_(appointments),
        services_(services),
        events_(events),
        calendar_(calendar),
        transactions_(transactions),
        clock_(clock),
        metrics_(metrics) {}

  // Applies one change. Outcomes: "created", "requested" (a booking now awaits the practice),
  // "confirmed", "rejected", "cancelled", "rescheduled", "unchanged", "duplicate", "ignored"
  // (unknown booking/event type or another trigger). kUnavailable when
  // storage is down (Cal.com then retries). Counts callgate_calcom_webhook_total{trigger,outcome}.
  Result<std::string> Apply(const CalendarChange& change);

 private:
  // What a change turned out to concern, set by ApplyInTransaction.
  struct Concerned {
    // The company whose booking or service the change names (and may touch).
    std::optional<tenancy::CompanyId> company;
    // The booking it names is one whose attendee's data was erased: the delivery is applied,
    // its raw body is not kept.
    bool erased = false;
    // A stored booking the change names: its body is not kept when the booking is erased,
    // whether or not this delivery may touch it.
    void Names(const Appointment& appointment) {
      erased = erased || appointment.erased_at.has_value();
    }
    // ... and one it may touch: the delivery is also that company's.
    void Booking(const Appointment& appointment) {
      Names(appointment);
      company = appointment.company_id;
    }
  };
  Result<std::string> ApplyInTransaction(const CalendarChange& change, Concerned& concerned);
  // The company's appointment whose id a booking's metadata names; none for a value that is no
  // id or names no appointment of the company.
  Result<std::optional<Appointment>> OwnAppointment(tenancy::CompanyId company_id,
                                                    const std::string& named);

  AppointmentRepository& appointments_;
  tenancy::ServiceRepository& services_;
  calls::WebhookEventRepository& events_;
  CalendarProvider& calendar_;
  TransactionRunner& transactions_;
  const Clock& clock_;
  observability::Metrics& metrics_;
};

}  // namespace callgate::booking
