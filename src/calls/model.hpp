#pragma once
// The call domain: what Retell reports about a call, and the call record callgate keeps.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "tenancy/model.hpp"

namespace callgate::calls {

using CallId = tenancy::Id<struct CallTag>;

// What the voice platform reports about a call at one moment (a webhook's or a function call's
// call object). Fields the platform did not send are empty.
struct CallSnapshot {
  std::string platform = "retell";  // the voice platform that reported it: retell | vapi
  std::string call_id;
  std::string agent_id;
  std::string call_type;    // "phone_call" | "web_call" | "" (not reported or not documented)
  std::string call_status;  // registered, not_connected, ongoing, ended, error
  std::string direction;    // inbound | outbound
  std::string from_number;  // as sent; "" or "anonymous" when withheld
  std::string to_number;
  std::optional<long long> start_timestamp_ms;
  std::optional<long long> end_timestamp_ms;
  std::optional<long long> duration_ms;
  std::optional<std::string> transcript;
  std::optional<std::string> transcript_object_json;
  std::optional<std::string> recording_url;
  std::optional<std::string> disconnection_reason;
  std::optional<std::string> metadata_json;
  std::optional<std::string> dynamic_variables_json;
  std::optional<double> combined_cost_cents;  // call_cost.combined_cost (cents, float)
  std::optional<std::string> call_analysis_json;
  std::optional<std::string> summary;
  std::optional<std::string> user_sentiment;
  std::optional<bool> call_successful;
  std::optional<bool> in_voicemail;
};

// A platform's call id is far shorter; a longer one is no call's id and is refused unread.
inline constexpr std::size_t kMaxCallIdLength = 128;

// A caller number identifies a caller only when the telephone network delivered it: on a call
// the platform reports as "phone_call". A web call's "caller number" (Vapi's
// call.customer.number on a webCall or a websocket call) is whatever the page or client that
// started the call said, and a call of a type the platform did not report, or of one not
// documented, is treated the same way: such a number must never identify a caller, reveal a
// customer or link one. Every platform parser ends with this, so no later step (the stored
// call, the call context, the inbound answer) sees such a number.
inline constexpr std::string_view kPhoneCall = "phone_call";
inline constexpr std::string_view kWebCall = "web_call";
inline void ForgetUnverifiedCaller(CallSnapshot& call) {
  if (call.call_type != kPhoneCall) call.from_number.clear();
}

// Money derived from a call, all in euro cents.
struct CallCosts {
  std::int64_t base_cost_cents = 0;      // what the platform pays Retell
  std::int64_t reseller_cost_cents = 0;  // what a reseller pays the platform (0 without one)
  std::int64_t customer_cost_cents = 0;  // what the company pays
  std::int64_t platform_profit_cents = 0;
  std::int64_t reseller_profit_cents = 0;
  std::int64_t total_profit_cents = 0;
  std::int64_t billed_minutes = 0;  // started minutes beyond the included ones
};

// The stored call record.
struct Call {
  CallId id;
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  std::optional<tenancy::PhoneNumberId> phone_number_id;
  std::optional<tenancy::CustomerId> customer_id;
  std::string retell_call_id;       // the platform's call id
  std::string platform = "retell";  // retell | vapi
  std::string agent_id;
  std::string direction = "inbound";
  std::string from_number;
  std::string to_number;
  std::string status = "registered";
  std::optional<SystemTimePoint> started_at;
  std::optional<SystemTimePoint> ended_at;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> disconnection_reason;
  std::optional<std::string> transcript;
  std::optional<std::string> transcript_object_json;
  std::optional<std::string> recording_url;
  std::optional<std::string> summary;
  std::optional<std::string> sentiment;
  std::optional<bool> call_successful;
  std::optional<std::string> analysis_json;
  std::optional<std::string> metadata_json;
  std::optional<std::int64_t> retell_cost_cents;
  std::optional<CallCosts> costs;  // set by the analysis job
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// A write to a call record from one event. Empty fields keep their stored value. The status
// only moves forward (registered → ongoing → ended/not_connected/error).
struct CallUpdate {
  std::string retell_call_id;
  std::optional<std::string> platform;  // "retell" when a new call leaves it empty
  std::optional<tenancy::BranchId> branch_id;
  std::optional<tenancy::PhoneNumberId> phone_number_id;
  std::optional<tenancy::CustomerId> customer_id;
  // The caller's number in E.164: without a customer_id, the call is linked to the company's
  // customer with this number, if there is one (found by the upsert itself, no extra query).
  std::optional<std::string> caller_e164;
  std::optional<std::string> agent_id;
  std::optional<std::string> direction;
  std::optional<std::string> from_number;
  std::optional<std::string> to_number;
  std::optional<std::string> status;
  std::optional<SystemTimePoint> started_at;
  std::optional<SystemTimePoint> ended_at;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> disconnection_reason;
  // Applied only while the call has not ended (live transcripts never replace the final one),
  // unless `final_transcript` is set.
  std::optional<std::string> transcript;
  bool final_transcript = false;
  std::optional<std::string> transcript_object_json;
  std::optional<std::string> recording_url;
  std::optional<std::string> summary;
  std::optional<std::string> sentiment;
  std::optional<bool> call_successful;
  std::optional<std::string> analysis_json;
  std::optional<std::string> metadata_json;
  std::optional<std::int64_t> retell_cost_cents;
};

// Rank of a call status for forward-only merging: registered 0, ongoing 1, terminal 2.
int CallStatusRank(std::string_view status) noexcept;

}  // namespace callgate::calls
