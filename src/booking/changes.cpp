#include "booking/changes.hpp"

#include <algorithm>

#include "booking/german_time.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::booking {
namespace {

using changes::Listed;

}  // namespace

PolicyDecision CheckChangePolicy(const tenancy::ChangePolicy& policy, SystemTimePoint start,
                                 SystemTimePoint now, int changes_this_month) {
  PolicyDecision d;
  if (start <= now) {
    d.allowed = false;
    d.refusal = PolicyRefusal::kStarted;
    return d;
  }
  if (policy.monthly_limit && changes_this_month >= *policy.monthly_limit) {
    d.allowed = false;
    d.refusal = PolicyRefusal::kMonthlyLimit;
    return d;
  }
  const double hours_left = std::chrono::duration<double, std::ratio<3600>>(start - now).count();
  const tenancy::FeeTier* tier = nullptr;
  for (const auto& t : policy.fee_tiers) {
    if (hours_left < t.within_hours && (tier == nullptr || t.within_hours < tier->within_hours)) {
      tier = &t;
    }
  }
  if (tier != nullptr) d.fee_cents = tier->fee_cents;
  if (hours_left < policy.notice_hours && tier == nullptr) {
    d.allowed = false;
    d.refusal = PolicyRefusal::kTooLate;
    d.notice_hours = policy.notice_hours;
  }
  return d;
}

void ChangeService::Count(std::string_view tool, std::string_view outcome) {
  metrics_.Increment("callgate_booking_tool_total",
                     {{"tool", std::string(tool)}, {"outcome", std::string(outcome)}});
}

Listed ChangeService::Named(const CallContext& ctx, const Appointment& appointment) {
  Listed listed{appointment, ""};
  if (appointment.service_id) {
    if (auto s = services_.FindById(ctx.company.id, *appointment.service_id)) {
      listed.service = s->name;
    }
  }
  return listed;
}

std::vector<Listed> ChangeService::AllNamed(const CallContext& ctx,
                                            const std::vector<Appointment>& appointments) {
  // One read of the service list names them all.
  auto services = services_.ListForCompany(ctx.company.id);
  std::vector<Listed> out;
  for (const auto& appt : appointments) {
    Listed listed{appt, ""};
    if (services && appt.service_id) {
      for (const auto& s : *services) {
        if (s.id == *appt.service_id) listed.service = s.name;
      }
    }
    out.push_back(std::move(listed));
  }
  std::sort(out.begin(), out.end(), [](const Listed& a, const Listed& b) {
    return a.appointment.starts_at < b.appointment.starts_at;
  });
  return out;
}

Result<ChangeService::Found> ChangeService::FindCallersAppointment(
    const CallContext& ctx, const AppointmentChoice& choice) {
  if (!choice.id.empty()) {
    long long id = -1;
    try {
      id = std::stoll(choice.id);
    } catch (...) {
    }
    auto appt = appointments_.FindById(ctx.company.id, AppointmentId(id));
    if (!appt) {
      if (appt.error().code != ErrorCode::kNotFound) return tl::unexpected(appt.error());
      return Fail(ErrorCode::kPermissionDenied, "appointment not accessible");
    }
    // Only the caller's own: the customer of the delivered number.
    if (!ctx.customer || appt->customer_id != ctx.customer->id) {
      return Fail(ErrorCode::kPermissionDenied, "appointment not accessible");
    }
    if (!appt->HoldsSlot()) return Found(changes::NotFound{changes::Missing::kNotActive});
    return Found(Named(ctx, *appt));
  }
  if (!ctx.customer) return Found(changes::NotFound{changes::Missing::kNoCustomer});
  auto upcoming =
      appointments_.ListUpcomingForCustomer(ctx.company.id, ctx.customer->id, clock_.Now());
  if (!upcoming) return tl::unexpected(upcoming.error());
  std::vector<Appointment> candidates = *upcoming;
  std::optional<CalendarDay> said;
  if (!choice.date.empty() && candidates.size() > 1) {
    if (auto wish = ParseGermanDateTime(choice.date, "", clock_.Now(), ctx.timezone)) {
      said = CalendarDay{wish->year, wish->month, wish->day};
      std::vector<Appointment> same_day;
      for (const auto& c : candidates) {
        auto l = ToLocal(c.starts_at, ctx.timezone);
        if (l && l->year == wish->year && l->month == wish->month && l->day == wish->day) {
          same_day.push_back(c);
        }
      }
      candidates = same_day;
    }
  }
  if (candidates.empty()) {
    return Found(changes::NotFound{changes::Missing::kNoneUpcoming, said});
  }
  if (candidates.size() > 1) return Found(changes::Ambiguous{AllNamed(ctx, candidates)});
  return Found(Named(ctx, candidates.front()));
}

