// BookingService: book-appointment, the pending-booking job and the quick slots of the inbound
// greeting.
#include <algorithm>

#include "booking/booking_check.hpp"
#include "booking/booking_service.hpp"
#include "booking/german_time.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::booking {
namespace {

bool IsOutage(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
         code == ErrorCode::kRateLimited || code == ErrorCode::kInternal;
}

// Cancelled, or (a request) rejected by the host: the booking holds no slot.
bool IsDropped(const Booking& booking) {
  return booking.status == "cancelled" || booking.status == "rejected";
}

}  // namespace

// Looks for the booking of `appointment` (metadata.callgate_appointment) among the event type's
// bookings that start with it and end within a day. Not up to its stored end: until Cal.com
// answers, that is the service's length, and an event type of one, longer length books that.
// Anyone can set a booking's metadata through the booking page's URL, so a booking counts only
// with the appointment's check value (BookingCheck) and the held slot's event type and start:
// a forged one cannot stand in for it. A live booking is preferred; else a cancelled (or
// rejected) one is answered, so the caller knows the calendar made and dropped it.
Result<std::optional<Booking>> BookingService::Reconcile(const CalendarAccount& account,
                                                         const Appointment& appointment,
                                                         std::int64_t event_type_id) {
  BookingFilter filter;
  filter.event_type_id = event_type_id;
  filter.after_start = appointment.starts_at - std::chrono::minutes(1);
  filter.before_end =
      std::max(appointment.ends_at, appointment.starts_at + std::chrono::hours(24)) +
      std::chrono::minutes(1);
  // Past ones too: a job that runs after the appointment's end (Cal.com was away that long)
  // still finds its booking, which then has taken place. Cancelled ones only for an appointment
  // with a check value: without it, a forged cancelled booking could release the caller's slot.
  const std::string check = BookingCheck(appointment);
  filter.status =
      check.empty() ? "upcoming,past,unconfirmed" : "upcoming,past,unconfirmed,cancelled";
  auto bookings = calendar_.ListBookings(account, filter);
  if (!bookings) return tl::unexpected(bookings.error());
  const std::string mine = std::to_string(appointment.id.value);
  std::optional<Booking> dropped;
  for (const auto& b : *bookings) {
    if (!check.empty()) {
      auto carried = b.metadata.find(kBookingCheckKey);
      if (carried == b.metadata.end() || carried->second != check) continue;
    }
    auto it = b.metadata.find(kBookingAppointmentKey);
    // (The list was asked for the event type; an answer that leaves it out is taken as that.)
    const bool same_slot = (b.event_type_id == 0 || b.event_type_id == event_type_id) &&
                           b.start >= appointment.starts_at - std::chrono::minutes(1) &&
                           b.start <= appointment.starts_at + std::chrono::minutes(1);
    if (it == b.metadata.end() || it->second != mine || !same_slot) continue;
    if (!IsDropped(b)) return std::optional<Booking>(b);
    if (!check.empty() && !dropped) dropped = b;
  }
  return dropped;
}

Result<Appointment> BookingService::HoldSlot(tenancy::CompanyId company, Appointment appointment,
                                             const std::optional<tenancy::CustomerDetails>& caller,
                                             std::int64_t event_type_id) {
  std::optional<Appointment> held;
  Status holding = transactions_.Run([&]() -> Status {
    // The slot first: a taken one ends the hold before the caller's row is touched, and the
    // insert's reference to the company comes before any lock on a customer row, the order the
    // company purge takes them in (its company lock, then the customers), so neither waits for
    // the other in a cycle.
    auto created = appointments_.Create(company, appointment);
    if (!created) return tl::unexpected(created.error());
    held = std::move(*created);
    if (caller) {
      auto customer = customers_.Upsert(company, *caller);
      if (!customer) return tl::unexpected(customer.error());
      if (held->customer_id != customer->id) {
        held->customer_id = customer->id;
        auto linked = appointments_.Update(company, *held);
        if (!linked) return tl::unexpected(linked.error());
        held = std::move(*linked);
      }
    }
    return pending_.Enqueue(PendingBooking{company, held->id, event_type_id},
                            settings_.pending_job_after);
  });
  if (!holding) return tl::unexpected(holding.error());
  return std::move(*held);
}

