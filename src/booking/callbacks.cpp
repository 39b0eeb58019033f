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

  // A platform's retry of the same request in the same call finds the first one; a call that
  // has noted its share notes no more.
  if (request.call_id) {
    auto noted = callbacks_.ListForCall(ctx.company.id, *request.call_id);
    if (!noted) return tl::unexpected(noted.error());
    const CallbackRequest* first_open = nullptr;
    for (const auto& existing : *noted) {
      if (existing.status != "open") continue;
      if (existing.phone == request.phone && existing.reason == request.reason) {
        out.result = callback::Noted{existing.id, existing.due_at.value_or(*request.due_at),
                                     calling_number, true};
        return out;
      }
      if (first_open == nullptr) first_open = &existing;
    }
    const int count = static_cast<int>(noted->size());
    if (count > 0 && count >= settings_.max_per_call) {
      const CallbackRequest& standing = first_open != nullptr ? *first_open : noted->front();
      out.result = callback::AlreadyNoted{
          standing.id, standing.due_at.value_or(standing.created_at + settings_.default_delay),
          count};
      return out;
    }
  }
  auto created = callbacks_.Create(ctx.company.id, request);
  if (!created) return tl::unexpected(created.error());
  out.result = callback::Noted{created->id, *request.due_at, calling_number, false};
  return out;
}

}  // namespace callgate::booking
