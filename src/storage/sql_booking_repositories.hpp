#pragma once
// SOCI implementations of the booking ports (booking/repositories.hpp).

#include "booking/repositories.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"

namespace callgate::storage {

class SqlAppointmentRepository final : public booking::AppointmentRepository {
 public:
  SqlAppointmentRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<booking::Appointment> Create(tenancy::CompanyId company_id,
                                      const booking::Appointment& appointment) override;
  Result<booking::Appointment> Update(tenancy::CompanyId company_id,
                                      const booking::Appointment& a) override;
  Result<booking::Appointment> FindById(tenancy::CompanyId company_id,
                                        booking::AppointmentId id) override;
  Result<booking::Appointment> LockById(tenancy::CompanyId company_id,
                                        booking::AppointmentId id) override;
  Result<booking::Appointment> FindByIdempotencyKey(tenancy::CompanyId company_id,
                                                    std::string_view key) override;
  Result<booking::Appointment> FindByCalcomUid(tenancy::CompanyId company_id,
                                               std::string_view uid) override;
  Result<booking::Appointment> ResolveByCalcomUid(std::string_view uid) override;
  Result<std::vector<booking::Appointment>> ListUpcomingForCustomer(tenancy::CompanyId company_id,
                                                                    tenancy::CustomerId customer_id,
                                                                    SystemTimePoint from) override;
  Result<std::vector<booking::Appointment>> ListUpcomingRejectedForCustomer(
      tenancy::CompanyId company_id, tenancy::CustomerId customer_id,
      SystemTimePoint from) override;
  Result<booking::HeldAppointments> HeldSince(SystemTimePoint created_before, int listed) override;
  Result<int> CountChanges(tenancy::CompanyId company_id, tenancy::CustomerId customer_id,
                           std::string_view status, SystemTimePoint from,
                           SystemTimePoint to) override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlCallbackRequestRepository final : public booking::CallbackRequestRepository {
 public:
  SqlCallbackRequestRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}
  Result<booking::CallbackRequest> Create(tenancy::CompanyId company_id,
                                          const booking::CallbackRequest& request) override;
  Result<std::vector<booking::CallbackRequest>> ListOpen(tenancy::CompanyId company_id) override;
  Result<std::vector<booking::CallbackRequest>> ListForCall(tenancy::CompanyId company_id,
                                                            calls::CallId call_id) override;
  Result<std::vector<booking::CallbackRequest>> List(tenancy::CompanyId company_id,
                                                     const booking::CallbackQuery& query) override;
  Result<booking::CallbackRequest> FindById(tenancy::CompanyId company_id,
                                            booking::CallbackRequestId id) override;
  Result<booking::CallbackRequest> SetStatus(tenancy::CompanyId company_id,
                                             booking::CallbackRequestId id, std::string_view from,
                                             std::string_view to) override;
  Result<std::vector<booking::CallbackRequest>> ListOpenDueUntil(SystemTimePoint until,
                                                                 int limit) override;
  Result<std::vector<booking::OpenCallbackCount>> CountOpen(
      std::optional<tenancy::CompanyId> company_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

}  // namespace callgate::storage
