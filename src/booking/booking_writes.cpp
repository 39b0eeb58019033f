// BookingService: the tools that change calendars (book, cancel, reschedule) and the
// pending-booking job.
#include <algorithm>
#include <cctype>

#include "booking/answer_helpers.hpp"
#include "booking/booking_service.hpp"
#include "booking/german_time.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::booking {
namespace {

using internal::Euros;
using internal::Missing;
using nlohmann::json;

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

struct PendingPayload {
  tenancy::CompanyId company_id;
  AppointmentId appointment_id;
  std::int64_t event_type_id = 0;
};

Result<PendingPayload> ParsePending(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.value("company_id", json()).is_number_integer() ||
      !j.value("appointment_id", json()).is_number_integer() ||
      !j.value("event_type_id", json()).is_number_integer()) {
    return Fail(ErrorCode::kInvalidArgument, "bad pending booking payload");
  }
  return PendingPayload{tenancy::CompanyId(j["company_id"].get<std::int64_t>()),
                        AppointmentId(j["appointment_id"].get<std::int64_t>()),
                        j["event_type_id"].get<std::int64_t>()};
}

// What the caller hears for a booking awaiting the practice's confirmation ("am Dienstag, …").
std::string RequestedSentence(const std::string& what) {
  return "Ihr Terminwunsch " + what + " ist angefragt; die Praxis bestätigt ihn noch.";
}

bool IsOutage(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
         code == ErrorCode::kRateLimited || code == ErrorCode::kInternal;
}

}  // namespace

// Looks for the booking of `appointment` (metadata.callgate_appointment) between its start and
// its stored end: the length it asked Cal.com for until Cal.com answers, the answer's `end` after.
Result<std::optional<Booking>> BookingService::Reconcile(const CalendarAccount& account,
                                                         const Appointment& appointment,
                                                         std::int64_t event_type_id) {
  BookingFilter filter;
  filter.event_type_id = event_type_id;
  filter.after_start = appointment.starts_at - std::chrono::minutes(1);
  filter.before_end = appointment.ends_at + std::chrono::minutes(1);
  filter.status = "upcoming,unconfirmed";
  auto bookings = calendar_.ListBookings(account, filter);
  if (!bookings) return tl::unexpected(bookings.error());
  const std::string mine = std::to_string(appointment.id.value);
  for (const auto& b : *bookings) {
    auto it = b.metadata.find("callgate_appointment");
    if (it != b.metadata.end() && it->second == mine && b.status != "cancelled" &&
        b.status != "rejected") {
      return std::optional<Booking>(b);
    }
  }
  return std::optional<Booking>();
}

