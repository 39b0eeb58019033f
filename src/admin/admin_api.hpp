#pragma once
// AdminApi: the handlers of the admin API under /api/admin/ and of quick availability
// (docs/admin-api.md has every endpoint, role and field allowlist). The route table itself is in
// app/application.cpp; every route there carries AdminTokenGuard.
//
// Rules every handler follows:
//  - Company scoping (BOLA): a company admin or viewer reaches only their own company; any other
//    company id — existing or not — answers 404, never 403, so ids do not leak. Resources are
//    read through repositories that take the company id, so a branch id of another company is
//    404 as well.
//  - Viewers are read-only (403 on writes to their own company). Platform admins reach every
//    company.
//  - Write bodies pass an explicit allowlist (admin/request_body.hpp): unknown fields and
//    protected fields (ids, company_id, status, role, secrets, costs, timestamps) are 422 and
//    nothing is written. Secrets are never echoed: responses say "calcom_api_key_set": true.
//  - Each request bumps callgate_admin_requests_total{action,outcome} once.
//  - Audit (privacy/audit_log.hpp): every successful write and every successful read of
//    personal data (customers, calls, appointments, callback requests) appends an entry with the
//    user, company, action, target ("customer:7") and request id; export and erasure write their
//    own.

#include <functional>
#include <string>

#include "admin/admin_store.hpp"
#include "booking/booking_service.hpp"
#include "booking/callback_queue.hpp"
#include "http/middleware.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/personal_data.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::admin {

class Problems;  // admin/request_body.hpp

// An event type of a company's Cal.com account, as far as a service cares.
using AccountEventType = booking::AccountEventType;

struct AdminApiSettings {
  std::string phone_region = "DE";  // for numbers written in national format
  // The event types of a company's Cal.com account (GET /v2/event-types with its key). When
  // set, a service may name only one of them, and not a recurring one (422 otherwise); when the
  // account cannot be asked (Cal.com down) the id is accepted, the refusal of ids other
  // companies use still holds, and the booking refuses a series when it meets one.
  std::function<Result<std::vector<AccountEventType>>(const tenancy::Company&)> account_event_types;
};

class AdminApi {
 public:
  // Every reference must outlive the API.
  AdminApi(AdminApiSettings settings, tenancy::CompanyRepository& companies,
           tenancy::BranchRepository& branches, tenancy::ServiceRepository& services,
           tenancy::PhoneNumberRepository& numbers, tenancy::CustomerRepository& customers,
           AdminStore& store, booking::BookingService& booking, booking::CallbackQueue& callbacks,
           observability::Metrics& metrics, privacy::AuditLog& audit,
           privacy::PersonalData& personal_data)
      : settings_(std::move(settings)),
        companies_(companies),
        branches_(branches),
        services_(services),
        numbers_(numbers),
        customers_(customers),
        store_(store),
        booking_(booking),
        callbacks_(callbacks),
        metrics_(metrics),
        audit_(audit),
        personal_data_(personal_data) {}

  // GET /api/admin/me: the caller's user id, role and company.
  http::Response Me(http::Request& request);

  // /api/admin/companies[/{company_id}[/activate|/deactivate|/secrets]]
  http::Response ListCompanies(http::Request& request);
  http::Response CreateCompany(http::Request& request);
  http::Response GetCompany(http::Request& request);
  http::Response UpdateCompany(http::Request& request);
  http::Response SetCompanyActive(http::Request& request, bool active);
  http::Response SetCompanySecrets(http::Request& request);

  // /api/admin/companies/{company_id}/branches[/{branch_id}[/activate]]
  http::Response ListBranches(http::Request& request);
  http::Response CreateBranch(http::Request& request);
  http::Response GetBranch(http::Request& request);
  http::Response UpdateBranch(http::Request& request);
  http::Response SetBranchActive(http::Request& request, bool active);

  // /api/admin/companies/{company_id}/services[/{service_id}[/activate]]
  http::Response ListServices(http::Request& request);
  http::Response CreateService(http::Request& request);
  http::Response GetService(http::Request& request);
  http::Response UpdateService(http::Request& request);
  http::Response SetServiceActive(http::Request& request, bool active);

