#include "booking/call_context.hpp"

#include "core/phone.hpp"

namespace callgate::booking {

namespace {

Error UnknownCall() { return Error{ErrorCode::kNotFound, "unknown call"}; }

}  // namespace

Result<CallContext> CallContextResolver::Resolve(
    std::string_view call_id, const std::optional<calls::CallSnapshot>& snapshot,
    std::optional<tenancy::CompanyId> required_company) {
  // An id no call can have (empty, longer than any platform's) is an unknown call, on every
  // platform: nothing is looked up and nothing is created.
  if (call_id.empty() || call_id.size() > calls::kMaxCallIdLength)
    return tl::unexpected(UnknownCall());
  const auto now = clock_.Steady();
  const std::string key(call_id);
  // The number the function call says was dialled, when it names one, is a number of the
  // call's company: another company's call id sent with this company's number (or the
  // reverse) opens nothing. Checked once per number and call: the call's later function calls
  // name the same number and are answered from the cache, also while the database is away.
  const bool names_line =
      snapshot && snapshot->call_type != calls::kWebCall && !snapshot->to_number.empty();
  std::optional<CallContext> cached;
  std::uint64_t cached_generation = tenancy::TenancyCache::kNoGeneration;
  bool checked_number = false;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) {
      if (required_company && it->second.context.company.id != *required_company) {
        return tl::unexpected(UnknownCall());
      }
      cached = it->second.context;
      cached_generation = it->second.generation;
      checked_number = !names_line || it->second.dialled == snapshot->to_number;
    }
  }
  if (cached && checked_number) return Current(key, std::move(*cached), cached_generation);
  std::optional<tenancy::CompanyId> dialled_company;
  if (names_line) {
    auto tenant = tenants_.FindByDialledNumber(snapshot->to_number, required_company);
    if (!tenant) {
      if (tenant.error().code == ErrorCode::kNotFound) return tl::unexpected(UnknownCall());
      return tl::unexpected(tenant.error());
    }
    dialled_company = tenant->company.id;
  }
  if (cached) {
    if (cached->company.id != *dialled_company) return tl::unexpected(UnknownCall());
    {
      std::lock_guard lock(mutex_);
      if (auto it = cache_.find(key); it != cache_.end()) {
        it->second.dialled = snapshot->to_number;
      }
    }
    return Current(key, std::move(*cached), cached_generation);
  }
  const std::uint64_t generation = Generation();  // before the load: a change during it counts
  auto context = Load(call_id, snapshot, required_company);
  if (!context) return context;
  if (dialled_company && context->company.id != *dialled_company) {
    return tl::unexpected(UnknownCall());
  }
  std::lock_guard lock(mutex_);
  if (cache_.size() > 10'000) {
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
    }
  }
  cache_[key] =
      Entry{*context, now + ttl_, names_line ? snapshot->to_number : std::string(), generation};
  return context;
}

std::uint64_t CallContextResolver::Generation() const {
  return configuration_ != nullptr ? configuration_->Generation()
                                   : tenancy::TenancyCache::kNoGeneration;
}

Result<CallContext> CallContextResolver::Current(const std::string& key, CallContext context,
                                                 std::uint64_t generation) {
  const std::uint64_t now = Generation();
  if (now == tenancy::TenancyCache::kNoGeneration || now == generation) return context;
  auto company = tenants_.FindCompany(context.company.id);
  if (!company) {
    // Deactivated since: the call ends here, as a new one would. Not readable: the cached
    // company serves (calls go on while the database is away).
    if (company.error().code != ErrorCode::kNotFound) return context;
    Forget(key);
    return tl::unexpected(company.error());
  }
  const bool company_zone = context.timezone == context.company.timezone &&
                            (!context.branch || context.branch->timezone.empty());
  context.company = std::move(*company);
  if (company_zone) context.timezone = context.company.timezone;
  std::lock_guard lock(mutex_);
  // Not over an entry that a load meanwhile stored from a newer generation.
  if (auto it = cache_.find(key); it != cache_.end() && it->second.generation <= now) {
    it->second.context.company = context.company;
    it->second.context.timezone = context.timezone;
    it->second.generation = now;
  }
  return context;
}

void CallContextResolver::RememberCustomer(std::string_view call_id,
                                           const tenancy::Customer& customer) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(std::string(call_id));
  if (it != cache_.end() && it->second.context.company.id == customer.company_id) {
    it->second.context.customer = customer;
  }
}

void CallContextResolver::Forget(std::string_view call_id) {
  std::lock_guard lock(mutex_);
  cache_.erase(std::string(call_id));
}

Result<CallContext> CallContextResolver::Load(std::string_view call_id,
                                              const std::optional<calls::CallSnapshot>& snapshot,
                                              std::optional<tenancy::CompanyId> required_company) {
  auto call = calls_.ResolveByRetellId(call_id);
  if (!call && call.error().code == ErrorCode::kNotFound && snapshot &&
      !snapshot->to_number.empty()) {
    // The function call came before the call_started webhook: create the call record now.
    // Another company's number on a company URL is not found: nothing is created.
    auto tenant = tenants_.FindByDialledNumber(snapshot->to_number, required_company);
    if (!tenant) {
      if (tenant.error().code == ErrorCode::kNotFound) return tl::unexpected(UnknownCall());
      return tl::unexpected(tenant.error());
    }
    calls::CallUpdate u;
    u.retell_call_id = std::string(call_id);
    if (tenant->branch) u.branch_id = tenant->branch->id;
    if (tenant->number) u.phone_number_id = tenant->number->id;
    if (!snapshot->agent_id.empty()) u.agent_id = snapshot->agent_id;
    u.from_number = snapshot->from_number;
    u.to_number = snapshot->to_number;
    u.status = "ongoing";
    u.platform = snapshot->platform;
    call = calls_.Upsert(tenant->company.id, u);
  }
  if (!call) {
    if (call.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound, "unknown call");
    }
    return tl::unexpected(call.error());
  }
  if (required_company && call->company_id != *required_company) {
    return tl::unexpected(UnknownCall());
  }
  auto company = tenants_.FindCompany(call->company_id);
  if (!company) return tl::unexpected(company.error());
  CallContext ctx;
  ctx.company = std::move(*company);
  ctx.timezone = ctx.company.timezone;
  if (call->branch_id) {
    auto branch = branches_.FindById(ctx.company.id, *call->branch_id);
    if (branch) {
      ctx.branch = std::move(*branch);
      if (!ctx.branch->timezone.empty()) ctx.timezone = ctx.branch->timezone;
    }
  }
  if (!IsWithheldNumber(call->from_number)) {
    if (auto e164 = NormalizeE164(call->from_number, phone_region_)) ctx.caller_e164 = *e164;
  }
  if (call->customer_id) {
    if (auto c = customers_.FindById(ctx.company.id, *call->customer_id)) ctx.customer = *c;
  }
  if (!ctx.customer && !ctx.caller_e164.empty()) {
    if (auto c = customers_.FindByPhone(ctx.company.id, ctx.caller_e164)) ctx.customer = *c;
  }
  ctx.call = std::move(*call);
  return ctx;
}

}  // namespace callgate::booking