Result<ToolAnswer> BookingService::BookAppointment(const CallContext& ctx,
                                                   const AppointmentRequest& request,
                                                   const std::string& idempotency_key) {
  // A retry of a call we already handled answers the same, without touching anything.
  if (auto previous = appointments_.FindByIdempotencyKey(ctx.company.id, idempotency_key)) {
    ToolAnswer a;
    a.data["appointment_id"] = previous->id.value;
    a.data["status"] = previous->status;
    a.data["start"] = FormatIso8601Utc(previous->starts_at);
    a.data["idempotent_replay"] = true;
    if (previous->status == kBooked) {
      a.message =
          "Ihr Termin am " + Speak(previous->starts_at, previous->timezone) + " ist gebucht.";
    } else if (previous->status == kRequested) {
      a.message = RequestedSentence("am " + Speak(previous->starts_at, previous->timezone));
    } else if (previous->status == kPendingSync) {
      a.message = "Ihr Terminwunsch " + Speak(previous->starts_at, previous->timezone) +
                  " ist aufgenommen. Sie erhalten eine Bestätigung.";
    } else {
      a.success = false;
      a.message = "Dieser Termin konnte leider nicht gebucht werden.";
    }
    Count("book-appointment", "replay");
    return a;
  } else if (previous.error().code != ErrorCode::kNotFound) {
    return tl::unexpected(previous.error());
  }

  ToolAnswer answer;
  auto service = ResolveService(ctx, request.wish.service, &answer);
  if (!service) {
    if (service.error().code == ErrorCode::kNotFound) return answer;
    return tl::unexpected(service.error());
  }
  if (!service->calcom_event_type_id) {
    ToolAnswer a;
    a.success = false;
    a.message = "Für " + service->name + " kann ich leider keine Termine vergeben.";
    return a;
  }
  const std::string& date = request.wish.date;
  const std::string& time = request.wish.time;
  if (date.empty()) return Missing({"date"}, "An welchem Tag möchten Sie kommen?");
  auto wish = ParseGermanDateTime(date, time, clock_.Now(), ctx.timezone);
  if (!wish) return Missing({"date"}, "Das Datum habe ich leider nicht verstanden.");
  if (!wish->minute_of_day) return Missing({"time"}, "Um wie viel Uhr möchten Sie kommen?");
  auto start = WishToInstant(*wish, ctx.timezone);
  if (!start) return Missing({"time"}, "Diese Uhrzeit habe ich nicht verstanden.");

  std::string name = request.contact.name;
  if (name.empty() && ctx.customer) name = ctx.customer->name;
  if (name.empty()) return Missing({"name"}, "Auf welchen Namen darf ich den Termin eintragen?");
  std::string email = request.contact.email;
  // The attendee's contact number: the one the caller named, else the one they call from. Only
  // the delivered number (caller_e164) ever identifies a customer (SPEC §4).
  std::string phone = ctx.caller_e164;
  if (const auto& p = request.contact.phone; !p.empty()) {
    if (auto e164 = NormalizeE164(p, settings_.phone_region)) phone = *e164;
  }

  const auto duration = std::chrono::minutes(service->duration_minutes);
  const auto now = clock_.Now();
  auto offer_alternatives = [&](std::string why) -> ToolAnswer {
    ToolAnswer a;
    a.success = false;
    SlotSource source = SlotSource::kLive;
    auto alts =
        availability_.FindAlternatives(ctx, *service, *start, settings_.max_alternatives, &source);
    std::vector<std::string> spoken;
    a.data["alternatives"] = json::array();
    for (const auto& alt : alts) {
      a.data["alternatives"].push_back(SlotJson(alt.slot, ctx.timezone));
      spoken.push_back(Speak(alt.slot.start, ctx.timezone));
    }
    a.data["available"] = false;
    a.message = why + (spoken.empty() ? std::string(" Leider habe ich keine Alternative gefunden.")
                                      : " Ich kann Ihnen anbieten: " + spoken.front() +
                                            (spoken.size() > 1 ? ", oder " + spoken[1] : "") +
                                            (spoken.size() > 2 ? ", oder " + spoken[2] : "") + ".");
    return a;
  };
  if (*start < now + std::chrono::minutes(service->minimum_notice_minutes)) {
    Count("book-appointment", "too_soon");
    return offer_alternatives("Dieser Termin ist zu kurzfristig.");
  }
  if (!WithinBusinessHours(*start, duration, Hours(ctx), ctx.timezone)) {
    Count("book-appointment", "closed");
    return offer_alternatives("Zu dieser Zeit haben wir leider geschlossen.");
  }

  // The caller becomes (or stays) a customer of this company, under the delivered number only;
  // a withheld caller's booking carries its contact number but adopts no customer record.
  std::optional<tenancy::Customer> customer = ctx.customer;
  if (!ctx.caller_e164.empty()) {
    tenancy::CustomerDetails details;
    details.phone_e164 = ctx.caller_e164;
    details.name = name;
    if (!email.empty()) details.email = email;
    auto c = customers_.Upsert(ctx.company.id, details);
    if (!c) return tl::unexpected(c.error());
    customer = *c;
  }

  // Hold the slot in our own database first: a unique index makes concurrent bookings of one
  // slot (and duplicate tool calls) collide here, before anything reaches Cal.com.
  Appointment appt;
  appt.branch_id = ctx.branch ? std::optional(ctx.branch->id) : std::nullopt;
  appt.service_id = service->id;
  if (customer) appt.customer_id = customer->id;
  if (ctx.call.id.value > 0) appt.call_id = ctx.call.id;  // none for an MCP session
  appt.starts_at = *start;
  appt.ends_at = *start + duration;
  appt.timezone = ctx.timezone;
  appt.status = std::string(kPendingSync);
  appt.source = "phone_agent";
  appt.idempotency_key = idempotency_key;
  appt.notes = request.notes;
  auto held = appointments_.Create(ctx.company.id, appt);
  if (!held) {
    if (held.error().code == ErrorCode::kAlreadyExists) {
      // A duplicate tool call raced us: answer like a replay.
      return BookAppointment(ctx, request, idempotency_key);
    }
    if (held.error().code == ErrorCode::kConflict) {
      Count("book-appointment", "slot_taken");
      return offer_alternatives(Speak(*start, ctx.timezone) + " ist leider schon vergeben.");
    }
    return tl::unexpected(held.error());
  }
  appt = *held;

  BookingRequest create;
  create.account = AccountFor(ctx.company);
  create.event_type_id = *service->calcom_event_type_id;
  create.start = *start;
  create.attendee.name = name;
  create.attendee.phone_e164 = phone;
  create.attendee.email = email;
  if (create.attendee.email.empty() && !settings_.placeholder_email_domain.empty()) {
    create.attendee.email = "anrufer-" +
                            (phone.empty() ? std::to_string(appt.id.value) : Digits(phone)) + "@" +
                            settings_.placeholder_email_domain;
  }
  create.attendee.time_zone = ctx.timezone;
  // Cal.com accepts only the codes of its enum: "de-AT" goes out as "de". A stored language
  // without a near code (refused since the admin API checks it) leaves Cal.com's default.
  create.attendee.language = tenancy::CalendarLanguage(ctx.company.language).value_or("");
  create.metadata = {{"callgate_appointment", std::to_string(appt.id.value)},
                     {"retell_call_id", ctx.call.retell_call_id}};
  create.notes = appt.notes;
  // The service's length (sent where the event type offers several); the booked end is stored
  // from Cal.com's answer below.
  create.length_minutes = service->duration_minutes;

  ToolAnswer confirmed;
  confirmed.data["appointment_id"] = appt.id.value;
  confirmed.data["start"] = FormatIso8601Utc(*start);
  confirmed.data["service"] = service->name;

  auto booking = calendar_.CreateBooking(create);
  if (!booking && booking.error().code == ErrorCode::kTimeout) {
    // The request may have been booked although its answer was lost: look before concluding.
    if (auto found = Reconcile(create.account, appt, create.event_type_id); found && *found) {
      booking = **found;
    }
  }
  if (booking && booking->status == "rejected") {
    booking = Fail(ErrorCode::kInvalidArgument, "cal.com rejected the booking");
  }
  if (booking && booking->occurrences > 1) {
    // A recurring event type booked a whole series: phone booking refuses it rather than keep
    // the first occurrence only, and the series goes at once.
    BookingChange series;
    series.cancel_series = true;
    calendar_.CancelBooking(create.account, booking->uid,
                            "Serientermine werden telefonisch nicht vergeben", series);
    appt.status = std::string(kCancelled);
    appt.cancelled_at = clock_.Now();
    appt.notes = "recurring event type refused";
    if (auto released = appointments_.Update(ctx.company.id, appt); !released) {
      return tl::unexpected(released.error());
    }
    metrics_.Increment("callgate_bookings_total", {{"outcome", "recurring_refused"}});
    Count("book-appointment", "recurring_refused");
    ToolAnswer refused;
    refused.success = false;
    refused.data["reason"] = "recurring_event_type";
    refused.message = "Für " + service->name +
                      " kann ich telefonisch keine Serientermine vergeben. Bitte wenden Sie sich "
                      "direkt an die Praxis.";
    return refused;
  }
  if (booking) {
    // An event type that requires confirmation answers "pending": the practice has yet to
    // confirm, so the caller hears a request, never "gebucht".
    const bool requested = booking->status == "pending";
    appt.status = std::string(requested ? kRequested : kBooked);
    appt.calcom_booking_uid = booking->uid;
    if (!booking->seat_uid.empty()) appt.calcom_seat_uid = booking->seat_uid;
    if (booking->end > booking->start) appt.ends_at = booking->end;  // as Cal.com booked it
    auto stored = appointments_.Update(ctx.company.id, appt);
    if (!stored) return tl::unexpected(stored.error());
    confirmed.data["status"] = appt.status;
    confirmed.data["booking_uid"] = booking->uid;
    const std::string what = service->name + " am " + Speak(*start, ctx.timezone) +
                             (ctx.branch ? " in " + ctx.branch->name : std::string());
    confirmed.message =
        requested ? RequestedSentence("für " + what) : "Ihr Termin ist gebucht: " + what + ".";
    metrics_.Increment("callgate_bookings_total", {{"outcome", appt.status}});
    Count("book-appointment", appt.status);
    return confirmed;
  }
  const ErrorCode code = booking.error().code;
  if (code == ErrorCode::kConflict || code == ErrorCode::kInvalidArgument) {
    appt.status = std::string(kCancelled);
    appt.cancelled_at = clock_.Now();
    appt.notes = code == ErrorCode::kConflict ? "slot taken at the calendar" : "calendar refused";
    if (auto released = appointments_.Update(ctx.company.id, appt); !released) {
      return tl::unexpected(released.error());
    }
    metrics_.Increment("callgate_bookings_total",
                       {{"outcome", code == ErrorCode::kConflict ? "slot_taken" : "refused"}});
    Count("book-appointment", code == ErrorCode::kConflict ? "slot_taken" : "refused");
    return offer_alternatives(code == ErrorCode::kConflict
                                  ? Speak(*start, ctx.timezone) + " wurde gerade vergeben."
                                  : "Dieser Termin kann so nicht gebucht werden.");
  }
  if (IsOutage(code)) {
    // Cal.com is down or slow: keep the request and book it as soon as Cal.com answers again.
    queue::NewJob job;
    job.type = std::string(kPendingBookingJob);
    job.queue = std::string(queue::kHigh);
    job.request_id = std::string(observability::CurrentRequestId());  // logs of the job carry it
    job.payload_json = json{{"company_id", ctx.company.id.value},
                            {"appointment_id", appt.id.value},
                            {"event_type_id", create.event_type_id}}
                           .dump();
    if (auto enqueued = jobs_.Enqueue(job); !enqueued) return tl::unexpected(enqueued.error());
    confirmed.data["status"] = std::string(kPendingSync);
    confirmed.message = "Ich habe Ihren Terminwunsch für " + service->name + " am " +
                        Speak(*start, ctx.timezone) +
                        " aufgenommen. Die Bestätigung erhalten Sie in Kürze.";
    metrics_.Increment("callgate_bookings_total", {{"outcome", "pending"}});
    Count("book-appointment", "pending");
    return confirmed;
  }
  // Configuration problems (bad key, unknown event type): release the slot and say so.
  appt.status = std::string(kCancelled);
  appt.cancelled_at = clock_.Now();
  appointments_.Update(ctx.company.id, appt);
  observability::LogError(
      "booking_failed", {{"company_id", ctx.company.id.value}, {"error", booking.error().message}});
  metrics_.Increment("callgate_bookings_total", {{"outcome", "failed"}});
  Count("book-appointment", "failed");
  ToolAnswer failed;
  failed.success = false;
  failed.message = "Die Buchung ist gerade leider nicht möglich. Wir rufen Sie zurück.";
  return failed;
}