Result<PolicyDecision> ChangeService::Policy(const CallContext& ctx,
                                             const tenancy::ChangePolicy& policy,
                                             const Appointment& appointment,
                                             std::string_view change) {
  const auto now = clock_.Now();
  int changes_this_month = 0;
  if (policy.monthly_limit && appointment.customer_id) {
    auto n = appointments_.CountChanges(ctx.company.id, *appointment.customer_id, change,
                                        now - std::chrono::hours(24 * 30), now);
    if (!n) return tl::unexpected(n.error());
    changes_this_month = *n;
  }
  return CheckChangePolicy(policy, appointment.starts_at, now, changes_this_month);
}

Result<AppointmentsOutcome> ChangeService::Upcoming(const CallContext& ctx) {
  AppointmentsOutcome out;
  out.as_of = clock_.Now();
  out.withheld = ctx.CallerWithheld();
  out.known_caller = ctx.customer.has_value();
  if (!ctx.customer) {
    Count("query-customer-appointments", "unknown_caller");
    return out;
  }
  auto upcoming =
      appointments_.ListUpcomingForCustomer(ctx.company.id, ctx.customer->id, out.as_of);
  if (!upcoming) return tl::unexpected(upcoming.error());
  // Requests the practice turned down since: the caller hears it here (there is no other
  // channel to tell them).
  auto rejected =
      appointments_.ListUpcomingRejectedForCustomer(ctx.company.id, ctx.customer->id, out.as_of);
  if (!rejected) return tl::unexpected(rejected.error());
  std::vector<Appointment> both = *upcoming;
  both.insert(both.end(), rejected->begin(), rejected->end());
  for (auto& listed : AllNamed(ctx, both)) {
    (listed.appointment.status == kRejected ? out.rejected : out.appointments)
        .push_back(std::move(listed));
  }
  Count("query-customer-appointments", "ok");
  return out;
}

Result<CancelOutcome> ChangeService::Cancel(const CallContext& ctx, const CancelRequest& request) {
  // Once more when the appointment changed between reading and writing (its pending booking
  // was finished meanwhile): the next attempt sees its booking and cancels it at Cal.com too.
  for (int attempt = 1;; ++attempt) {
    bool changed_meanwhile = false;
    auto out = CancelOnce(ctx, request, changed_meanwhile);
    if (!changed_meanwhile) return out;
    if (attempt == 3) return Fail(ErrorCode::kUnavailable, "the appointment keeps changing");
  }
}

