#pragma once
// Booking's settings (from the environment, see app/config.hpp) and the calendar account a
// company's requests go out with.

#include <string>

#include "booking/calendar_provider.hpp"
#include "core/secret.hpp"
#include "tenancy/model.hpp"

namespace callgate::booking {

struct BookingSettings {
  Secret platform_calcom_key;
  std::string calcom_base_url = "https://api.cal.com/v2";
  std::string phone_region = "DE";
  int max_alternatives = 3;
  int max_listed_slots = 6;
  // Cal.com wants an attendee e-mail on some deployments; callers rarely give one. When set,
  // "<digits of phone>@<domain>" is sent instead.
  std::string placeholder_email_domain = "callgate.invalid";
};

// The company's own Cal.com key, else the platform's.
inline CalendarAccount CalendarAccountFor(const tenancy::Company& company,
                                          const BookingSettings& settings) {
  CalendarAccount account;
  account.api_key =
      company.calcom_api_key.empty() ? settings.platform_calcom_key : company.calcom_api_key;
  account.base_url = settings.calcom_base_url;
  return account;
}

}  // namespace callgate::booking