Status BookingService::RunPendingBooking(std::string_view payload_json) {
  auto payload = ParsePending(payload_json);
  if (!payload) return tl::unexpected(payload.error());
  auto appt = appointments_.FindById(payload->company_id, payload->appointment_id);
  if (!appt) return tl::unexpected(appt.error());
  if (appt->status != kPendingSync) return Ok();  // done before (at-least-once delivery)
  auto company = companies_.FindById(payload->company_id);
  if (!company) return tl::unexpected(company.error());
  const CalendarAccount account = AccountFor(*company);

  auto found = Reconcile(account, *appt, payload->event_type_id);
  if (!found) return tl::unexpected(found.error());
  std::optional<Booking> booking = *found;
  if (!booking) {
    BookingRequest request;
    request.account = account;
    request.event_type_id = payload->event_type_id;
    request.start = appt->starts_at;
    request.attendee.time_zone = appt->timezone;
    if (appt->customer_id) {
      if (auto c = customers_.FindById(payload->company_id, *appt->customer_id)) {
        request.attendee.name = c->name.empty() ? "Anrufer" : c->name;
        request.attendee.phone_e164 = c->phone_e164;
        request.attendee.email = c->email.value_or("");
      }
    }
    if (request.attendee.name.empty()) request.attendee.name = "Anrufer";
    if (request.attendee.email.empty() && !settings_.placeholder_email_domain.empty()) {
      request.attendee.email =
          "anrufer-" + std::to_string(appt->id.value) + "@" + settings_.placeholder_email_domain;
    }
    request.metadata = {{"callgate_appointment", std::to_string(appt->id.value)}};
    if (appt->ends_at > appt->starts_at) {
      request.length_minutes = static_cast<int>(
          std::chrono::duration_cast<std::chrono::minutes>(appt->ends_at - appt->starts_at)
              .count());
    }
    auto created = calendar_.CreateBooking(request);
    if (created && created->occurrences > 1) {
      // A recurring event type: the series goes, the caller gets a callback instead.
      BookingChange series;
      series.cancel_series = true;
      calendar_.CancelBooking(account, created->uid,
                              "Serientermine werden telefonisch nicht vergeben", series);
      PendingBookingFailed(payload_json,
                           Error{ErrorCode::kInvalidArgument, "recurring event type refused"});
      return Ok();
    }
    if (!created) {
      if (created.error().code == ErrorCode::kConflict ||
          created.error().code == ErrorCode::kInvalidArgument) {
        return tl::unexpected(Error{ErrorCode::kConflict, "slot taken meanwhile"});
      }
      return tl::unexpected(created.error());  // retried with backoff
    }
    booking = *created;
  }
  Appointment updated = *appt;
  updated.status = std::string(booking->status == "pending" ? kRequested : kBooked);
  updated.calcom_booking_uid = booking->uid;
  if (!booking->seat_uid.empty()) updated.calcom_seat_uid = booking->seat_uid;
  if (booking->end > booking->start) updated.ends_at = booking->end;  // as Cal.com booked it
  auto stored = appointments_.Update(payload->company_id, updated);
  if (!stored) return tl::unexpected(stored.error());
  metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_completed"}});
  return Ok();
}

