#include "calcom/wire.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/numbers.hpp"
#include "core/text.hpp"
#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxQuotedMessage = 300;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json ParseJson(std::string_view body) {
  return json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
}

std::string StringField(const json& object, const char* name) {
  if (!object.is_object()) return {};
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<std::int64_t> IntField(const json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) return Int64FromUnsigned(it->get<std::uint64_t>());
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) return Int64FromDouble(it->get<double>());
  return std::nullopt;
}

// The envelope's `data`, or an error saying why there is none.
Result<json> SuccessData(const json& doc) {
  if (doc.is_discarded()) return Fail(ErrorCode::kInternal, "cal.com answered with invalid JSON");
  if (!doc.is_object()) return Fail(ErrorCode::kInternal, "cal.com answer is not a JSON object");
  if (auto status = doc.find("status");
      status != doc.end() && (!status->is_string() || status->get<std::string>() != "success")) {
    return Fail(ErrorCode::kInternal, "cal.com answer status is not \"success\"");
  }
  auto data = doc.find("data");
  if (data == doc.end()) return Fail(ErrorCode::kInternal, "cal.com answer has no data");
  return *data;
}

Result<json> SuccessData(std::string_view body) { return SuccessData(ParseJson(body)); }

std::string ValueAsString(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  return value.dump();
}

Result<booking::Booking> BookingFromJson(const json& data) {
  if (!data.is_object()) return Fail(ErrorCode::kInternal, "cal.com booking is not an object");
  booking::Booking b;
  b.id = IntField(data, "id").value_or(0);
  b.uid = StringField(data, "uid");
  if (b.uid.empty()) return Fail(ErrorCode::kInternal, "cal.com booking has no uid");
  b.status = Lower(StringField(data, "status"));
  b.seat_uid = StringField(data, "seatUid");
  auto start = ParseIso8601(StringField(data, "start"));
  auto end = ParseIso8601(StringField(data, "end"));
  if (!start || !end) return Fail(ErrorCode::kInternal, "cal.com booking has no valid start/end");
  b.start = *start;
  b.end = *end;
  if (auto id = IntField(data, "eventTypeId")) {
    b.event_type_id = *id;
  } else if (auto et = data.find("eventType"); et != data.end()) {
    b.event_type_id = IntField(*et, "id").value_or(0);
  }
  b.rescheduled_from_uid = StringField(data, "rescheduledFromUid");
  if (auto md = data.find("metadata"); md != data.end() && md->is_object()) {
    for (auto it = md->begin(); it != md->end(); ++it) b.metadata[it.key()] = ValueAsString(*it);
  }
  if (auto attendees = data.find("attendees"); attendees != data.end() && attendees->is_array()) {
    for (const auto& a : *attendees) {
      b.attendee_names.push_back(StringField(a, "name"));
      b.attendee_emails.push_back(StringField(a, "email"));
    }
  }
  return b;
}

Result<EventType> EventTypeFromJson(const json& e) {
  if (!e.is_object()) return Fail(ErrorCode::kInternal, "cal.com event type is not an object");
  EventType out;
  out.id = IntField(e, "id").value_or(0);
  if (out.id == 0) return Fail(ErrorCode::kInternal, "cal.com event type has no id");
  out.length_minutes =
      static_cast<int>(IntField(e, "lengthInMinutes").value_or(IntField(e, "length").value_or(0)));
  out.title = StringField(e, "title");
  out.slug = StringField(e, "slug");
  out.description = StringField(e, "description");
  out.minimum_booking_notice_minutes =
      static_cast<int>(IntField(e, "minimumBookingNotice").value_or(0));
  if (auto options = e.find("lengthInMinutesOptions"); options != e.end() && options->is_array()) {
    for (const auto& o : *options) {
      if (o.is_number_integer() && o.get<std::int64_t>() > 0 && o.get<std::int64_t>() <= 24 * 60) {
        out.length_options.push_back(static_cast<int>(o.get<std::int64_t>()));
      }
    }
  }
  // `recurrence` (2024-06-14): null, {"disabled": true}, or {interval, occurrences, frequency}.
  // Older answers carry `recurringEvent` {freq, count, interval}; both are read.
  for (const char* key : {"recurrence", "recurringEvent"}) {
    auto r = e.find(key);
    if (r == e.end() || !r->is_object() || r->empty()) continue;
    if (auto disabled = r->find("disabled");
        disabled != r->end() && disabled->is_boolean() && disabled->get<bool>()) {
      continue;
    }
    out.recurring = true;
    out.recurrence_occurrences = static_cast<int>(std::clamp<std::int64_t>(
        IntField(*r, "occurrences").value_or(IntField(*r, "count").value_or(0)), 0, 10000));
    break;
  }
  return out;
}

}  // namespace