Result<CancelOutcome> ChangeService::CancelOnce(const CallContext& ctx,
                                                const CancelRequest& request,
                                                bool& changed_meanwhile) {
  CancelOutcome out;
  out.as_of = clock_.Now();
  if (ctx.CallerWithheld() && !ctx.customer) {
    // Nothing can be matched to a withheld number: the team calls back to cancel.
    CallbackRequest cb;
    cb.branch_id = ctx.branch ? std::optional(ctx.branch->id) : std::nullopt;
    if (ctx.call.id.value > 0) cb.call_id = ctx.call.id;
    cb.name = request.contact.name;
    cb.phone = request.contact.phone;
    cb.reason = settings_.records.CancellationWished(request.reason);
    cb.due_at = out.as_of + std::chrono::hours(4);
    auto created = callbacks_.Create(ctx.company.id, cb);
    if (!created) return tl::unexpected(created.error());
    out.result = changes::CallbackNoted{created->id};
    Count("cancel-appointment", "callback");
    return out;
  }
  auto found = FindCallersAppointment(ctx, request.appointment);
  if (!found) return tl::unexpected(found.error());
  if (auto* nf = std::get_if<changes::NotFound>(&*found)) {
    out.result = *nf;
    Count("cancel-appointment", "not_found");
    return out;
  }
  if (auto* many = std::get_if<changes::Ambiguous>(&*found)) {
    out.result = std::move(*many);
    Count("cancel-appointment", "ambiguous");
    return out;
  }
  const Listed listed = std::get<Listed>(*found);
  const Appointment& appt = listed.appointment;
  auto decision = Policy(ctx, ctx.company.cancellation_policy, appt, kCancelled);
  if (!decision) return tl::unexpected(decision.error());
  if (!decision->allowed) {
    out.result = changes::Refused{*decision};
    Count("cancel-appointment", "denied");
    return out;
  }
  if (appt.calcom_booking_uid) {
    auto cancelled = calendar_.CancelBooking(
        CalendarAccountFor(ctx, settings_), *appt.calcom_booking_uid,
        request.reason.empty() ? settings_.records.cancelled_by_caller : request.reason,
        BookingChange{appt.calcom_seat_uid.value_or(""), ""});
    if (!cancelled && cancelled.error().code != ErrorCode::kNotFound) {
      out.result = changes::CalendarUnavailable{};
      Count("cancel-appointment", "calendar_error");
      return out;
    }
  }
  // Written from the row read locked, and only if it is still as read: a held appointment whose
  // job finished meanwhile now has a booking at Cal.com that the cancel above did not reach.
  std::optional<Appointment> stored;
  Status written = transactions_.Run([&]() -> Status {
    stored.reset();
    changed_meanwhile = false;
    auto locked = appointments_.LockById(ctx.company.id, appt.id);
    if (!locked) return tl::unexpected(locked.error());
    if (locked->status != appt.status || locked->calcom_booking_uid != appt.calcom_booking_uid) {
      changed_meanwhile = true;
      return Ok();
    }
    Appointment updated = *locked;
    updated.status = std::string(kCancelled);
    updated.cancelled_at = out.as_of;
    auto u = appointments_.Update(ctx.company.id, updated);
    if (!u) return tl::unexpected(u.error());
    stored = *u;
    return Ok();
  });
  if (!written) return tl::unexpected(written.error());
  if (changed_meanwhile) return out;
  out.result = changes::Cancelled{*stored, decision->fee_cents};
  Count("cancel-appointment", "cancelled");
  return out;
}