BookOutcome BookingService::NotFree(BookOutcome out, const CallContext& ctx,
                                    const tenancy::Service& service, SystemTimePoint start,
                                    availability::NotFree why, book::CalendarSaid calendar) {
  SlotSource source = SlotSource::kLive;
  book::NotFree not_free;
  not_free.taken.requested = start;
  not_free.taken.why = why;
  not_free.taken.alternatives =
      availability_.FindAlternatives(ctx, service, start, settings_.max_alternatives, &source);
  if (auto l = ToLocal(start, ctx.timezone)) {
    not_free.taken.hours = Hours(ctx)[static_cast<std::size_t>(l->weekday)];
  }
  not_free.calendar = calendar;
  out.result = std::move(not_free);
  return out;
}

Result<BookOutcome> BookingService::BookAppointment(const CallContext& ctx,
                                                    const AppointmentRequest& request,
                                                    const std::string& idempotency_key) {
  BookOutcome out;
  out.as_of = clock_.Now();
  // A retry of a call we already handled answers the same, without touching anything.
  if (auto previous = appointments_.FindByIdempotencyKey(ctx.company.id, idempotency_key)) {
    Count("book-appointment", "replay");
    if (previous->HoldsSlot()) {
      out.result = book::Booked{*previous, "", "", true};
    } else {
      out.result = book::NotBooked{};
    }
    return out;
  } else if (previous.error().code != ErrorCode::kNotFound) {
    return tl::unexpected(previous.error());
  }

  availability::ServiceUnknown unknown;
  availability::OtherBranch elsewhere;
  auto service = availability_.ResolveService(ctx, request.wish.service, &unknown, &elsewhere);
  if (!service) {
    if (service.error().code == ErrorCode::kPermissionDenied && !elsewhere.service.empty()) {
      Count("book-appointment", "other_branch");
      out.result = std::move(elsewhere);
      return out;
    }
    if (service.error().code != ErrorCode::kNotFound) return tl::unexpected(service.error());
    out.result = std::move(unknown);
    return out;
  }
  out.service = *service;
  if (!service->calcom_event_type_id) {
    out.result = availability::NotBookableOnline{};
    return out;
  }
  using availability::Field;
  using availability::NeedsInput;
  using availability::Problem;
  if (request.wish.date.empty()) {
    out.result = NeedsInput{Field::kDate, Problem::kNotSaid};
    return out;
  }
  auto wish =
      ParseGermanDateTimeDetailed(request.wish.date, request.wish.time, out.as_of, ctx.timezone);
  if (!wish) {
    out.result = WhatToAskFor(wish.error());
    return out;
  }
  if (!wish->minute_of_day) {
    out.result = NeedsInput{Field::kTime, Problem::kNotSaid};
    return out;
  }
  auto start = WishToInstant(*wish, ctx.timezone);
  if (!start) {
    out.result = NeedsInput{Field::kTime, Problem::kNotUnderstood};
    return out;
  }

  std::string name = request.contact.name;
  if (name.empty() && ctx.customer) name = ctx.customer->name;
  if (name.empty()) {
    out.result = NeedsInput{Field::kName, Problem::kNotSaid};
    return out;
  }
  std::string email = request.contact.email;
  // The attendee's contact number: the one the caller named, else the one they call from. Only
  // the delivered number (caller_e164) ever identifies a customer (SPEC §4).
  std::string phone = ctx.caller_e164;
  if (const auto& p = request.contact.phone; !p.empty()) {
    if (auto e164 = NormalizeE164(p, settings_.phone_region)) phone = *e164;
  }

  const auto duration = std::chrono::minutes(service->duration_minutes);
  if (*start <= out.as_of) {
    Count("book-appointment", "past");
    return NotFree(std::move(out), ctx, *service, *start, availability::NotFree::kPast);
  }
  if (*start < out.as_of + std::chrono::minutes(service->minimum_notice_minutes)) {
    Count("book-appointment", "too_soon");
    return NotFree(std::move(out), ctx, *service, *start, availability::NotFree::kTooSoon);
  }
  // A public holiday or closing day is refused before anything is held: the calendar may not
  // know either.
  if (auto off = availability_.DayOff(ctx, *start)) {
    Count("book-appointment",
          off->why == availability::NotFree::kHoliday ? "holiday" : "closing_day");
    auto refused = NotFree(std::move(out), ctx, *service, *start, off->why);
    auto& taken = std::get<book::NotFree>(refused.result).taken;
    taken.holiday = off->holiday;
    taken.closing = std::move(off->closing);
    return refused;
  }
  if (!WithinBusinessHours(*start, duration, Hours(ctx), ctx.timezone)) {
    Count("book-appointment", "closed");
    return NotFree(std::move(out), ctx, *service, *start, availability::NotFree::kOutsideHours);
  }

  // The caller becomes (or stays) a customer of this company, under the delivered number only,
  // together with the hold; a withheld caller's booking carries its contact number but adopts
  // no customer record.
  std::optional<tenancy::CustomerDetails> caller;
  if (!ctx.caller_e164.empty()) {
    caller.emplace();
    caller->phone_e164 = ctx.caller_e164;
    caller->name = name;
    if (!email.empty()) caller->email = email;
  }

  // Hold the slot in our own database first: a unique index makes concurrent bookings of one
  // slot (and duplicate tool calls) collide here, before anything reaches Cal.com.
  Appointment appt;
  appt.branch_id = ctx.branch ? std::optional(ctx.branch->id) : std::nullopt;
  appt.service_id = service->id;
  if (ctx.customer) appt.customer_id = ctx.customer->id;
  if (ctx.call.id.value > 0) appt.call_id = ctx.call.id;  // none for an MCP session
  appt.starts_at = *start;
  appt.ends_at = *start + duration;
  appt.timezone = ctx.timezone;
  appt.status = std::string(kPendingSync);
  appt.source = "phone_agent";
  appt.idempotency_key = idempotency_key;
  appt.notes = request.notes;
  // The slot is held together with the job that finishes the booking, whatever happens to this
  // request from here on (PendingBooking).
  const std::int64_t event_type_id = *service->calcom_event_type_id;
  auto held = HoldSlot(ctx.company.id, appt, caller, event_type_id);
  if (!held) {
    if (held.error().code == ErrorCode::kAlreadyExists) {
      // A duplicate tool call raced us: answer like a replay.
      return BookAppointment(ctx, request, idempotency_key);
    }
    if (held.error().code == ErrorCode::kConflict) {
      Count("book-appointment", "slot_taken");
      return NotFree(std::move(out), ctx, *service, *start, availability::NotFree::kBooked);
    }
    return tl::unexpected(held.error());
  }
  appt = *held;

  BookingRequest create;
  create.account = CalendarAccountFor(ctx, settings_);
  create.event_type_id = event_type_id;
  create.start = *start;
  create.attendee.name = name;
  create.attendee.phone_e164 = phone;
  create.attendee.email = email;
  if (create.attendee.email.empty() && !settings_.placeholder_email_domain.empty()) {
    // Named after the appointment, not the caller: the number goes to Cal.com once, as the
    // attendee's phone, and not again inside an address.
    create.attendee.email =
        "anrufer-" + std::to_string(appt.id.value) + "@" + settings_.placeholder_email_domain;
  }
  create.attendee.time_zone = ctx.timezone;
  // Cal.com accepts only the codes of its enum: "de-AT" goes out as "de". A stored language
  // without a near code (refused since the admin API checks it) leaves Cal.com's default.
  create.attendee.language = tenancy::CalendarLanguage(ctx.company.language).value_or("");
  create.metadata = {{kBookingAppointmentKey, std::to_string(appt.id.value)},
                     {"retell_call_id", ctx.call.retell_call_id}};
  if (auto check = BookingCheck(appt); !check.empty()) create.metadata[kBookingCheckKey] = check;
  create.notes = appt.notes;
  // The service's length (sent where the event type offers several); the booked end is stored
  // from Cal.com's answer below.
  create.length_minutes = service->duration_minutes;

  const std::string branch_name = ctx.branch ? ctx.branch->name : std::string();
  auto booking = calendar_.CreateBooking(create);
  if (!booking && booking.error().code == ErrorCode::kTimeout) {
    // The request may have been booked although its answer was lost: look before concluding.
    // (One already dropped again is left to the pending job, which records that.)
    if (auto found = Reconcile(create.account, appt, create.event_type_id);
        found && *found && !IsDropped(**found)) {
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
    calendar_.CancelBooking(create.account, booking->uid, settings_.records.series_refused, series);
    if (auto released = ReleaseHeld(ctx.company.id, appt.id, "recurring event type refused");
        !released) {
      return tl::unexpected(released.error());
    }
    metrics_.Increment("callgate_bookings_total", {{"outcome", "recurring_refused"}});
    Count("book-appointment", "recurring_refused");
    out.result = book::SeriesRefused{};
    return out;
  }
  if (booking) {
    // An event type that requires confirmation answers "pending": the practice has yet to
    // confirm, so the caller hears a request, never "gebucht".
    auto now = RecordBooking(ctx.company.id, appt.id, *booking);
    if (!now) return tl::unexpected(now.error());
    if (now->row && now->row->calcom_booking_uid == booking->uid) {
      metrics_.Increment("callgate_bookings_total", {{"outcome", now->row->status}});
      Count("book-appointment", now->row->status);
      out.result = book::Booked{*now->row, service->name, branch_name, false};
      return out;
    }
    // Let go while Cal.com booked (an erasure, the pending job releasing it): the booking goes.
    metrics_.Increment("callgate_bookings_total", {{"outcome", "released_meanwhile"}});
    Count("book-appointment", "released_meanwhile");
    CancelUnwanted(create.account, *booking, appt.id);
    out.result = book::NotBooked{false};
    return out;
  }
  const ErrorCode code = booking.error().code;
  // A release below finds the appointment as it is now: booked meanwhile by its job (the
  // caller hears it booked), or let go.
  const auto booked_meanwhile = [&](const HeldWrite& now) {
    return !now.written && now.row && now.row->calcom_booking_uid &&
           (now.row->status == kBooked || now.row->status == kRequested);
  };
  if (code == ErrorCode::kConflict || code == ErrorCode::kInvalidArgument) {
    auto released = ReleaseHeld(
        ctx.company.id, appt.id,
        code == ErrorCode::kConflict ? "slot taken at the calendar" : "calendar refused");
    if (!released) return tl::unexpected(released.error());
    if (booked_meanwhile(*released)) {
      Count("book-appointment", released->row->status);
      out.result = book::Booked{*released->row, service->name, branch_name, false};
      return out;
    }
    metrics_.Increment("callgate_bookings_total",
                       {{"outcome", code == ErrorCode::kConflict ? "slot_taken" : "refused"}});
    Count("book-appointment", code == ErrorCode::kConflict ? "slot_taken" : "refused");
    return NotFree(std::move(out), ctx, *service, *start, availability::NotFree::kBooked,
                   code == ErrorCode::kConflict ? book::CalendarSaid::kJustTaken
                                                : book::CalendarSaid::kRefused);
  }
  if (IsOutage(code)) {
    // Cal.com is down or slow: the request stays held, and its job (queued with it) books it
    // once Cal.com answers again.
    metrics_.Increment("callgate_bookings_total", {{"outcome", "pending"}});
    Count("book-appointment", "pending");
    out.result = book::Booked{appt, service->name, branch_name, false};
    return out;
  }
  // Configuration problems (bad key, unknown event type): release the slot, and note a callback
  // so the team books it by hand.
  observability::LogError(
      "booking_failed", {{"company_id", ctx.company.id.value}, {"error", booking.error().message}});
  auto released = ReleaseHeld(ctx.company.id, appt.id, "");
  if (!released) return tl::unexpected(released.error());
  if (booked_meanwhile(*released)) {
    Count("book-appointment", released->row->status);
    out.result = book::Booked{*released->row, service->name, branch_name, false};
    return out;
  }
  metrics_.Increment("callgate_bookings_total", {{"outcome", "failed"}});
  Count("book-appointment", "failed");
  if (!released->written) {
    // Let go meanwhile (the caller cancelled, an erasure): no callback about it.
    out.result = book::NotBooked{false};
    return out;
  }
  CallbackRequest cb;
  cb.branch_id = appt.branch_id;
  cb.customer_id = appt.customer_id;
  cb.call_id = appt.call_id;
  cb.name = name;
  cb.phone = phone;
  cb.reason = settings_.records.BookingFailed({service->name, *start, ctx.timezone, out.as_of});
  cb.due_at = out.as_of + std::chrono::hours(2);
  auto noted = callbacks_.Create(ctx.company.id, cb);
  if (!noted) return tl::unexpected(noted.error());
  out.result = book::Failed{noted->id};
  return out;
}

Result<BookingService::HeldWrite> BookingService::WriteIfHeld(
    tenancy::CompanyId company, AppointmentId id, const std::function<void(Appointment&)>& change) {
  HeldWrite out;
  Status stored = transactions_.Run([&]() -> Status {
    out = {};
    auto locked = appointments_.LockById(company, id);
    if (!locked) {
      if (locked.error().code == ErrorCode::kNotFound) return Ok();  // erased meanwhile
      return tl::unexpected(locked.error());
    }
    out.row = *locked;
    if (locked->status != kPendingSync) return Ok();
    Appointment updated = *locked;
    change(updated);
    auto written = appointments_.Update(company, updated);
    if (!written) return tl::unexpected(written.error());
    out = {*written, true};
    return Ok();
  });
  if (!stored) return tl::unexpected(stored.error());
  return out;
}

Result<BookingService::HeldWrite> BookingService::RecordBooking(tenancy::CompanyId company,
                                                                AppointmentId id,
                                                                const Booking& booking) {
  return WriteIfHeld(company, id, [&](Appointment& a) {
    a.status = std::string(booking.status == "pending" ? kRequested : kBooked);
    a.calcom_booking_uid = booking.uid;
    if (!booking.seat_uid.empty()) a.calcom_seat_uid = booking.seat_uid;
    if (booking.end > booking.start) a.ends_at = booking.end;  // as Cal.com booked it
  });
}

Result<BookingService::HeldWrite> BookingService::ReleaseHeld(tenancy::CompanyId company,
                                                              AppointmentId id,
                                                              const std::string& note) {
  return WriteIfHeld(company, id, [&](Appointment& a) {
    a.status = std::string(kCancelled);
    a.cancelled_at = clock_.Now();
    if (!note.empty()) a.notes = note;
  });
}

void BookingService::CancelUnwanted(const CalendarAccount& account, const Booking& booking,
                                    AppointmentId id) {
  auto cancelled =
      calendar_.CancelBooking(account, booking.uid, settings_.records.released_while_booking,
                              BookingChange{booking.seat_uid, ""});
  if (!cancelled && cancelled.error().code != ErrorCode::kNotFound) {
    observability::LogError("pending_booking_not_cancelled",
                            {{"appointment_id", id.value}, {"error", cancelled.error().message}});
  }
}

Status BookingService::RunPendingBooking(const PendingBooking& pending) {
  auto appt = appointments_.FindById(pending.company_id, pending.appointment_id);
  if (!appt) return tl::unexpected(appt.error());
  if (appt->status != kPendingSync) return Ok();  // done before (at-least-once delivery)
  auto company = companies_.FindById(pending.company_id);
  if (!company) return tl::unexpected(company.error());
  const CalendarAccount account = AccountFor(*company);

  auto found = Reconcile(account, *appt, pending.event_type_id);
  if (!found) return tl::unexpected(found.error());
  std::optional<Booking> booking = *found;
  if (booking && IsDropped(*booking)) {
    // Cal.com made the booking (its answer was lost) and it was cancelled or rejected there
    // before callgate knew it: by the practice (or moved by it), or by this job refusing a
    // recurring series whose outcome could not be written. Booking the slot again would undo
    // that; the slot is released and the caller, told that confirmation follows, is called back.
    metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_dropped_at_calendar"}});
    return PendingBookingFailed(
        pending, Error{ErrorCode::kConflict, "the booking was " + booking->status + " at cal.com"});
  }
  if (!booking) {
    BookingRequest request;
    request.account = account;
    request.event_type_id = pending.event_type_id;
    request.start = appt->starts_at;
    request.attendee.time_zone = appt->timezone;
    if (appt->customer_id) {
      if (auto c = customers_.FindById(pending.company_id, *appt->customer_id)) {
        request.attendee.name = c->name.empty() ? settings_.records.unnamed_attendee : c->name;
        request.attendee.phone_e164 = c->phone_e164;
        request.attendee.email = c->email.value_or("");
      }
    }
    if (request.attendee.name.empty()) request.attendee.name = settings_.records.unnamed_attendee;
    if (request.attendee.email.empty() && !settings_.placeholder_email_domain.empty()) {
      request.attendee.email =
          "anrufer-" + std::to_string(appt->id.value) + "@" + settings_.placeholder_email_domain;
    }
    request.metadata = {{kBookingAppointmentKey, std::to_string(appt->id.value)}};
    if (auto check = BookingCheck(*appt); !check.empty())
      request.metadata[kBookingCheckKey] = check;
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
      calendar_.CancelBooking(account, created->uid, settings_.records.series_refused, series);
      return PendingBookingFailed(
          pending, Error{ErrorCode::kInvalidArgument, "recurring event type refused"});
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
  // Written from the row read locked, and only while it is still held: the caller may have
  // cancelled it, an erasure marked it, or another run of this job finished it while Cal.com
  // booked. Their change stays, and a booking it no longer wants goes again.
  auto now = RecordBooking(pending.company_id, pending.appointment_id, *booking);
  if (!now) return tl::unexpected(now.error());
  if (now->row && now->row->calcom_booking_uid == booking->uid) {
    metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_completed"}});
    return Ok();
  }
  metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_released_meanwhile"}});
  CancelUnwanted(account, *booking, pending.appointment_id);
  return Ok();
}

Status BookingService::PendingBookingFailed(const PendingBooking& pending, const Error& error) {
  // Read and written in one transaction, the row locked: a caller's cancel or an erasure
  // committed meanwhile is read (and the slot left alone), never overwritten with what was
  // read before it, nor its customer's number put into a callback again.
  bool released_now = false;
  Status recorded = transactions_.Run([&]() -> Status {
    released_now = false;
    auto appt = appointments_.LockById(pending.company_id, pending.appointment_id);
    if (!appt) {
      if (appt.error().code == ErrorCode::kNotFound) return Ok();  // erased meanwhile
      return tl::unexpected(appt.error());
    }
    if (appt->status != kPendingSync) return Ok();
    Appointment released = *appt;
    released.status = std::string(kCancelled);
    released.cancelled_at = clock_.Now();
    released.notes = "could not be booked: " + error.message;
    CallbackRequest cb;
    cb.branch_id = appt->branch_id;
    cb.customer_id = appt->customer_id;
    cb.call_id = appt->call_id;
    if (appt->customer_id) {
      auto c = customers_.FindById(pending.company_id, *appt->customer_id);
      if (c) {
        cb.phone = c->phone_e164;
        cb.name = c->name;
      } else if (c.error().code != ErrorCode::kNotFound) {
        return tl::unexpected(c.error());  // a callback without the number to call back
      }
    }
    cb.reason =
        settings_.records.BookingFailed({"", appt->starts_at, appt->timezone, clock_.Now()});
    cb.due_at = clock_.Now() + std::chrono::hours(2);
    // The slot is released only together with the note that someone calls back.
    if (auto stored = appointments_.Update(pending.company_id, released); !stored) {
      return tl::unexpected(stored.error());
    }
    auto noted = callbacks_.Create(pending.company_id, cb);
    if (!noted) return tl::unexpected(noted.error());
    released_now = true;
    return Ok();
  });
  if (!recorded) return recorded;
  if (released_now) {
    metrics_.Increment("callgate_bookings_total", {{"outcome", "pending_failed"}});
    observability::LogError(
        "pending_booking_failed",
        {{"appointment_id", pending.appointment_id.value}, {"error", error.message}});
  }
  return Ok();
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
  auto days_off = HolidayCalendar::For(company, branch);
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
      // Never a public holiday or closing day of the branch.
      if (auto l = ToLocal(s.start, zone); !l || days_off.Closed({l->year, l->month, l->day})) {
        continue;
      }
      (i == 0 ? out.today : out.tomorrow).push_back(s);
    }
  }
  if (!answers[0] && !answers[1]) return tl::unexpected(answers[0].error());
  return out;
}

}  // namespace callgate::booking