bool IsSlotTakenMessage(std::string_view message) {
  const std::string m = Lower(message);
  return m.find("already has booking at this time or is not available") != std::string::npos ||
         m.find("no_available_users_found") != std::string::npos;
}

Error ClassifyErrorResponse(std::string_view endpoint, int status, std::string_view body) {
  std::string code;
  std::string message;
  const json doc = ParseJson(body);
  if (doc.is_object()) {
    if (auto err = doc.find("error"); err != doc.end() && err->is_object()) {
      code = StringField(*err, "code");
      message = StringField(*err, "message");
    }
    if (message.empty()) {
      if (auto m = doc.find("message"); m != doc.end()) {
        if (m->is_string()) {
          message = m->get<std::string>();
        } else if (m->is_array()) {  // class-validator lists every violated constraint
          for (const auto& part : *m)
            message += (message.empty() ? "" : "; ") + ValueAsString(part);
        }
      }
    }
  }
  ErrorCode ec = ErrorCode::kInternal;
  if (status == 409) {
    ec = ErrorCode::kConflict;
  } else if (status == 400) {
    ec = IsSlotTakenMessage(message) ? ErrorCode::kConflict : ErrorCode::kInvalidArgument;
  } else if (status == 401 || status == 403) {
    ec = ErrorCode::kUnauthenticated;
  } else if (status == 404) {
    ec = ErrorCode::kNotFound;
  } else if (status == 408) {
    ec = ErrorCode::kTimeout;
  } else if (status == 429) {
    ec = ErrorCode::kRateLimited;
  } else if (status >= 500 && status <= 599) {
    ec = ErrorCode::kUnavailable;
  } else if (status >= 400 && status <= 499) {
    ec = ErrorCode::kInvalidArgument;
  }
  std::string text = "cal.com " + std::string(endpoint) + " answered " + std::to_string(status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) {
    if (message.size() > kMaxQuotedMessage)
      message = std::string(Utf8Prefix(message, kMaxQuotedMessage)) + "…";
    text += ": " + message;
  } else if (doc.is_discarded() && !body.empty()) {
    text += " (body is not JSON)";
  }
  return Error{ec, std::move(text)};
}