void BookingService::PendingBookingFailed(std::string_view payload_json, const Error& error) {
  metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_failed"}});
  auto payload = ParsePending(payload_json);
  if (!payload) return;
  auto appt = appointments_.FindById(payload->company_id, payload->appointment_id);
  if (!appt || appt->status != kPendingSync) return;
  Appointment released = *appt;
  released.status = std::string(kCancelled);
  released.cancelled_at = clock_.Now();
  released.notes = "could not be booked: " + error.message;
  appointments_.Update(payload->company_id, released);
  CallbackRequest cb;
  cb.branch_id = appt->branch_id;
  cb.customer_id = appt->customer_id;
  cb.call_id = appt->call_id;
  if (appt->customer_id) {
    if (auto c = customers_.FindById(payload->company_id, *appt->customer_id)) {
      cb.phone = c->phone_e164;
      cb.name = c->name;
    }
  }
  cb.reason =
      "Terminwunsch " + Speak(appt->starts_at, appt->timezone) + " konnte nicht gebucht werden";
  cb.due_at = clock_.Now() + std::chrono::hours(2);
  callbacks_.Create(payload->company_id, cb);
  observability::LogError("pending_booking_failed",
                          {{"appointment_id", appt->id.value}, {"error", error.message}});
}

Result<ToolAnswer> BookingService::CancelAppointment(const CallContext& ctx,
                                                     const CancelRequest& request) {
  if (ctx.CallerWithheld() && !ctx.customer) {
    CallbackRequest cb;
    cb.branch_id = ctx.branch ? std::optional(ctx.branch->id) : std::nullopt;
    if (ctx.call.id.value > 0) cb.call_id = ctx.call.id;
    cb.name = request.contact.name;
    cb.phone = request.contact.phone;
    cb.reason = "Stornierung gewünscht: " + request.reason;
    cb.due_at = clock_.Now() + std::chrono::hours(4);
    auto created = callbacks_.Create(ctx.company.id, cb);
    if (!created) return tl::unexpected(created.error());
    ToolAnswer a;
    a.success = false;
    a.message =
        "Da Ihre Nummer unterdrückt ist, kann ich Ihren Termin nicht sicher zuordnen. "
        "Ich habe einen Rückruf für Sie notiert; wir melden uns, um die Stornierung zu "
        "erledigen.";
    a.data["callback_request_id"] = created->id.value;
    Count("cancel-appointment", "callback");
    return a;
  }
  ToolAnswer answer;
  auto appt = FindCallersAppointment(ctx, request.appointment, &answer);
  if (!appt) {
    if (appt.error().code == ErrorCode::kNotFound) return answer;
    return tl::unexpected(appt.error());
  }
  const auto now = clock_.Now();
  int changes = 0;
  if (ctx.company.cancellation_policy.monthly_limit && appt->customer_id) {
    auto n = appointments_.CountChanges(ctx.company.id, *appt->customer_id, kCancelled,
                                        now - std::chrono::hours(24 * 30), now);
    if (!n) return tl::unexpected(n.error());
    changes = *n;
  }
  auto decision = CheckChangePolicy(ctx.company.cancellation_policy, appt->starts_at, now, changes);
  if (!decision.allowed) {
    ToolAnswer a;
    a.success = false;
    a.message = decision.reason + " Bitte wenden Sie sich direkt an die Praxis.";
    a.data["policy"] = "denied";
    Count("cancel-appointment", "denied");
    return a;
  }
  if (appt->calcom_booking_uid) {
    auto cancelled = calendar_.CancelBooking(
        AccountFor(ctx.company), *appt->calcom_booking_uid,
        request.reason.empty() ? "Vom Anrufer telefonisch storniert" : request.reason,
        BookingChange{appt->calcom_seat_uid.value_or(""), ""});
    if (!cancelled && cancelled.error().code != ErrorCode::kNotFound) {
      ToolAnswer a;
      a.success = false;
      a.message =
          "Ich kann den Kalender gerade nicht erreichen. Bitte versuchen Sie es in ein "
          "paar Minuten noch einmal.";
      Count("cancel-appointment", "calendar_error");
      return a;
    }
  }
  Appointment updated = *appt;
  updated.status = std::string(kCancelled);
  updated.cancelled_at = now;
  auto stored = appointments_.Update(ctx.company.id, updated);
  if (!stored) return tl::unexpected(stored.error());
  ToolAnswer a;
  a.message = "Ihr Termin am " + Speak(appt->starts_at, appt->timezone) + " ist storniert." +
              (decision.fee_cents > 0 ? " Wegen der kurzfristigen Absage fällt eine Gebühr von " +
                                            Euros(decision.fee_cents) + " an."
                                      : "");
  a.data["appointment_id"] = appt->id.value;
  a.data["fee_cents"] = decision.fee_cents;
  Count("cancel-appointment", "cancelled");
  return a;
}