  // /api/admin/companies/{company_id}/phone-numbers[/{phone_number_id}]
  http::Response ListPhoneNumbers(http::Request& request);
  http::Response CreatePhoneNumber(http::Request& request);
  http::Response GetPhoneNumber(http::Request& request);
  http::Response UpdatePhoneNumber(http::Request& request);
  http::Response DeletePhoneNumber(http::Request& request);

  // /api/admin/companies/{company_id}/customers[/{customer_id}]
  http::Response ListCustomers(http::Request& request);
  http::Response CreateCustomer(http::Request& request);
  http::Response GetCustomer(http::Request& request);
  http::Response UpdateCustomer(http::Request& request);

  // GET /api/admin/companies/{company_id}/calls and /appointments?limit=&before_id=
  http::Response ListCalls(http::Request& request);
  http::Response ListAppointments(http::Request& request);

  // The callback queue (docs/admin-api.md "Callbacks"):
  // GET /api/admin/companies/{company_id}/callbacks?branch_id=&status=&limit=&after_id= — in due
  // order with the number to call, name, reason, due time, overdue time and flag; status is
  // open (default), overdue, in_progress, completed, cancelled, active or all. Audited (personal
  // data). PATCH .../callbacks/{callback_id} {"status"} — in_progress, completed, cancelled, or
  // open again from in_progress; 409 once completed or cancelled.
  http::Response ListCallbacks(http::Request& request);
  http::Response UpdateCallback(http::Request& request);

  // GET /api/availability/quick?company_id=&service_id=
  http::Response QuickAvailability(http::Request& request);

  // Access and erasure requests (docs/privacy.md), company admins and platform admins:
  // POST /api/admin/companies/{company_id}/privacy/export {"phone"} → the JSON document;
  // POST .../privacy/erase {"phone", "cancel_future"} → {"erased": report}; 409 while future
  // appointments exist without cancel_future.
  http::Response ExportPerson(http::Request& request);
  http::Response ErasePerson(http::Request& request);

  // GET /api/admin/audit-events?company_id=&action=&target=&since=&until=&limit=&before_id=:
  // newest first; company users see their own company's entries only (company_id may be
  // omitted; another company's id is 404); platform admins any company's, or all.
  http::Response ListAuditEvents(http::Request& request);

 private:
  struct Scope;
  enum class Access { kRead, kWrite };

  // The company of the route's {company_id} (or `company_id` given), as the caller may see it;
  // a ready-made error response otherwise.
  tl::expected<Scope, http::Response> Resolve(const http::Request& request, Access access,
                                              std::optional<std::int64_t> company_id = {});
  // Counts the request and, when it succeeded and is a write or a read of personal data,
  // appends its audit entry.
  http::Response Counted(std::string_view action, const http::Request& request,
                         http::Response response);
  // Adds a problem when settings_.account_event_types says the company's Cal.com account has no
  // such event type. kUnavailable when the account's event types cannot be listed now (Cal.com
  // away, its budget used up, its circuit open): an unchecked event type is never stored.
  Status CheckEventTypeInAccount(const tenancy::Company& company, const tenancy::Service& service,
                                 Problems& problems);

  AdminApiSettings settings_;
  tenancy::CompanyRepository& companies_;
  tenancy::BranchRepository& branches_;
  tenancy::ServiceRepository& services_;
  tenancy::PhoneNumberRepository& numbers_;
  tenancy::CustomerRepository& customers_;
  AdminStore& store_;
  booking::BookingService& booking_;
  booking::CallbackQueue& callbacks_;
  observability::Metrics& metrics_;
  privacy::AuditLog& audit_;
  privacy::PersonalData& personal_data_;
};

// Route guard "company_scope" for routes with a {company_id} parameter, after admin_token:
// company users whose company is not {company_id} get 404 (as for a missing company), viewers
// get 403 on anything but GET/HEAD. Platform admins pass. The handlers check again.
http::MiddlewarePtr CompanyScopeGuard();

}  // namespace callgate::admin
