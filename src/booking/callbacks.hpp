#pragma once
// Callbacks: the caller asks to be called back (SPEC §9 request-callback) — when the calendar
// is out of reach, when no time fits, or when they want a person. The request is stored for the
// company's staff (the dashboard's open callbacks) with the number to call and a due time. A
// typed outcome without wording; the agent module speaks it (agent/speech.hpp).

#include <optional>
#include <string>
#include <variant>

#include "booking/call_context.hpp"
#include "booking/model.hpp"
#include "booking/repositories.hpp"
#include "booking/tool_requests.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate::booking {

namespace callback {

// Stored (or, for a retry of the same call's same request, found again).
struct Noted {
  CallbackRequestId id;
  SystemTimePoint due_at;
  bool calling_number = true;  // to be called back on the number they call from
  bool repeated = false;       // the same request of this call was already noted
};

// No number to call back: the caller's number is withheld and none was said (or it could not
// be read: `unreadable`).
struct NeedsPhone {
  bool unreadable = false;
};

// This call has already noted as many requests as one call may (CallbackSettings::max_per_call):
// nothing more is stored. The earliest open one of them stands (further wishes are said when
// staff calls back).
struct AlreadyNoted {
  CallbackRequestId id;
  SystemTimePoint due_at;
  int count = 0;  // the requests this call has noted
};

}  // namespace callback

struct CallbackOutcome {
  SystemTimePoint as_of;
  std::variant<callback::Noted, callback::NeedsPhone, callback::AlreadyNoted> result;
};

struct CallbackSettings {
  std::string phone_region = "DE";
  std::chrono::minutes default_delay{120};  // due this long after the call without a wish
  int max_per_call = 3;                     // requests one call may note; more are refused
};

class CallbackService {
 public:
  CallbackService(CallbackSettings settings, CallbackRequestRepository& callbacks,
                  const Clock& clock)
      : settings_(std::move(settings)), callbacks_(callbacks), clock_(clock) {}

  // The number: the one the caller said, else the one they call from. The due time: the
  // caller's wish ("morgen vormittag": its start; not in the past), else the default delay.
  // A platform's retry (same call, number and reason) finds the first request; a call that has
  // noted max_per_call requests notes no more (AlreadyNoted). Reads only this call's requests.
  Result<CallbackOutcome> Request(const CallContext& ctx, const CallbackWish& wish);

 private:
  CallbackSettings settings_;
  CallbackRequestRepository& callbacks_;
  const Clock& clock_;
};

}  // namespace callgate::booking