Result<ToolAnswer> BookingService::RescheduleAppointment(const CallContext& ctx,
                                                         const RescheduleRequest& request) {
  ToolAnswer answer;
  auto appt = FindCallersAppointment(ctx, request.appointment, &answer);
  if (!appt) {
    if (appt.error().code == ErrorCode::kNotFound) return answer;
    return tl::unexpected(appt.error());
  }
  const std::string& date = request.new_date;
  const std::string& time = request.new_time;
  if (date.empty()) return Missing({"new_date"}, "Auf welchen Tag möchten Sie den Termin legen?");
  auto wish = ParseGermanDateTime(date, time, clock_.Now(), ctx.timezone);
  if (!wish) return Missing({"new_date"}, "Das neue Datum habe ich nicht verstanden.");
  if (!wish->minute_of_day) return Missing({"new_time"}, "Um wie viel Uhr?");
  auto new_start = WishToInstant(*wish, ctx.timezone);
  if (!new_start) return Missing({"new_time"}, "Diese Uhrzeit habe ich nicht verstanden.");

  const auto now = clock_.Now();
  int changes = 0;
  if (ctx.company.reschedule_policy.monthly_limit && appt->customer_id) {
    auto n = appointments_.CountChanges(ctx.company.id, *appt->customer_id, kRescheduled,
                                        now - std::chrono::hours(24 * 30), now);
    if (!n) return tl::unexpected(n.error());
    changes = *n;
  }
  auto decision = CheckChangePolicy(ctx.company.reschedule_policy, appt->starts_at, now, changes);
  if (!decision.allowed) {
    ToolAnswer a;
    a.success = false;
    a.message = decision.reason + " Bitte wenden Sie sich direkt an die Praxis.";
    Count("reschedule-appointment", "denied");
    return a;
  }
  std::optional<tenancy::Service> service;
  if (appt->service_id) {
    auto s = services_.FindById(ctx.company.id, *appt->service_id);
    if (s) service = *s;
  }
  if (!service || !service->calcom_event_type_id) {
    ToolAnswer a;
    a.success = false;
    a.message = "Diesen Termin kann ich telefonisch leider nicht verschieben.";
    return a;
  }
  auto day = availability_.DaySlots(ctx, *service, *new_start);
  const bool free = day && std::any_of(day->slots.begin(), day->slots.end(),
                                       [&](const Slot& s) { return s.start == *new_start; });
  if (!free) {
    ToolAnswer a;
    a.success = false;
    SlotSource source = SlotSource::kLive;
    auto alts = availability_.FindAlternatives(ctx, *service, *new_start,
                                               settings_.max_alternatives, &source);
    std::vector<std::string> spoken;
    a.data["alternatives"] = json::array();
    for (const auto& alt : alts) {
      a.data["alternatives"].push_back(SlotJson(alt.slot, ctx.timezone));
      spoken.push_back(Speak(alt.slot.start, ctx.timezone));
    }
    a.message = Speak(*new_start, ctx.timezone) + " ist leider nicht frei." +
                (spoken.empty() ? std::string() : " Möglich wäre: " + spoken.front() + ".");
    Count("reschedule-appointment", "taken");
    return a;
  }
  const std::string fee_text =
      decision.fee_cents > 0 ? " Dafür fällt eine Gebühr von " + Euros(decision.fee_cents) + " an."
                             : "";
  if (!request.confirm) {
    ToolAnswer a;
    a.message = "Ich kann Ihren Termin am " + Speak(appt->starts_at, appt->timezone) + " auf " +
                Speak(*new_start, ctx.timezone) + " verschieben." + fee_text +
                " Soll ich das machen?";
    a.data["needs_confirmation"] = true;
    a.data["appointment_id"] = appt->id.value;
    a.data["new_start"] = FormatIso8601Utc(*new_start);
    Count("reschedule-appointment", "proposed");
    return a;
  }
  if (!appt->calcom_booking_uid) {
    ToolAnswer a;
    a.success = false;
    a.message = "Dieser Termin wird gerade noch bestätigt; bitte verschieben Sie ihn später.";
    return a;
  }
  // Moved by the caller, not the practice: a booking that requires confirmation awaits it again.
  BookingChange change{appt->calcom_seat_uid.value_or(""), ""};
  if (ctx.customer && ctx.customer->email) change.rescheduled_by = *ctx.customer->email;
  auto moved =
      calendar_.RescheduleBooking(AccountFor(ctx.company), *appt->calcom_booking_uid, *new_start,
                                  "Vom Anrufer telefonisch verschoben", change);
  if (!moved) {
    ToolAnswer a;
    a.success = false;
    a.message = moved.error().code == ErrorCode::kConflict
                    ? Speak(*new_start, ctx.timezone) + " wurde gerade vergeben."
                    : "Ich kann den Kalender gerade nicht erreichen. Bitte versuchen Sie es "
                      "gleich noch einmal.";
    Count("reschedule-appointment", "calendar_error");
    return a;
  }
  Appointment next = *appt;
  Status local = transactions_.Run([&]() -> Status {
    Appointment old = *appt;
    old.status = std::string(kRescheduled);
    if (auto s = appointments_.Update(ctx.company.id, old); !s) return tl::unexpected(s.error());
    next.id = AppointmentId();
    next.starts_at = *new_start;
    next.ends_at = *new_start + std::chrono::minutes(service->duration_minutes);
    next.status = std::string(moved->status == "pending" ? kRequested : kBooked);
    next.calcom_booking_uid = moved->uid;
    next.calcom_seat_uid.reset();
    if (!moved->seat_uid.empty()) next.calcom_seat_uid = moved->seat_uid;
    next.idempotency_key.reset();
    next.rescheduled_from_id = appt->id;
    if (ctx.call.id.value > 0) next.call_id = ctx.call.id;
    auto created = appointments_.Create(ctx.company.id, next);
    if (!created) return tl::unexpected(created.error());
    next = *created;
    return Ok();
  });
  if (!local) return tl::unexpected(local.error());
  ToolAnswer a;
  a.message =
      next.status == kRequested
          ? RequestedSentence("am " + Speak(*new_start, ctx.timezone)) + fee_text
          : "Ihr Termin ist verschoben auf " + Speak(*new_start, ctx.timezone) + "." + fee_text;
  a.data["status"] = next.status;
  a.data["appointment_id"] = next.id.value;
  a.data["booking_uid"] = moved->uid;
  a.data["fee_cents"] = decision.fee_cents;
  Count("reschedule-appointment", "rescheduled");
  return a;
}

