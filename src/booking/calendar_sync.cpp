#include "booking/calendar_sync.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "booking/booking_check.hpp"
#include "core/phone.hpp"

namespace callgate::booking {
namespace {

bool MayTouch(const CalendarChange& change, tenancy::CompanyId company_id) {
  return !change.may_touch || change.may_touch(company_id);
}

// Whether the announced status is `upper` ("PENDING"); Cal.com sends upper case, any case counts.
bool StatusIs(const CalendarChange& change, std::string_view upper) {
  if (change.status.size() != upper.size()) return false;
  for (std::size_t i = 0; i < upper.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(change.status[i])) != upper[i]) return false;
  }
  return true;
}

// The status an announced booking is recorded with: awaiting the practice, or booked.
std::string_view StatusOf(const CalendarChange& change) {
  return change.trigger == "BOOKING_REQUESTED" || StatusIs(change, "PENDING") ? kRequested
                                                                              : kBooked;
}

// The `trigger` label of callgate_calcom_webhook_total: the triggers callgate acts on by name,
// every other one Cal.com (or a sender with the secret) names as "other" (bounded series).
std::string_view TriggerLabel(std::string_view trigger) {
  for (std::string_view known : {"BOOKING_CREATED", "BOOKING_REQUESTED", "BOOKING_CANCELLED",
                                 "BOOKING_REJECTED", "BOOKING_RESCHEDULED"}) {
    if (trigger == known) return known;
  }
  return "other";
}

}  // namespace

Result<std::optional<Appointment>> CalendarSyncService::OwnAppointment(
    tenancy::CompanyId company_id, const std::string& named) {
  std::int64_t id = 0;
  const auto* end = named.data() + named.size();
  if (auto [ptr, ec] = std::from_chars(named.data(), end, id); ec != std::errc() || ptr != end) {
    return std::optional<Appointment>();
  }
  auto found = appointments_.FindById(company_id, AppointmentId(id));
  if (found) return std::optional<Appointment>(std::move(*found));
  if (found.error().code == ErrorCode::kNotFound) return std::optional<Appointment>();
  return tl::unexpected(found.error());
}

Result<std::string> CalendarSyncService::Apply(const CalendarChange& change) {
  std::string outcome;
  bool duplicate = false;
  auto status = transactions_.Run([&]() -> Status {
    calls::WebhookEventRecord record;
    record.company_id = change.company_id;
    record.source = "calcom";
    record.event = change.trigger;
    record.dedupe_key =
        change.sender.empty() ? change.dedupe_key : change.sender + ":" + change.dedupe_key;
    record.payload_json = change.raw_body;
    auto stored = events_.Record(record);
    if (!stored) {
      if (stored.error().code == ErrorCode::kAlreadyExists) {
        duplicate = true;
        return Fail(ErrorCode::kAlreadyExists, "duplicate delivery");
      }
      return tl::unexpected(stored.error());
    }
    Concerned concerned;
    auto applied = ApplyInTransaction(change, concerned);
    if (!applied) return tl::unexpected(applied.error());
    if (!record.company_id && concerned.company) {
      // The raw body (attendee name, e-mail, answers) belongs to that company from now on.
      if (auto attributed = events_.AttributeTo(*stored, *concerned.company); !attributed) {
        return tl::unexpected(attributed.error());
      }
    }
    if (concerned.erased) {
      if (auto emptied = events_.Empty(*stored); !emptied) return tl::unexpected(emptied.error());
    }
    outcome = *applied;
    return Ok();
  });
  if (duplicate) outcome = "duplicate";
  if (!status && !duplicate) {
    metrics_.Increment(
        "callgate_calcom_webhook_total",
        {{"trigger", std::string(TriggerLabel(change.trigger))}, {"outcome", "error"}});
    return tl::unexpected(status.error());
  }
  // Whatever happened, the event type's cached availability is stale now.
  if (change.event_type_id) calendar_.InvalidateEventType(*change.event_type_id);
  metrics_.Increment(
      "callgate_calcom_webhook_total",
      {{"trigger", std::string(TriggerLabel(change.trigger))}, {"outcome", outcome}});
  return outcome;
}

