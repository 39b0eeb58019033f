#include "booking/callbacks.hpp"

#include "booking/german_time.hpp"
#include "core/phone.hpp"

namespace callgate::booking {
namespace {

// What the staff reads: the topic and the wished time, in the caller's words.
std::string Reason(const CallbackWish& wish) {
  if (wish.when.empty()) return wish.topic;
  if (wish.topic.empty()) return "(" + wish.when + ")";
  return wish.topic + " (" + wish.when + ")";
}

}  // namespace

Result<CallbackOutcome> CallbackService::Request(const CallContext& ctx, const CallbackWish& wish) {
  CallbackOutcome out;
  out.as_of = clock_.Now();
  std::string phone = ctx.caller_e164;
  bool calling_number = !phone.empty();
  if (!wish.contact.phone.empty()) {
    auto said = NormalizeE164(wish.contact.phone, settings_.phone_region);
    if (!said) {
      out.result = callback::NeedsPhone{true};
      return out;
    }
    calling_number = *said == ctx.caller_e164;
    phone = *said;
  }
  if (phone.empty()) {
    out.result = callback::NeedsPhone{false};
    return out;
  }

  CallbackRequest request;
  request.branch_id = ctx.branch ? std::optional(ctx.branch->id) : std::nullopt;
  if (ctx.call.id.value > 0) request.call_id = ctx.call.id;
  if (ctx.customer && calling_number) request.customer_id = ctx.customer->id;
  request.name = !wish.contact.name.empty() ? wish.contact.name
                 : ctx.customer             ? ctx.customer->name
                                            : std::string();
  request.phone = phone;
  request.reason = Reason(wish);
  request.due_at = out.as_of + settings_.default_delay;
  if (!wish.when.empty()) {
    if (auto when = ParseGermanDateTime(wish.when, "", out.as_of, ctx.timezone)) {
      DateTimeWish at = *when;
      if (!at.minute_of_day) at.minute_of_day = at.window ? at.window->from_minute : 9 * 60;
      at.window.reset();
      if (auto instant = WishToInstant(at, ctx.timezone); instant && *instant > out.as_of) {
        request.due_at = *instant;
      }
    }
  }

  // A platform's retry of the same request in the same call finds the first one.
  if (request.call_id) {
    auto open = callbacks_.ListOpen(ctx.company.id);
    if (!open) return tl::unexpected(open.error());
    for (const auto& existing : *open) {
      if (existing.call_id == request.call_id && existing.phone == request.phone &&
          existing.reason == request.reason) {
        out.result = callback::Noted{existing.id, existing.due_at.value_or(*request.due_at),
                                     calling_number, true};
        return out;
      }
    }
  }
  auto created = callbacks_.Create(ctx.company.id, request);
  if (!created) return tl::unexpected(created.error());
  out.result = callback::Noted{created->id, *request.due_at, calling_number, false};
  return out;
}

}  // namespace callgate::booking