Result<BookingService::QuickAvailability> BookingService::QuickSlots(
    const tenancy::Company& company, const std::optional<tenancy::Branch>& branch,
    std::optional<tenancy::ServiceId> service_id) {
  auto services = branch ? services_.ListForBranch(company.id, branch->id)
                         : services_.ListForCompany(company.id);
  if (!services) return tl::unexpected(services.error());
  const tenancy::Service* chosen = nullptr;
  for (const auto& s : *services) {
    if (!s.is_active || !s.calcom_event_type_id) continue;
    if (service_id ? s.id == *service_id : (chosen == nullptr || s.is_default)) {
      if (service_id || chosen == nullptr || (s.is_default && !chosen->is_default)) chosen = &s;
    }
  }
  if (chosen == nullptr) return Fail(ErrorCode::kNotFound, "no bookable service");
  const std::string zone =
      branch && !branch->timezone.empty() ? branch->timezone : company.timezone;
  auto day_range = [&](SystemTimePoint t) {
    auto l = ToLocal(t, zone);
    auto from = l ? FromLocal(LocalDateTime{l->year, l->month, l->day, 0, 0, 0}, zone)
                  : Result<SystemTimePoint>(t);
    return from.value_or(t);
  };
  const auto now = clock_.Now();
  const auto today = day_range(now);
  const auto tomorrow = day_range(today + std::chrono::hours(36));
  const auto after = day_range(tomorrow + std::chrono::hours(36));
  auto make = [&](SystemTimePoint from, SystemTimePoint to) {
    SlotQuery q;
    q.account = AccountFor(company);
    q.event_type_id = *chosen->calcom_event_type_id;
    q.from = from;
    q.to = to;
    q.time_zone = zone;
    q.duration_minutes = chosen->duration_minutes;
    return q;
  };
  // Today and tomorrow are independent: ask both at once.
  auto answers = calendar_.GetSlotsMany({make(today, tomorrow), make(tomorrow, after)});
  QuickAvailability out;
  out.service = *chosen;
  const auto earliest = now + std::chrono::minutes(chosen->minimum_notice_minutes);
  const auto hours = branch ? branch->business_hours : tenancy::WeeklyHours{};
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i]) continue;
    if (answers[i]->source == SlotSource::kFallback) out.source = SlotSource::kFallback;
    if (answers[i]->source == SlotSource::kCache && out.source == SlotSource::kLive) {
      out.source = SlotSource::kCache;
    }
    for (const auto& s : answers[i]->slots) {
      if (s.start < earliest ||
          !WithinBusinessHours(s.start, std::chrono::minutes(chosen->duration_minutes), hours,
                               zone)) {
        continue;
      }
      (i == 0 ? out.today : out.tomorrow).push_back(s);
    }
  }
  if (!answers[0] && !answers[1]) return tl::unexpected(answers[0].error());
  return out;
}

std::string BookingService::DescribeQuickSlots(const QuickAvailability& quick,
                                               const std::string& zone) {
  auto times = [&](const std::vector<Slot>& slots) {
    std::string out;
    for (size_t i = 0; i < slots.size() && i < 3; ++i) {
      auto l = ToLocal(slots[i].start, zone);
      if (!l) continue;
      if (!out.empty()) out += (i + 1 == std::min<size_t>(slots.size(), 3)) ? " und " : ", ";
      out += FormatClockTime(*l);
    }
    return out;
  };
  std::string text;
  if (!quick.today.empty()) text = "heute um " + times(quick.today) + " Uhr";
  if (!quick.tomorrow.empty()) {
    text += (text.empty() ? "" : ", ") + std::string("morgen um ") + times(quick.tomorrow) + " Uhr";
  }
  if (text.empty()) text = "heute und morgen keine freien Termine";
  return quick.service.name + ": " + text +
         (quick.source == SlotSource::kFallback ? " (unverbindlich)" : "");
}

}  // namespace callgate::booking