Result<std::string> CalendarSyncService::ApplyInTransaction(const CalendarChange& change,
                                                            Concerned& concerned) {
  if (change.trigger == "BOOKING_CREATED" || change.trigger == "BOOKING_REQUESTED") {
    // A booking we know: the practice confirmed a request, or a booked one awaits it again.
    auto known = appointments_.ResolveByCalcomUid(change.uid);
    if (known) {
      concerned.Names(*known);
      if (!MayTouch(change, known->company_id)) return std::string("ignored");
      concerned.Booking(*known);
      const std::string_view now = StatusOf(change);
      if (!known->HoldsSlot() || known->status == kPendingSync || known->status == now) {
        return std::string("unchanged");
      }
      Appointment updated = *known;
      updated.status = std::string(now);
      auto stored = appointments_.Update(known->company_id, updated);
      if (!stored) return tl::unexpected(stored.error());
      return std::string(now == kBooked ? "confirmed" : "requested");
    }
    if (known.error().code != ErrorCode::kNotFound) return tl::unexpected(known.error());
  }
  // Cancelled, or (a request) rejected by the practice: either way the slot is free.
  if (change.trigger == "BOOKING_CANCELLED" || change.trigger == "BOOKING_REJECTED") {
    const bool rejected = change.trigger == "BOOKING_REJECTED";
    auto appt = appointments_.ResolveByCalcomUid(change.uid);
    if (!appt) {
      if (appt.error().code == ErrorCode::kNotFound) return std::string("ignored");
      return tl::unexpected(appt.error());
    }
    concerned.Names(*appt);
    if (!MayTouch(change, appt->company_id)) return std::string("ignored");
    concerned.Booking(*appt);
    if (!appt->HoldsSlot()) return std::string("unchanged");
    Appointment updated = *appt;
    updated.status = std::string(rejected ? kRejected : kCancelled);
    if (!rejected) updated.cancelled_at = clock_.Now();
    auto stored = appointments_.Update(appt->company_id, updated);
    if (!stored) return tl::unexpected(stored.error());
    return std::string(rejected ? "rejected" : "cancelled");
  }
  if (change.trigger == "BOOKING_RESCHEDULED") {
    auto old = appointments_.ResolveByCalcomUid(change.previous_uid);
    if (!old) {
      if (old.error().code == ErrorCode::kNotFound) return std::string("ignored");
      return tl::unexpected(old.error());
    }
    concerned.Names(*old);
    if (!MayTouch(change, old->company_id)) return std::string("ignored");
    concerned.Booking(*old);
    if (auto recorded = appointments_.FindByCalcomUid(old->company_id, change.uid)) {
      concerned.Names(*recorded);
      return std::string("unchanged");  // our own reschedule, already recorded
    }
    // Let go before the move was recorded (the caller's move found it cancelled or erased, and
    // cancels the booking moved to): it keeps that state, and nothing of it is copied.
    if (!old->HoldsSlot()) return std::string("unchanged");
    if (!change.start || !change.end) return std::string("ignored");
    Appointment previous = *old;
    previous.status = std::string(kRescheduled);
    if (auto s = appointments_.Update(old->company_id, previous); !s) {
      return tl::unexpected(s.error());
    }
    Appointment next = *old;
    next.id = AppointmentId();
    next.starts_at = *change.start;
    next.ends_at = *change.end;
    next.status = std::string(StatusOf(change));
    next.calcom_booking_uid = change.uid;
    next.idempotency_key.reset();
    next.rescheduled_from_id = old->id;
    next.source = "calcom";
    auto created = appointments_.Create(old->company_id, next);
    if (!created) return tl::unexpected(created.error());
    return std::string("rescheduled");
  }
  if (change.trigger == "BOOKING_CREATED" || change.trigger == "BOOKING_REQUESTED") {
    // The one company (that this delivery may touch) whose services use the event type.
    std::vector<tenancy::Service> services;
    if (change.event_type_id) {
      auto found = services_.ListByCalcomEventType(*change.event_type_id);
      if (!found) return tl::unexpected(found.error());
      services = std::move(*found);
      std::erase_if(services,
                    [&](const tenancy::Service& s) { return !MayTouch(change, s.company_id); });
      // One event type used by several companies cannot be attributed: leave it alone.
      if (std::any_of(services.begin(), services.end(), [&](const tenancy::Service& s) {
            return s.company_id != services.front().company_id;
          })) {
        services.clear();
      }
    }
    if (!services.empty()) concerned.company = services.front().company_id;
    if (services.empty() || !change.start || !change.end) return std::string("ignored");
    // Booked by us and not recorded yet: the booking flow records it. Only with the named
    // appointment's check value, which a booking page cannot forge (booking/booking_check.hpp);
    // without it the booking is one like any other made on Cal.com's pages, and recorded.
    if (auto named = change.metadata.find(kBookingAppointmentKey); named != change.metadata.end()) {
      auto ours = OwnAppointment(services.front().company_id, named->second);
      if (!ours) return tl::unexpected(ours.error());
      if (*ours && CarriesCheckOf(change.metadata, **ours)) return std::string("unchanged");
    }
    const auto company_id = services.front().company_id;
    const tenancy::Service& service = services.front();
    Appointment appt;
    appt.branch_id = service.branch_id;
    appt.service_id = service.id;
    appt.starts_at = *change.start;
    appt.ends_at = *change.end;
    appt.status = std::string(StatusOf(change));
    appt.calcom_booking_uid = change.uid;
    appt.source = "calcom";
    // No customer: the attendee's number was typed into a form, like a spoken number (SPEC §4)
    // a contact and not an identity. Linking or creating one by it would let anyone who books
    // under another person's number rename them, slip the booking into their list, or (for a
    // number the company does not know yet) become the name and e-mail address that person is
    // greeted with and confirmed to. The attendee's details stay with the booking at Cal.com.
    auto created = appointments_.Create(company_id, appt);
    if (!created) {
      // The slot is held by one of our own pending requests: Cal.com has the final word, but
      // two active rows may not exist; record nothing and let the pending job reconcile.
      if (created.error().code == ErrorCode::kConflict) return std::string("unchanged");
      return tl::unexpected(created.error());
    }
    return std::string("created");
  }
  // A trigger callgate does not act on (MEETING_ENDED, a no-show, …): a known booking it names
  // still decides whose delivery it is and whether its raw body may be kept.
  if (!change.uid.empty()) {
    auto known = appointments_.ResolveByCalcomUid(change.uid);
    if (known) concerned.Names(*known);
    if (known && MayTouch(change, known->company_id)) concerned.Booking(*known);
    if (!known && known.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(known.error());
    }
  }
  return std::string("ignored");
}

}  // namespace callgate::booking
