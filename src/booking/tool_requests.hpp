#pragma once
// The typed arguments of the agent's tools, as the booking use cases read them. The agent
// module parses the platforms' JSON into these (agent/tool_args.hpp); booking never sees raw
// JSON arguments. Text fields are trimmed and empty when the caller did not say them.

#include <optional>
#include <string>

namespace callgate::booking {

// Which service: by the caller's words or by its id (the id wins when both are given).
struct ServiceChoice {
  std::string name;  // "Erstberatung", as said
  std::string id;    // "12", as the agent got it from list-services
};

// A wished date and time, as said ("morgen", "halb drei").
struct SlotWish {
  ServiceChoice service;
  std::string date;
  std::string time;
};

struct AlternativesRequest {
  SlotWish wish;
  std::optional<int> count;  // how many alternatives; the service's default when absent
};

// What the caller says about themselves. A phone number said is a contact number only.
struct ContactDetails {
  std::string name;
  std::string email;
  std::string phone;
};

struct AppointmentRequest {
  SlotWish wish;
  ContactDetails contact;
  std::string notes;
  bool confirm = false;  // collect-appointment-data: book now (else check and summarise)
};

// Which of the caller's own appointments: by id, or by its day when there are several.
struct AppointmentChoice {
  std::string id;
  std::string date;
};

struct CancelRequest {
  AppointmentChoice appointment;
  std::string reason;
  ContactDetails contact;  // for the callback request when the caller's number is withheld
};

struct RescheduleRequest {
  AppointmentChoice appointment;
  std::string new_date;
  std::string new_time;
  bool confirm = false;
};

// A wish to be called back: what about, when (as said), and a number when not the calling one.
struct CallbackWish {
  ContactDetails contact;
  std::string topic;  // "Frage zur Rechnung", as said
  std::string when;   // "morgen vormittag", as said; empty: as soon as possible
};

}  // namespace callgate::booking