Result<RescheduleOutcome> ChangeService::Reschedule(const CallContext& ctx,
                                                    const RescheduleRequest& request) {
  RescheduleOutcome out;
  out.as_of = clock_.Now();
  auto found = FindCallersAppointment(ctx, request.appointment);
  if (!found) return tl::unexpected(found.error());
  if (auto* nf = std::get_if<changes::NotFound>(&*found)) {
    out.result = *nf;
    Count("reschedule-appointment", "not_found");
    return out;
  }
  if (auto* many = std::get_if<changes::Ambiguous>(&*found)) {
    out.result = std::move(*many);
    Count("reschedule-appointment", "ambiguous");
    return out;
  }
  const Listed listed = std::get<Listed>(*found);
  const Appointment& appt = listed.appointment;
  auto decision = Policy(ctx, ctx.company.reschedule_policy, appt, kRescheduled);
  if (!decision) return tl::unexpected(decision.error());
  if (!decision->allowed) {
    out.result = changes::Refused{*decision};
    Count("reschedule-appointment", "denied");
    return out;
  }
  std::optional<tenancy::Service> service;
  if (appt.service_id) {
    if (auto s = services_.FindById(ctx.company.id, *appt.service_id)) service = *s;
  }
  if (!service || !service->calcom_event_type_id) {
    out.result = changes::NotMovable{};
    Count("reschedule-appointment", "not_movable");
    return out;
  }
  // The new time is checked like check-availability checks it: the same reasons, the same
  // alternatives.
  auto check = availability_.CheckKnown(
      ctx, *service, SlotWish{ServiceChoice{}, request.new_date, request.new_time});
  if (!check) return tl::unexpected(check.error());
  const auto* free = std::get_if<availability::Free>(&check->result);
  if (free == nullptr) {
    out.result = changes::NewTimeNotFree{std::move(*check)};
    Count("reschedule-appointment", "taken");
    return out;
  }
  const Slot to = free->slot;
  if (!request.confirm) {
    out.result = changes::Proposed{listed, to, decision->fee_cents};
    Count("reschedule-appointment", "proposed");
    return out;
  }
  if (!appt.calcom_booking_uid) {
    out.result = changes::StillConfirming{listed};
    Count("reschedule-appointment", "still_confirming");
    return out;
  }
  // Moved by the caller, not the practice: a booking that requires confirmation awaits it again.
  BookingChange change{appt.calcom_seat_uid.value_or(""), ""};
  if (ctx.customer && ctx.customer->email) change.rescheduled_by = *ctx.customer->email;
  auto moved =
      calendar_.RescheduleBooking(CalendarAccountFor(ctx, settings_), *appt.calcom_booking_uid,
                                  to.start, settings_.records.moved_by_caller, change);
  if (!moved) {
    if (moved.error().code == ErrorCode::kConflict) {
      out.result = changes::JustTaken{to.start};
    } else {
      out.result = changes::CalendarUnavailable{};
    }
    Count("reschedule-appointment", "calendar_error");
    return out;
  }
  // Written from the row read locked. Cal.com's webhook about this move may have been recorded
  // first: that is the move. An appointment let go meanwhile (cancelled, erased) keeps what it
  // became; the booking just moved to is cancelled again rather than left unrecorded. One the
  // practice confirmed meanwhile (requested → booked) is still the caller's, and moved.
  Appointment next;
  bool let_go = false;
  Status local = transactions_.Run([&]() -> Status {
    let_go = false;
    auto locked = appointments_.LockById(ctx.company.id, appt.id);
    if (!locked) return tl::unexpected(locked.error());
    if (auto recorded = appointments_.FindByCalcomUid(ctx.company.id, moved->uid)) {
      // A seat moved into a booking another appointment holds cannot be recorded as well.
      if (recorded->rescheduled_from_id != appt.id) {
        return Fail(ErrorCode::kConflict, "the booking moved to belongs to another appointment");
      }
      next = *recorded;
      return Ok();
    } else if (recorded.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(recorded.error());
    }
    if (!locked->HoldsSlot() || locked->calcom_booking_uid != appt.calcom_booking_uid ||
        locked->customer_id != appt.customer_id || locked->erased_at != appt.erased_at) {
      let_go = true;
      return Ok();
    }
    Appointment old = *locked;
    old.status = std::string(kRescheduled);
    if (auto s = appointments_.Update(ctx.company.id, old); !s) return tl::unexpected(s.error());
    next = *locked;
    next.id = AppointmentId();
    next.starts_at = to.start;
    // As Cal.com booked it; the service's length when its answer has no end.
    next.ends_at = moved->end > moved->start
                       ? moved->end
                       : to.start + std::chrono::minutes(service->duration_minutes);
    next.status = std::string(moved->status == "pending" ? kRequested : kBooked);
    next.calcom_booking_uid = moved->uid;
    next.calcom_seat_uid.reset();
    if (!moved->seat_uid.empty()) next.calcom_seat_uid = moved->seat_uid;
    next.idempotency_key.reset();
    next.rescheduled_from_id = appt.id;
    if (ctx.call.id.value > 0) next.call_id = ctx.call.id;
    auto created = appointments_.Create(ctx.company.id, next);
    if (!created) return tl::unexpected(created.error());
    next = *created;
    return Ok();
  });
  if (!local) return tl::unexpected(local.error());
  if (let_go) {
    auto cancelled = calendar_.CancelBooking(CalendarAccountFor(ctx, settings_), moved->uid,
                                             settings_.records.released_while_moving,
                                             BookingChange{moved->seat_uid, ""});
    if (!cancelled && cancelled.error().code != ErrorCode::kNotFound) {
      observability::LogError(
          "moved_booking_not_cancelled",
          {{"appointment_id", appt.id.value}, {"error", cancelled.error().message}});
    }
    out.result = changes::NotFound{changes::Missing::kNotActive};
    Count("reschedule-appointment", "released_meanwhile");
    return out;
  }
  out.result = changes::Moved{listed, next, decision->fee_cents};
  Count("reschedule-appointment", "rescheduled");
  return out;
}

}  // namespace callgate::booking
