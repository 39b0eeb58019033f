#pragma once
// Tenant configuration held in memory: companies, branches, services and phone numbers change
// rarely (an admin edits them) but are read on every webhook and function call. The Cached*
// repositories wrap the SQL ones and answer the hot reads from memory; every other method passes
// through.
//
// Invalidation works across instances through a version counter in the database
// (ConfigVersionSource; storage bumps it by trigger on every change to those tables, from any
// instance, the CLI or plain SQL). TenancyCache re-reads it at most once per `refresh` and drops
// every cached answer when it moved, so a change made anywhere is seen by every instance within
// `refresh` (docs/performance.md). A write through these repositories, and Invalidate() (the admin
// API calls it after every change it made), drops the cache of this instance at once.
//
// If the version cannot be read (database down), nothing is served from memory: reads go to the
// repositories underneath and fail as they would without the cache. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "tenancy/model.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::tenancy {

// The database's version of the tenant configuration: any change to companies, branches,
// services or phone numbers makes it larger.
class ConfigVersionSource {
 public:
  virtual ~ConfigVersionSource() = default;
  virtual Result<std::int64_t> Current() = 0;
};

struct TenancyCacheSettings {
  // How old the knowledge of the database's version may be; the bound for a change made by
  // another instance. Zero checks on every read (no benefit from memory on PostgreSQL).
  std::chrono::milliseconds refresh{1000};
  // Entries per kind of lookup; a full table is dropped as a whole (unknown numbers dialled by a
  // flood cannot grow memory without bound).
  std::size_t max_entries = 20'000;
};

class TenancyCache {
 public:
  TenancyCache(TenancyCacheSettings settings, ConfigVersionSource& versions, const Clock& clock)
      : settings_(settings), versions_(versions), clock_(clock) {}

  // The generation answers may be kept for: it changes whenever the database's version moved
  // (checked at most once per refresh) or Invalidate() was called. kNoGeneration while the
  // version cannot be read: then nothing may be served from memory.
  static constexpr std::uint64_t kNoGeneration = 0;
  std::uint64_t Generation();

  // Drops every cached answer of this instance now (after a change this instance made).
  void Invalidate();

  const TenancyCacheSettings& settings() const { return settings_; }

 private:
  TenancyCacheSettings settings_;
  ConfigVersionSource& versions_;
  const Clock& clock_;
  std::mutex check_mutex_;
  std::atomic<std::int64_t> next_check_ns_{0};  // steady clock; 0 = check on the next read
  std::atomic<std::uint64_t> generation_{kNoGeneration};
  std::atomic<std::uint64_t> counter_{0};
  std::int64_t known_version_ = -1;  // under check_mutex_
};

// A map of answers that are valid for one generation of a TenancyCache.
template <typename Value>
class GenerationMap {
 public:
  explicit GenerationMap(TenancyCache& cache) : cache_(cache) {}

  // The cached answer for `key`, else `load()`'s, kept when it is a value or kNotFound.
  template <typename Load>
  Result<Value> Get(const std::string& key, Load&& load) {
    const std::uint64_t generation = cache_.Generation();
    if (generation != TenancyCache::kNoGeneration) {
      std::lock_guard lock(mutex_);
      if (generation_ == generation) {
        if (auto it = entries_.find(key); it != entries_.end()) return it->second;
      }
    }
    Result<Value> loaded = load();
    if (generation == TenancyCache::kNoGeneration) return loaded;
    if (!loaded && loaded.error().code != ErrorCode::kNotFound) return loaded;
    std::lock_guard lock(mutex_);
    if (generation_ != generation) {
      // Answers of an older generation are dropped; one loaded under an older generation than
      // the map holds now is not stored.
      if (generation < generation_) return loaded;
      entries_.clear();
      generation_ = generation;
    }
    if (entries_.size() >= cache_.settings().max_entries) entries_.clear();
    entries_.insert_or_assign(key, loaded);
    return loaded;
  }