std::string Redact(std::string text, const Secret& secret) {
  const std::string& value = secret.Reveal();
  if (value.empty()) return text;
  for (std::size_t pos = text.find(value); pos != std::string::npos;
       pos = text.find(value, pos + 3)) {
    text.replace(pos, value.size(), "***");
  }
  return text;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

Result<std::vector<booking::Slot>> ParseSlotsResponse(std::string_view body, SystemTimePoint from,
                                                      SystemTimePoint to,
                                                      std::optional<int> duration_minutes) {
  auto data = SuccessData(body);
  if (!data) return tl::unexpected(data.error());
  const json* days = &*data;
  // The pre-2024-09-04 shape nests the days under "slots"; a date key can never be "slots".
  if (auto nested = days->find("slots");
      days->is_object() && nested != days->end() && nested->is_object()) {
    days = &*nested;
  }
  if (!days->is_object()) return Fail(ErrorCode::kInternal, "cal.com slots data is not an object");
  std::vector<booking::Slot> slots;
  for (auto day = days->begin(); day != days->end(); ++day) {
    if (!day->is_array()) return Fail(ErrorCode::kInternal, "cal.com slots day is not a list");
    for (const auto& entry : *day) {
      std::string start_text;
      std::string end_text;
      if (entry.is_string()) {
        start_text = entry.get<std::string>();
      } else if (entry.is_object()) {
        start_text = StringField(entry, "start");
        if (start_text.empty()) start_text = StringField(entry, "time");
        end_text = StringField(entry, "end");
      }
      auto start = ParseIso8601(start_text);
      if (!start) return Fail(ErrorCode::kInternal, "cal.com slot has no valid start");
      booking::Slot slot{*start, *start};
      if (!end_text.empty()) {
        auto end = ParseIso8601(end_text);
        if (!end) return Fail(ErrorCode::kInternal, "cal.com slot has an invalid end");
        slot.end = *end;
      } else if (duration_minutes) {
        slot.end = *start + std::chrono::minutes(*duration_minutes);
      }
      if (slot.start >= from && slot.start < to) slots.push_back(slot);
    }
  }
  std::sort(slots.begin(), slots.end(),
            [](const booking::Slot& a, const booking::Slot& b) { return a.start < b.start; });
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  return slots;
}

Result<booking::Booking> ParseBookingResponse(std::string_view body) {
  auto data = SuccessData(body);
  if (!data) return tl::unexpected(data.error());
  if (data->is_array()) {
    if (data->empty()) return Fail(ErrorCode::kInternal, "cal.com answered no booking");
    auto first = BookingFromJson(data->front());
    if (first) first->occurrences = static_cast<int>(data->size());
    return first;
  }
  return BookingFromJson(*data);
}

Result<BookingPage> ParseBookingListResponse(std::string_view body) {
  const json doc = ParseJson(body);
  auto data = SuccessData(doc);
  if (!data) return tl::unexpected(data.error());
  if (!data->is_array()) return Fail(ErrorCode::kInternal, "cal.com bookings data is not a list");
  BookingPage page;
  for (const auto& item : *data) {
    auto b = BookingFromJson(item);
    if (!b) return tl::unexpected(b.error());
    page.bookings.push_back(std::move(*b));
  }
  if (auto p = doc.find("pagination"); p != doc.end() && p->is_object()) {
    if (auto next = p->find("hasNextPage"); next != p->end() && next->is_boolean()) {
      page.has_next_page = next->get<bool>();
    }
  }
  return page;
}

Result<std::vector<EventType>> ParseEventTypesResponse(std::string_view body) {
  auto data = SuccessData(body);
  if (!data) return tl::unexpected(data.error());
  std::vector<EventType> out;
  auto add_all = [&out](const json& list) -> Status {
    for (const auto& item : list) {
      auto e = EventTypeFromJson(item);
      if (!e) return tl::unexpected(e.error());
      out.push_back(std::move(*e));
    }
    return Ok();
  };
  if (data->is_array()) {
    if (auto s = add_all(*data); !s) return tl::unexpected(s.error());
  } else if (auto groups = data->find("eventTypeGroups");
             data->is_object() && groups != data->end() && groups->is_array()) {
    for (const auto& g : *groups) {
      if (auto list = g.find("eventTypes"); g.is_object() && list != g.end() && list->is_array()) {
        if (auto s = add_all(*list); !s) return tl::unexpected(s.error());
      }
    }
  } else {
    return Fail(ErrorCode::kInternal, "cal.com event types data is not a list");
  }
  return out;
}

std::string BuildCreateBookingBody(const booking::BookingRequest& request,
                                   std::optional<int> length_in_minutes) {
  json attendee = {{"name", request.attendee.name}, {"timeZone", request.attendee.time_zone}};
  if (!request.attendee.email.empty()) attendee["email"] = request.attendee.email;
  if (!request.attendee.phone_e164.empty()) attendee["phoneNumber"] = request.attendee.phone_e164;
  if (!request.attendee.language.empty()) attendee["language"] = request.attendee.language;
  json body = {{"start", FormatIso8601Utc(request.start)},
               {"eventTypeId", request.event_type_id},
               {"attendee", std::move(attendee)}};
  if (!request.metadata.empty()) {
    json md = json::object();
    for (const auto& [k, v] : request.metadata) md[k] = v;
    body["metadata"] = std::move(md);
  }
  if (!request.notes.empty()) body["bookingFieldsResponses"] = {{"notes", request.notes}};
  if (length_in_minutes) body["lengthInMinutes"] = *length_in_minutes;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool OffersSeveralLengths(const EventType& event_type) {
  return event_type.length_options.size() > 1;
}

std::string BuildCancelBody(std::string_view reason, const booking::BookingChange& change) {
  json body = json::object();
  if (!reason.empty()) body["cancellationReason"] = std::string(reason);
  if (!change.seat_uid.empty()) {
    body["seatUid"] = change.seat_uid;
  } else if (change.cancel_series) {
    body["cancelSubsequentBookings"] = true;
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string BuildRescheduleBody(SystemTimePoint new_start, std::string_view reason,
                                const booking::BookingChange& change) {
  json body = {{"start", FormatIso8601Utc(new_start)}};
  if (!change.seat_uid.empty()) {
    body["seatUid"] = change.seat_uid;
  } else if (!reason.empty()) {
    body["reschedulingReason"] = std::string(reason);
  }
  if (!change.rescheduled_by.empty()) body["rescheduledBy"] = change.rescheduled_by;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status ValidateBookingRequest(const booking::BookingRequest& request) {
  const auto bad = [](std::string message) {
    return Fail(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (request.event_type_id <= 0) return bad("booking needs an event type id");
  if (request.attendee.name.empty()) return bad("booking needs the attendee's name");
  if (request.attendee.time_zone.empty()) return bad("booking needs the attendee's time zone");
  if (request.attendee.email.empty() && request.attendee.phone_e164.empty()) {
    return bad("booking needs the attendee's email or phone number");
  }
  if (request.length_minutes &&
      (*request.length_minutes <= 0 || *request.length_minutes > 24 * 60)) {
    return bad("booking length must be 1 to 1440 minutes");
  }
  if (request.metadata.size() > 50) return bad("booking metadata has more than 50 keys");
  for (const auto& [k, v] : request.metadata) {
    if (k.size() > 40) return bad("booking metadata key longer than 40 characters");
    if (v.size() > 500) return bad("booking metadata value longer than 500 characters");
  }
  return Ok();
}

}  // namespace callgate::calcom
