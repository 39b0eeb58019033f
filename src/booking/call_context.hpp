#pragma once
// CallContext: who is calling whom, for the agent's function calls. Built from the call record
// the webhooks created (or, if the function call comes first, created now from the dialled
// number), and cached for the call's life so each function call costs no extra lookups.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "booking/calendar_provider.hpp"
#include "calls/model.hpp"
#include "calls/repositories.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "tenancy/cached_repositories.hpp"
#include "tenancy/model.hpp"
#include "tenancy/repositories.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::booking {

struct CallContext {
  tenancy::Company company;
  std::optional<tenancy::Branch> branch;
  std::optional<tenancy::Customer> customer;
  calls::Call call;
  std::string caller_e164;                // empty when the number was withheld or invalid
  std::string timezone;                   // the branch's zone, else the company's
  Channel channel = Channel::kPhoneLine;  // who asks (the calendar account carries it on)

  bool CallerWithheld() const { return caller_e164.empty(); }
};

class CallContextResolver {
 public:
  CallContextResolver(tenancy::TenantDirectory& tenants, tenancy::BranchRepository& branches,
                      tenancy::CustomerRepository& customers, calls::CallRepository& calls,
                      const Clock& clock, std::string phone_region = "DE",
                      std::chrono::minutes ttl = std::chrono::minutes(120))
      : tenants_(tenants),
        branches_(branches),
        customers_(customers),
        calls_(calls),
        clock_(clock),
        phone_region_(std::move(phone_region)),
        ttl_(ttl) {}

  // The context of Retell call `call_id`. `snapshot` is the call object of the function call
  // when Retell sent one; it lets a call that no webhook announced yet be created from its
  // dialled number. kNotFound when the call is unknown and cannot be created (no or an
  // unregistered number, or an id no call can have: empty or over calls::kMaxCallIdLength bytes).
  // With `required_company` (a company URL, SPEC §4) the call — found, cached or about to be
  // created from its dialled number — must belong to that company, else kNotFound and nothing is
  // created. Likewise, when `snapshot` is a phone call naming its dialled number, the call must
  // belong to that number's company (an unregistered number opens no call), as the call's
  // webhooks find its company. Thread-safe.
  Result<CallContext> Resolve(std::string_view call_id,
                              const std::optional<calls::CallSnapshot>& snapshot,
                              std::optional<tenancy::CompanyId> required_company = std::nullopt);

  // Records that the caller is now known as `customer` (after collect-customer-info or a
  // booking), so later function calls of this call see it.
  void RememberCustomer(std::string_view call_id, const tenancy::Customer& customer);

  // Drops the cached context (it is loaded again on next use).
  void Forget(std::string_view call_id);

  // The tenant configuration's generation (tenancy::TenancyCache). With it, a cached context
  // whose company changed since it was cached (a rotated or removed Cal.com key, new hours,
  // deactivation) takes the company as it is now on its next function call, on every instance
  // within the cache's refresh; while the configuration cannot be read, the cached company
  // serves. Without it a context keeps the company it was loaded with.
  void FollowConfiguration(tenancy::TenancyCache* configuration) { configuration_ = configuration; }

 private:
  Result<CallContext> Load(std::string_view call_id,
                           const std::optional<calls::CallSnapshot>& snapshot,
                           std::optional<tenancy::CompanyId> required_company);
  // The configuration's generation now; kNoGeneration without one or while it cannot be read.
  std::uint64_t Generation() const;
  // A cached context brought up to the configuration's `generation` (see FollowConfiguration).
  Result<CallContext> Current(const std::string& key, CallContext context,
                              std::uint64_t generation);

  struct Entry {
    CallContext context;
    SteadyTimePoint expires;
    std::string dialled;  // the dialled number found to be the context's company's, as sent
    std::uint64_t generation = tenancy::TenancyCache::kNoGeneration;  // of its company
  };

  tenancy::TenantDirectory& tenants_;
  tenancy::BranchRepository& branches_;
  tenancy::CustomerRepository& customers_;
  calls::CallRepository& calls_;
  const Clock& clock_;
  std::string phone_region_;
  std::chrono::minutes ttl_;
  tenancy::TenancyCache* configuration_ = nullptr;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace callgate::booking