 private:
  TenancyCache& cache_;
  std::mutex mutex_;
  std::uint64_t generation_ = TenancyCache::kNoGeneration;
  std::unordered_map<std::string, Result<Value>> entries_;
};

class CachedCompanyRepository final : public CompanyRepository {
 public:
  CachedCompanyRepository(CompanyRepository& inner, TenancyCache& cache)
      : inner_(inner), cache_(cache), by_id_(cache), by_slug_(cache) {}

  Result<Company> Create(const Company& company) override;
  Result<Company> Update(CompanyId id, const Change<Company>& change) override;
  Result<Company> FindById(CompanyId id) override;
  Result<Company> FindBySlug(std::string_view slug) override;
  Result<std::vector<Company>> List() override { return inner_.List(); }

 private:
  CompanyRepository& inner_;
  TenancyCache& cache_;
  GenerationMap<Company> by_id_;
  GenerationMap<Company> by_slug_;  // the /c/{slug} routes' signature guards
};

class CachedBranchRepository final : public BranchRepository {
 public:
  CachedBranchRepository(BranchRepository& inner, TenancyCache& cache)
      : inner_(inner), cache_(cache), by_id_(cache), by_company_(cache) {}

  Result<Branch> Create(CompanyId company_id, const Branch& branch) override;
  Result<Branch> Update(CompanyId company_id, BranchId id, const Change<Branch>& change) override;
  Result<Branch> FindById(CompanyId company_id, BranchId id) override;
  Result<Branch> FindByName(CompanyId company_id, std::string_view name) override {
    return inner_.FindByName(company_id, name);
  }
  Result<std::vector<Branch>> ListForCompany(CompanyId company_id) override;

 private:
  BranchRepository& inner_;
  TenancyCache& cache_;
  GenerationMap<Branch> by_id_;
  GenerationMap<std::vector<Branch>> by_company_;
};

class CachedServiceRepository final : public ServiceRepository {
 public:
  CachedServiceRepository(ServiceRepository& inner, TenancyCache& cache)
      : inner_(inner), cache_(cache), by_id_(cache), by_branch_(cache), by_event_type_(cache) {}

  Result<Service> Create(CompanyId company_id, const Service& service) override;
  Result<Service> Update(CompanyId company_id, ServiceId id,
                         const Change<Service>& change) override;
  Result<Service> FindById(CompanyId company_id, ServiceId id) override;
  Result<std::vector<Service>> ListForCompany(CompanyId company_id) override {
    return inner_.ListForCompany(company_id);
  }
  Result<std::vector<Service>> ListForBranch(CompanyId company_id, BranchId branch_id) override;
  Result<std::vector<Service>> ListByCalcomEventType(std::int64_t event_type_id) override;

 private:
  ServiceRepository& inner_;
  TenancyCache& cache_;
  GenerationMap<Service> by_id_;
  GenerationMap<std::vector<Service>> by_branch_;
  GenerationMap<std::vector<Service>> by_event_type_;
};

class CachedPhoneNumberRepository final : public PhoneNumberRepository {
 public:
  CachedPhoneNumberRepository(PhoneNumberRepository& inner, TenancyCache& cache)
      : inner_(inner), cache_(cache), by_number_(cache), by_agent_(cache) {}

  Result<PhoneNumber> Create(CompanyId company_id, const PhoneNumber& number) override;
  Result<PhoneNumber> FindByNumber(std::string_view number_e164) override;
  Result<std::vector<PhoneNumber>> FindByAgentId(std::string_view retell_agent_id) override;
  Result<PhoneNumber> FindById(CompanyId company_id, PhoneNumberId id) override {
    return inner_.FindById(company_id, id);
  }
  Result<std::vector<PhoneNumber>> ListForCompany(CompanyId company_id) override {
    return inner_.ListForCompany(company_id);
  }

 private:
  PhoneNumberRepository& inner_;
  TenancyCache& cache_;
  GenerationMap<PhoneNumber> by_number_;
  GenerationMap<std::vector<PhoneNumber>> by_agent_;
};

}  // namespace callgate::tenancy
