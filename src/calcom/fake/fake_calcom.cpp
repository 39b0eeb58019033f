#include "calcom/fake/fake_calcom.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "core/time_zone.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace callgate::calcom::fake {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

constexpr int kMaxDelayMs = 60'000;
constexpr std::size_t kMaxRecordedRequests = 1000;
constexpr int kMaxRangeDays = 90;
constexpr std::string_view kSlotTakenMessage =
    "User either already has booking at this time or is not available";

// Days since 1970-01-01 of a civil date and back (H. Hinnant's algorithms), for walking local
// calendar days without DST surprises.
long long DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void CivilFromDays(long long z, int& y, int& m, int& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

int WeekdayFromDays(long long z) {
  return static_cast<int>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

std::string DateKey(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// "2050-09-05T09:00:00.000+02:00" in `zone`.
std::string FormatInZone(SystemTimePoint t, const std::string& zone) {
  auto local = ToLocal(t, zone);
  if (!local) return FormatIso8601Utc(t);
  char buf[40];
  const int off = local->utc_offset_minutes;
  const int abs_off = off < 0 ? -off : off;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", local->year,
                local->month, local->day, local->hour, local->minute, local->second,
                static_cast<int>(((ToUnixMillis(t) % 1000) + 1000) % 1000), off < 0 ? '-' : '+',
                abs_off / 60, abs_off % 60);
  return buf;
}

std::string ExceptionName(int status) {
  switch (status) {
    case 400:
      return "BadRequestException";
    case 401:
      return "UnauthorizedException";
    case 403:
      return "ForbiddenException";
    case 404:
      return "NotFoundException";
    case 409:
      return "ConflictException";
    case 422:
      return "UnprocessableEntityException";
    case 429:
      return "ThrottlerException";
    case 500:
      return "InternalServerErrorException";
    case 502:
      return "BadGatewayException";
    case 503:
      return "ServiceUnavailableException";
    case 504:
      return "GatewayTimeoutException";
    default:
      return "HttpException";
  }
}

std::string DefaultMessage(int status) {
  switch (status) {
    case 429:
      return "Too many requests. Please try again later.";
    case 401:
      return "Invalid API Key";
    case 404:
      return "Not Found";
    case 500:
      return "Internal server error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error forced by fake Cal.com";
  }
}

Response JsonResponse(int status, const json& body) {
  return Response::RawJson(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::optional<long long> ParseInt(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long v = 0;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
    if (text.size() == 1) return std::nullopt;
  }
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return negative ? -v : v;
}

std::vector<std::string> SplitComma(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c == ',') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

json BehaviorToJson(const FakeCalcomBehavior& b) {
  return {{"latency_ms", b.latency_ms},
          {"forced_status", b.forced_status},
          {"error_rate", b.error_rate},
          {"next_429", b.next_429},
          {"next_conflicts", b.next_conflicts},
          {"conflict_status", b.conflict_status},
          {"hang_ms", b.hang_ms},
          {"commit_delay_ms", b.commit_delay_ms},
          {"next_malformed", b.next_malformed},
          {"fault_endpoint", b.fault_endpoint}};
}

// Applies the fields present in `j` to `b`; an error names the bad field.
Status ApplyBehaviorJson(const json& j, FakeCalcomBehavior& b) {
  const auto int_field = [&j](const char* name, int& out, int lo, int hi) -> Status {
    auto it = j.find(name);
    if (it == j.end()) return Ok();
    if (!it->is_number_integer() || it->get<long long>() < lo || it->get<long long>() > hi) {
      return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be an integer in [" +
                                                   std::to_string(lo) + ", " + std::to_string(hi) +
                                                   "]");
    }
    out = it->get<int>();
    return Ok();
  };
  for (auto s : {int_field("latency_ms", b.latency_ms, 0, kMaxDelayMs),
                 int_field("forced_status", b.forced_status, 0, 599),
                 int_field("next_429", b.next_429, 0, 1'000'000),
                 int_field("next_conflicts", b.next_conflicts, 0, 1'000'000),
                 int_field("conflict_status", b.conflict_status, 400, 409),
                 int_field("hang_ms", b.hang_ms, 0, kMaxDelayMs),
                 int_field("commit_delay_ms", b.commit_delay_ms, 0, kMaxDelayMs),
                 int_field("next_malformed", b.next_malformed, 0, 1'000'000)}) {
    if (!s) return s;
  }
  if (b.forced_status != 0 && b.forced_status < 100) {
    return Fail(ErrorCode::kInvalidArgument, "forced_status must be 0 or an HTTP status");
  }
  if (b.conflict_status != 400 && b.conflict_status != 409) {
    return Fail(ErrorCode::kInvalidArgument, "conflict_status must be 400 or 409");
  }
  if (auto it = j.find("error_rate"); it != j.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1) {
      return Fail(ErrorCode::kInvalidArgument, "error_rate must be a number in [0, 1]");
    }
    b.error_rate = it->get<double>();
  }
  if (auto it = j.find("fault_endpoint"); it != j.end()) {
    if (!it->is_string())
      return Fail(ErrorCode::kInvalidArgument, "fault_endpoint must be a string");
    b.fault_endpoint = it->get<std::string>();
  }
  return Ok();
}

}  // namespace

std::vector<FakeEventType> DefaultEventTypes() {
  const auto make = [](std::int64_t id, int minutes, std::string title, std::string slug) {
    FakeEventType e;
    e.id = id;
    e.length_minutes = minutes;
    e.title = std::move(title);
    e.slug = std::move(slug);
    for (int wd = 1; wd <= 5; ++wd) e.hours[static_cast<size_t>(wd)] = WorkingHours{};
    return e;
  };
  return {make(1001, 30, "Erstberatung", "erstberatung"),
          make(1002, 15, "Kurztermin", "kurztermin"), make(1003, 60, "Behandlung", "behandlung")};
}

struct FakeCalcom::Impl {
  FakeCalcomOptions options;
  SystemClock system_clock;
  const Clock* clock;
  http::Router router;
  std::unique_ptr<http::Server> server;

  mutable std::mutex mutex;
  FakeCalcomBehavior behavior;                 // guarded by mutex
  FakeCalcomStats stats;                       // guarded by mutex
  std::vector<FakeBooking> bookings;           // guarded by mutex
  std::vector<FakeRequest> recorded_requests;  // guarded by mutex
  std::int64_t next_id = 1;                    // guarded by mutex
  std::mt19937_64 fault_rng;                   // guarded by mutex
  std::mt19937_64 uid_rng;                     // guarded by mutex

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mutex

  explicit Impl(FakeCalcomOptions o)
      : options(std::move(o)),
        clock(options.clock != nullptr ? options.clock : &system_clock),
        behavior(options.behavior),
        fault_rng(options.seed),
        uid_rng(std::random_device{}()) {}

  // Waits `ms` unless Stop() comes first. The only sleeping the fake does.
  void Delay(int ms) {
    if (ms <= 0) return;
    std::unique_lock lock(stop_mutex);
    stop_cv.wait_for(lock, std::chrono::milliseconds(std::min(ms, kMaxDelayMs)),
                     [this] { return stopping; });
  }

  Response ErrorResponse(int status, const Request& request, std::string message = {}) const {
    if (message.empty()) message = DefaultMessage(status);
    return JsonResponse(status,
                        {{"status", "error"},
                         {"timestamp", FormatIso8601Utc(clock->Now())},
                         {"path", request.path},
                         {"error", {{"code", ExceptionName(status)}, {"message", message}}}});
  }

  Response Success(int status, json data) const {
    return JsonResponse(status, {{"status", "success"}, {"data", std::move(data)}});
  }

  const FakeEventType* FindEventType(std::int64_t id) const {
    for (const auto& e : options.event_types) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }

  std::string NewUid() {
    static constexpr char kChars[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string uid;
    for (int i = 0; i < 22; ++i) uid.push_back(kChars[uid_rng() % 62]);
    return uid;
  }

  static bool IsValidKey(std::string_view authorization) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.substr(0, kBearer.size()) != kBearer) return false;
    return authorization.substr(kBearer.size()).rfind("cal_", 0) == 0;
  }

  // Registers an API route wrapped in stats, switches and the key check.
  void Api(http::Method method, std::string_view pattern, std::string endpoint, bool key_optional,
           std::function<Response(Request&)> handler) {
    router.Add(method, pattern,
               [this, endpoint = std::move(endpoint), key_optional, handler = std::move(handler)](
                   Request& request) { return RunApi(request, endpoint, key_optional, handler); });
  }

  Response RunApi(Request& request, const std::string& endpoint, bool key_optional,
                  const std::function<Response(Request&)>& handler) {
    FakeCalcomBehavior b;
    bool throttled = false;
    bool malformed = false;
    bool random_error = false;
    {
      std::lock_guard lock(mutex);
      ++stats.requests[endpoint];
      ++stats.total;
      FakeRequest recorded{endpoint,          request.method_token, request.path,
                           request.raw_query, request.query,        {},
                           request.body};
      for (const auto& [name, value] : request.headers.All())
        recorded.headers.emplace_back(name, value);
      if (recorded_requests.size() >= kMaxRecordedRequests)
        recorded_requests.erase(recorded_requests.begin());
      recorded_requests.push_back(std::move(recorded));
      stats.last_api_version[endpoint] =
          std::string(request.Header("cal-api-version").value_or(""));
      b = behavior;
      if (behavior.next_429 > 0) {
        --behavior.next_429;
        throttled = true;
      } else if (behavior.next_malformed > 0) {
        --behavior.next_malformed;
        malformed = true;
      }
      const bool affected = b.fault_endpoint.empty() || b.fault_endpoint == endpoint;
      if (affected && b.error_rate > 0) {
        random_error = std::uniform_real_distribution<double>(0, 1)(fault_rng) < b.error_rate;
      }
      if (!affected) {
        b.forced_status = 0;
        b.hang_ms = 0;
      }
    }
    Delay(b.latency_ms);
    Delay(b.hang_ms);
    if (throttled) return ErrorResponse(429, request);
    if (malformed) {
      return Response::Text(200, "<html><body>502 Bad Gateway</body></html>", "text/html");
    }
    if (b.forced_status != 0) return ErrorResponse(b.forced_status, request);
    if (random_error) return ErrorResponse(500, request);
    const auto auth = request.Header("Authorization");
    if (auth ? !IsValidKey(*auth) : !key_optional) return ErrorResponse(401, request);
    return handler(request);
  }

  // ---- slots ----------------------------------------------------------------------------

  // Parses an ISO instant or a bare date (start of day, or end of day when `end_of_day`).
  static std::optional<SystemTimePoint> ParseRangeBound(std::string_view text,
                                                        const std::string& zone, bool end_of_day) {
    if (text.size() == 10) {
      int y = 0, m = 0, d = 0;
      if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) {
        return std::nullopt;
      }
      LocalDateTime local;
      local.year = y;
      local.month = m;
      local.day = d;
      if (end_of_day) {
        local.hour = 23;
        local.minute = 59;
        local.second = 59;
      }
      auto t = FromLocal(local, zone);
      if (!t) return std::nullopt;
      return *t;
    }
    auto t = ParseIso8601(text);
    if (!t) return std::nullopt;
    return *t;
  }

  static bool Active(const FakeBooking& b) {
    return b.status != "cancelled" && b.status != "rejected";
  }

  // Blocked: a booking overlaps; on a seated event type, as many seats as it has.
  bool IsBlockedLocked(std::int64_t event_type_id, SystemTimePoint start, SystemTimePoint end,
                       std::string_view ignore_uid) const {
    const FakeEventType* et = FindEventType(event_type_id);
    const int capacity = et != nullptr && et->seats_per_time_slot > 0 ? et->seats_per_time_slot : 1;
    int taken = 0;
    for (const auto& b : bookings) {
      if (b.event_type_id != event_type_id || !Active(b) || b.uid == ignore_uid) continue;
      if (b.start < end && b.end > start) ++taken;
    }
    return taken >= capacity;
  }

  // Seated event types: the uid of the slot's booking an attendee joins (new when none).
  std::string SeatedUidLocked(const FakeEventType& et, SystemTimePoint start) {
    for (const auto& b : bookings) {
      if (b.event_type_id == et.id && b.start == start && Active(b) && !b.seat_uid.empty()) {
        return b.uid;
      }
    }
    return NewUid();
  }

  // Slot starts of the event type's working-hours grid in [from, to].
  std::vector<SystemTimePoint> GridLocked(const FakeEventType& et, int length_minutes,
                                          SystemTimePoint from, SystemTimePoint to) const {
    std::vector<SystemTimePoint> out;
    auto first = ToLocal(from, et.time_zone);
    auto last = ToLocal(to, et.time_zone);
    if (!first || !last) return out;
    const long long d0 = DaysFromCivil(first->year, first->month, first->day) - 1;
    const long long d1 = DaysFromCivil(last->year, last->month, last->day) + 1;
    for (long long day = d0; day <= d1; ++day) {
      const auto& hours = et.hours[static_cast<size_t>(WeekdayFromDays(day))];
      if (!hours) continue;
      LocalDateTime local;
      CivilFromDays(day, local.year, local.month, local.day);
      for (int m = hours->open_minute; m + length_minutes <= hours->close_minute;
           m += length_minutes) {
        local.hour = m / 60;
        local.minute = m % 60;
        auto start = FromLocal(local, et.time_zone);
        if (!start) continue;
        if (*start >= from && *start <= to) out.push_back(*start);
      }
    }
    return out;
  }

  // Free for a booking of `length_minutes` (0 = the event type's default length).
  bool IsFreeSlotLocked(const FakeEventType& et, SystemTimePoint start, std::string_view ignore_uid,
                        int length_minutes = 0) const {
    if (length_minutes <= 0) length_minutes = et.length_minutes;
    const auto length = std::chrono::minutes(length_minutes);
    if (start < clock->Now() + std::chrono::minutes(et.minimum_booking_notice_minutes)) {
      return false;
    }
    auto grid = GridLocked(et, length_minutes, start, start);
    if (std::find(grid.begin(), grid.end(), start) == grid.end()) return false;
    return !IsBlockedLocked(et.id, start, start + length, ignore_uid);
  }

  Response Slots(Request& request) {
    const auto event_type_id = ParseInt(request.QueryParam("eventTypeId").value_or(""));
    if (!event_type_id) return ErrorResponse(400, request, "eventTypeId must be a number");
    const FakeEventType* et = FindEventType(*event_type_id);
    if (et == nullptr) {
      return ErrorResponse(404, request,
                           "Event type with id=" + std::to_string(*event_type_id) + " not found");
    }
    const auto zone_param = request.QueryParam("timeZone");
    const std::string zone = zone_param ? std::string(*zone_param) : "UTC";
    if (!IsValidTimeZone(zone)) return ErrorResponse(400, request, "timeZone is not a valid zone");
    const auto start_text = request.QueryParam("start");
    const auto end_text = request.QueryParam("end");
    if (!start_text || !end_text) return ErrorResponse(400, request, "start and end are required");
    auto from = ParseRangeBound(*start_text, zone, false);
    auto to = ParseRangeBound(*end_text, zone, true);
    if (!from || !to) return ErrorResponse(400, request, "start and end must be ISO 8601 dates");
    if (*to < *from) return ErrorResponse(400, request, "end must be after start");
    if (*to - *from > std::chrono::hours(24 * kMaxRangeDays)) {
      return ErrorResponse(400, request, "range is too wide");
    }
    int length = et->length_minutes;
    if (auto d = request.QueryParam("duration")) {
      auto parsed = ParseInt(*d);
      if (!parsed || *parsed <= 0 || *parsed > 24 * 60) {
        return ErrorResponse(400, request, "duration must be a positive number of minutes");
      }
      length = static_cast<int>(*parsed);
    }
    const bool range = request.QueryParam("format").value_or("") == "range";
    const SystemTimePoint earliest =
        clock->Now() + std::chrono::minutes(et->minimum_booking_notice_minutes);
    json days = json::object();
    std::lock_guard lock(mutex);
    for (const auto start : GridLocked(*et, length, *from, *to)) {
      const auto end = start + std::chrono::minutes(length);
      if (start < earliest || IsBlockedLocked(et->id, start, end, {})) continue;
      auto local = ToLocal(start, zone);
      if (!local) continue;
      json slot = {{"start", zone_param ? FormatInZone(start, zone) : FormatIso8601Utc(start)}};
      if (range) slot["end"] = zone_param ? FormatInZone(end, zone) : FormatIso8601Utc(end);
      days[DateKey(local->year, local->month, local->day)].push_back(std::move(slot));
    }
    return Success(200, std::move(days));
  }

  // ---- bookings -------------------------------------------------------------------------

  json BookingJson(const FakeBooking& b) const {
    const FakeEventType* et = FindEventType(b.event_type_id);
    json attendee = {
        {"name", b.attendee_name}, {"email", b.attendee_email}, {"timeZone", b.attendee_time_zone},
        {"language", "de"},        {"absent", false},           {"displayEmail", b.attendee_email}};
    if (!b.attendee_phone.empty()) attendee["phoneNumber"] = b.attendee_phone;
    json md = json::object();
    for (const auto& [k, v] : b.metadata) md[k] = v;
    json out = {
        {"id", b.id},
        {"uid", b.uid},
        {"title",
         (et ? et->title : std::string("Meeting")) + " between Fake Host and " + b.attendee_name},
        {"description", ""},
        {"hosts", json::array({{{"id", 1},
                                {"name", "Fake Host"},
                                {"email", std::string(kFakeHostEmail)},
                                {"username", "fake-host"},
                                {"displayEmail", std::string(kFakeHostEmail)},
                                {"timeZone", et ? et->time_zone : "UTC"}}})},
        {"status", b.status},
        {"start", FormatIso8601Utc(b.start)},
        {"end", FormatIso8601Utc(b.end)},
        {"duration", std::chrono::duration_cast<std::chrono::minutes>(b.end - b.start).count()},
        {"eventTypeId", b.event_type_id},
        {"eventType", {{"id", b.event_type_id}, {"slug", et ? et->slug : ""}}},
        {"attendees", json::array({attendee})},
        {"guests", json::array()},
        {"location", ""},
        {"absentHost", false},
        {"metadata", md},
        {"bookingFieldsResponses", {{"name", b.attendee_name}, {"email", b.attendee_email}}},
        {"createdAt", FormatIso8601Utc(b.created_at)},
        {"updatedAt", FormatIso8601Utc(b.created_at)}};
    if (!b.recurring_booking_uid.empty()) out["recurringBookingUid"] = b.recurring_booking_uid;
    if (!b.seat_uid.empty()) {  // CreateSeatedBookingOutput: the seat, on the booking and attendee
      out["seatUid"] = b.seat_uid;
      out["attendees"][0]["seatUid"] = b.seat_uid;
      out["attendees"][0]["bookingFieldsResponses"] = out["bookingFieldsResponses"];
      out["attendees"][0]["metadata"] = md;
    }
    if (!b.rescheduled_from_uid.empty()) out["rescheduledFromUid"] = b.rescheduled_from_uid;
    if (!b.rescheduled_to_uid.empty()) out["rescheduledToUid"] = b.rescheduled_to_uid;
    if (!b.cancellation_reason.empty()) out["cancellationReason"] = b.cancellation_reason;
    return out;
  }

  FakeBooking* FindBookingLocked(std::string_view uid) {
    for (auto& b : bookings) {
      if (b.uid == uid) return &b;
    }
    return nullptr;
  }

  // The booking `uid`, or with a seat that attendee's seat of it.
  FakeBooking* FindBookingLocked(std::string_view uid, std::string_view seat_uid) {
    if (seat_uid.empty()) return FindBookingLocked(uid);
    for (auto& b : bookings) {
      if (b.uid == uid && b.seat_uid == seat_uid) return &b;
    }
    return nullptr;
  }

  static std::string SeatOf(const json& body) {
    auto seat = body.find("seatUid");
    return seat != body.end() && seat->is_string() ? seat->get<std::string>() : std::string();
  }

  Response SlotTaken(const Request& request, int status) const {
    return ErrorResponse(status, request, std::string(kSlotTakenMessage));
  }

  // The "slot-taken race" switch: true (and one fewer left) when the next create/reschedule
  // must fail although its slot is free.
  bool TakeForcedConflictLocked() {
    if (behavior.next_conflicts <= 0) return false;
    --behavior.next_conflicts;
    return true;
  }

  Response CreateBooking(Request& request) {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorResponse(400, request, "Request body must be a JSON object");
    }
    auto et_it = body.find("eventTypeId");
    if (et_it == body.end() || !et_it->is_number_integer()) {
      return ErrorResponse(400, request, "eventTypeId must be an integer number");
    }
    const FakeEventType* et = FindEventType(et_it->get<std::int64_t>());
    if (et == nullptr) {
      return ErrorResponse(
          404, request,
          "Event type with id=" + std::to_string(et_it->get<std::int64_t>()) + " not found");
    }
    auto start_it = body.find("start");
    if (start_it == body.end() || !start_it->is_string()) {
      return ErrorResponse(400, request, "start must be a valid ISO 8601 date string");
    }
    auto start = ParseIso8601(start_it->get<std::string>());
    if (!start) return ErrorResponse(400, request, "start must be a valid ISO 8601 date string");
    auto att = body.find("attendee");
    if (att == body.end() || !att->is_object()) {
      return ErrorResponse(400, request, "attendee must be an object");
    }
    const auto text = [&att](const char* name) -> std::string {
      auto it = att->find(name);
      return it != att->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    FakeBooking b;
    b.attendee_name = text("name");
    b.attendee_email = text("email");
    b.attendee_phone = text("phoneNumber");
    b.attendee_time_zone = text("timeZone");
    if (b.attendee_name.empty()) return ErrorResponse(400, request, "attendee.name is required");
    if (!IsValidTimeZone(b.attendee_time_zone)) {
      return ErrorResponse(400, request, "attendee.timeZone must be a valid IANA time zone");
    }
    if (b.attendee_email.empty() && b.attendee_phone.empty()) {
      return ErrorResponse(400, request, "attendee.email or attendee.phoneNumber is required");
    }
    if (auto md = body.find("metadata"); md != body.end()) {
      if (!md->is_object() || md->size() > 50) {
        return ErrorResponse(400, request, "metadata must be an object with at most 50 keys");
      }
      for (auto it = md->begin(); it != md->end(); ++it) {
        if (!it->is_string()) return ErrorResponse(400, request, "metadata values must be strings");
        b.metadata[it.key()] = it->get<std::string>();
      }
    }
    // Cal.com's create input check: `lengthInMinutes` only for an event type with several
    // lengths, and then one of them; without it the booking has the default length.
    int length = et->length_minutes;
    if (auto l = body.find("lengthInMinutes"); l != body.end()) {
      if (!l->is_number_integer() || l->get<std::int64_t>() <= 0) {
        return ErrorResponse(400, request, "lengthInMinutes must be a number");
      }
      if (et->length_options.empty()) {
        return ErrorResponse(400, request,
                             "Can't specify 'lengthInMinutes' because event type does not have "
                             "multiple possible lengths. Please, remove the 'lengthInMinutes' "
                             "field from the request.");
      }
      const auto wanted = l->get<std::int64_t>();
      if (std::find(et->length_options.begin(), et->length_options.end(), wanted) ==
          et->length_options.end()) {
        std::string possible;
        for (int o : et->length_options) {
          possible += (possible.empty() ? "" : ", ") + std::to_string(o);
        }
        return ErrorResponse(400, request,
                             "Provided 'lengthInMinutes' is not one of the possible lengths for "
                             "the event type. The possible lengths are: " +
                                 possible);
      }
      length = static_cast<int>(wanted);
    }
    const SystemTimePoint now = clock->Now();
    if (*start < now)
      return ErrorResponse(400, request, "Attempting to book a meeting in the past.");
    if (*start < now + std::chrono::minutes(et->minimum_booking_notice_minutes)) {
      return ErrorResponse(400, request,
                           "The event type can't be booked at this time: minimum booking notice");
    }
    int delay = 0;
    json answer;
    {
      std::lock_guard lock(mutex);
      if (TakeForcedConflictLocked() || !IsFreeSlotLocked(*et, *start, {}, length)) {
        return SlotTaken(request, behavior.conflict_status);
      }
      b.id = next_id++;
      b.uid = et->seats_per_time_slot > 0 ? SeatedUidLocked(*et, *start) : NewUid();
      if (et->seats_per_time_slot > 0) b.seat_uid = NewUid();
      b.event_type_id = et->id;
      b.start = *start;
      b.end = *start + std::chrono::minutes(length);
      b.status = et->requires_confirmation ? "pending" : "accepted";
      b.created_at = now;
      if (et->recurrence_count > 1) {  // a series of weekly occurrences, answered as an array
        b.recurring_booking_uid = NewUid();
        answer = json::array();
        for (int i = 0; i < et->recurrence_count; ++i) {
          FakeBooking occurrence = b;
          if (i > 0) {
            occurrence.id = next_id++;
            occurrence.uid = NewUid();
            occurrence.start += std::chrono::days(7 * i);
            occurrence.end += std::chrono::days(7 * i);
          }
          bookings.push_back(occurrence);
          answer.push_back(BookingJson(occurrence));
        }
      } else {
        bookings.push_back(b);
        answer = BookingJson(b);
      }
      delay = behavior.commit_delay_ms;
    }
    Delay(delay);
    return Success(201, std::move(answer));
  }

  Response GetBooking(Request& request) {
    std::lock_guard lock(mutex);
    const std::string uid(request.RouteParam("uid").value_or(""));
    FakeBooking* b = FindBookingLocked(uid);
    if (b == nullptr) return ErrorResponse(404, request, "Booking with uid=" + uid + " not found");
    return Success(200, BookingJson(*b));
  }

  Response CancelBooking(Request& request) {
    const json body =
        request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorResponse(400, request, "Request body must be a JSON object");
    }
    const std::string uid(request.RouteParam("uid").value_or(""));
    int delay = 0;
    json answer;
    {
      std::lock_guard lock(mutex);
      const std::string seat = SeatOf(body);
      FakeBooking* b = FindBookingLocked(uid, seat);
      if (b == nullptr)
        return ErrorResponse(404, request, "Booking with uid=" + uid + " not found");
      if (b->status == "cancelled") {
        return ErrorResponse(400, request, "This booking has already been cancelled.");
      }
      std::string reason;
      if (auto r = body.find("cancellationReason"); r != body.end() && r->is_string()) {
        reason = r->get<std::string>();
      }
      // Without a seat the whole booking goes, every attendee's seat with it; with
      // cancelSubsequentBookings also the later occurrences of its series.
      const auto later = body.find("cancelSubsequentBookings");
      const bool series = later != body.end() && later->is_boolean() && later->get<bool>() &&
                          !b->recurring_booking_uid.empty();
      const std::string series_uid = b->recurring_booking_uid;
      const SystemTimePoint from = b->start;
      for (auto& each : bookings) {
        const bool this_one = each.uid == uid && (seat.empty() || each.seat_uid == seat);
        const bool later_one =
            series && each.recurring_booking_uid == series_uid && each.start >= from;
        if (!this_one && !later_one) continue;
        each.status = "cancelled";
        each.cancellation_reason = reason;
      }
      answer = BookingJson(*b);
      delay = behavior.commit_delay_ms;
    }
    Delay(delay);
    return Success(200, std::move(answer));
  }

  Response RescheduleBooking(Request& request) {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorResponse(400, request, "Request body must be a JSON object");
    }
    auto start_it = body.find("start");
    if (start_it == body.end() || !start_it->is_string()) {
      return ErrorResponse(400, request, "start must be a valid ISO 8601 date string");
    }
    auto start = ParseIso8601(start_it->get<std::string>());
    if (!start) return ErrorResponse(400, request, "start must be a valid ISO 8601 date string");
    const std::string uid(request.RouteParam("uid").value_or(""));
    const SystemTimePoint now = clock->Now();
    int delay = 0;
    json answer;
    {
      std::lock_guard lock(mutex);
      const std::string seat = SeatOf(body);
      FakeBooking* old = FindBookingLocked(uid, seat);
      if (old == nullptr) {
        return ErrorResponse(404, request, "Booking with uid=" + uid + " not found");
      }
      if (old->status == "cancelled" || old->status == "rejected") {
        return ErrorResponse(400, request, "Can't reschedule a " + old->status + " booking.");
      }
      const FakeEventType* et = FindEventType(old->event_type_id);
      if (et == nullptr) return ErrorResponse(404, request, "Event type not found");
      if (*start < now) {
        return ErrorResponse(400, request, "Attempting to book a meeting in the past.");
      }
      if (TakeForcedConflictLocked() || !IsFreeSlotLocked(*et, *start, uid)) {
        return SlotTaken(request, behavior.conflict_status);
      }
      FakeBooking fresh = *old;
      fresh.id = next_id++;
      // A seat moves into the new slot's booking (a new seat); otherwise a new booking.
      fresh.uid = seat.empty() ? NewUid() : SeatedUidLocked(*et, *start);
      if (!seat.empty()) fresh.seat_uid = NewUid();
      fresh.start = *start;
      fresh.end = *start + std::chrono::minutes(et->length_minutes);
      // Cal.com: a booking that requires confirmation stays (or becomes) pending unless the
      // host moves it.
      const auto by = body.find("rescheduledBy");
      const bool by_host = by != body.end() && by->is_string() && *by == kFakeHostEmail;
      fresh.status = et->requires_confirmation && !by_host ? "pending" : "accepted";
      fresh.rescheduled_from_uid = uid;
      fresh.rescheduled_to_uid.clear();
      fresh.cancellation_reason.clear();
      fresh.created_at = now;
      old->status = "cancelled";
      old->rescheduled_to_uid = fresh.uid;
      if (auto r = body.find("reschedulingReason"); r != body.end() && r->is_string()) {
        old->cancellation_reason = r->get<std::string>();
      }
      bookings.push_back(fresh);  // invalidates `old`
      answer = BookingJson(fresh);
      delay = behavior.commit_delay_ms;
    }
    Delay(delay);
    return Success(201, std::move(answer));
  }

  Response ListBookings(Request& request) {
    static const std::vector<std::string> kStatuses = {"upcoming", "past", "cancelled",
                                                       "unconfirmed"};
    const auto statuses = SplitComma(request.QueryParam("status").value_or(""));
    for (const auto& s : statuses) {
      if (std::find(kStatuses.begin(), kStatuses.end(), s) == kStatuses.end()) {
        return ErrorResponse(400, request,
                             "status must be one of upcoming, past, cancelled, "
                             "unconfirmed");
      }
    }
    long long take = 100;
    long long skip = 0;
    if (auto t = request.QueryParam("take")) {
      auto v = ParseInt(*t);
      // The spec gives `take` no maximum (default 100).
      if (!v || *v < 1) return ErrorResponse(400, request, "take must be a positive number");
      take = *v;
    }
    if (auto s = request.QueryParam("skip")) {
      auto v = ParseInt(*s);
      if (!v || *v < 0) return ErrorResponse(400, request, "skip must not be less than 0");
      skip = *v;
    }
    std::vector<std::int64_t> event_types;
    for (const char* name : {"eventTypeId", "eventTypeIds"}) {
      for (const auto& part : SplitComma(request.QueryParam(name).value_or(""))) {
        auto v = ParseInt(part);
        if (!v) return ErrorResponse(400, request, std::string(name) + " must be a number");
        event_types.push_back(*v);
      }
    }
    std::optional<SystemTimePoint> after_start;
    std::optional<SystemTimePoint> before_end;
    if (auto a = request.QueryParam("afterStart")) {
      auto t = ParseIso8601(*a);
      if (!t) return ErrorResponse(400, request, "afterStart must be an ISO 8601 date");
      after_start = *t;
    }
    if (auto b = request.QueryParam("beforeEnd")) {
      auto t = ParseIso8601(*b);
      if (!t) return ErrorResponse(400, request, "beforeEnd must be an ISO 8601 date");
      before_end = *t;
    }
    const std::string email(request.QueryParam("attendeeEmail").value_or(""));
    const std::string name(request.QueryParam("attendeeName").value_or(""));
    const bool descending = request.QueryParam("sortStart").value_or("asc") == "desc";
    const SystemTimePoint now = clock->Now();

    std::vector<FakeBooking> matches;
    {
      std::lock_guard lock(mutex);
      for (const auto& b : bookings) {
        if (!statuses.empty()) {
          bool any = false;
          for (const auto& s : statuses) {
            const bool cancelled = b.status == "cancelled" || b.status == "rejected";
            if ((s == "upcoming" && !cancelled && b.end >= now) ||
                (s == "past" && !cancelled && b.end < now) || (s == "cancelled" && cancelled) ||
                (s == "unconfirmed" && b.status == "pending")) {
              any = true;
            }
          }
          if (!any) continue;
        }
        if (!event_types.empty() && std::find(event_types.begin(), event_types.end(),
                                              b.event_type_id) == event_types.end()) {
          continue;
        }
        if (after_start && b.start < *after_start) continue;
        if (before_end && b.end > *before_end) continue;
        if (!email.empty() && b.attendee_email != email) continue;
        if (!name.empty() && b.attendee_name != name) continue;
        matches.push_back(b);
      }
    }
    std::stable_sort(matches.begin(), matches.end(), [descending](const auto& a, const auto& b) {
      return descending ? a.start > b.start : a.start < b.start;
    });
    json data = json::array();
    const long long total = static_cast<long long>(matches.size());
    for (long long i = skip; i < total && i < skip + take; ++i) {
      data.push_back(BookingJson(matches[static_cast<size_t>(i)]));
    }
    const long long pages = (total + take - 1) / take;
    const long long returned = static_cast<long long>(data.size());
    json pagination = {{"totalItems", total},
                       {"remainingItems", std::max(0LL, total - skip - returned)},
                       {"returnedItems", returned},
                       {"itemsPerPage", take},
                       {"currentPage", skip / take + 1},
                       {"totalPages", pages},
                       {"hasNextPage", skip + returned < total},
                       {"hasPreviousPage", skip > 0}};
    return JsonResponse(
        200, {{"status", "success"}, {"data", std::move(data)}, {"pagination", pagination}});
  }

  Response EventTypes(Request&) {
    json data = json::array();
    for (const auto& e : options.event_types) {
      json options = json::array();
      for (int o : e.length_options) options.push_back(o);
      data.push_back(
          {{"id", e.id},
           {"lengthInMinutes", e.length_minutes},
           {"lengthInMinutesOptions", std::move(options)},
           {"title", e.title},
           {"slug", e.slug},
           {"description", ""},
           {"minimumBookingNotice", e.minimum_booking_notice_minutes},
           {"recurrence", e.recurrence_count > 1 ? json{{"interval", 1},
                                                        {"occurrences", e.recurrence_count},
                                                        {"frequency", "weekly"}}
                                                 : json(nullptr)},
           {"hidden", false},
           {"ownerId", 1}});
    }
    return Success(200, std::move(data));
  }

  // ---- control --------------------------------------------------------------------------

  json StatsJson() const {
    std::lock_guard lock(mutex);
    json requests = json::object();
    for (const auto& [k, v] : stats.requests) requests[k] = v;
    json versions = json::object();
    for (const auto& [k, v] : stats.last_api_version) versions[k] = v;
    return {{"requests", requests},
            {"total", stats.total},
            {"last_api_version", versions},
            {"bookings", bookings.size()}};
  }

  Response SetConfig(Request& request) {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Response::Error(ErrorCode::kInvalidArgument, "body must be a JSON object");
    }
    std::lock_guard lock(mutex);
    FakeCalcomBehavior next = behavior;
    if (auto r = body.find("reset"); r != body.end() && r->is_boolean() && r->get<bool>()) {
      next = FakeCalcomBehavior{};
    }
    if (auto s = ApplyBehaviorJson(body, next); !s) return Response::Error(s.error());
    behavior = next;
    return JsonResponse(200, BehaviorToJson(behavior));
  }

  Response Reset(Request&) {
    std::lock_guard lock(mutex);
    behavior = FakeCalcomBehavior{};
    stats = FakeCalcomStats{};
    bookings.clear();
    return JsonResponse(200, BehaviorToJson(behavior));
  }

  // The host's decision on a pending booking.
  Result<FakeBooking> Decide(std::string_view uid, bool confirm) {
    std::lock_guard lock(mutex);
    FakeBooking* b = FindBookingLocked(uid);
    if (b == nullptr) return Fail(ErrorCode::kNotFound, "no such booking");
    if (b->status != "pending") return Fail(ErrorCode::kConflict, "not pending");
    b->status = confirm ? "accepted" : "rejected";
    return *b;
  }

  void BuildRoutes() {
    using http::Method;
    Api(Method::kGet, "/v2/slots", "slots", true, [this](Request& r) { return Slots(r); });
    Api(Method::kPost, "/v2/bookings", "bookings_create", false,
        [this](Request& r) { return CreateBooking(r); });
    Api(Method::kGet, "/v2/bookings", "bookings_list", false,
        [this](Request& r) { return ListBookings(r); });
    Api(Method::kGet, "/v2/bookings/{uid}", "bookings_get", false,
        [this](Request& r) { return GetBooking(r); });
    Api(Method::kPost, "/v2/bookings/{uid}/cancel", "bookings_cancel", false,
        [this](Request& r) { return CancelBooking(r); });
    Api(Method::kPost, "/v2/bookings/{uid}/reschedule", "bookings_reschedule", false,
        [this](Request& r) { return RescheduleBooking(r); });
    Api(Method::kGet, "/v2/event-types", "event_types", false,
        [this](Request& r) { return EventTypes(r); });
    router.Add(Method::kGet, "/_fake/config", [this](Request&) {
      std::lock_guard lock(mutex);
      return JsonResponse(200, BehaviorToJson(behavior));
    });
    router.Add(Method::kPost, "/_fake/config", [this](Request& r) { return SetConfig(r); });
    router.Add(Method::kGet, "/_fake/stats",
               [this](Request&) { return JsonResponse(200, StatsJson()); });
    router.Add(Method::kPost, "/_fake/reset", [this](Request& r) { return Reset(r); });
    for (const char* decision : {"confirm", "reject"}) {
      const bool confirm = std::string_view(decision) == "confirm";
      router.Add(Method::kPost, std::string("/_fake/bookings/{uid}/") + decision,
                 [this, confirm](Request& r) {
                   const std::string uid(r.RouteParam("uid").value_or(""));
                   auto decided = Decide(uid, confirm);
                   if (!decided) return Response::Error(decided.error());
                   return JsonResponse(200, BookingJson(*decided));
                 });
    }
  }
};

FakeCalcom::FakeCalcom(FakeCalcomOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->BuildRoutes();
}

FakeCalcom::~FakeCalcom() { Stop(); }

Status FakeCalcom::Start() {
  if (impl_->server) return Fail(ErrorCode::kInternal, "fake Cal.com already started");
  http::ServerSettings settings;
  settings.address = impl_->options.address;
  settings.port = impl_->options.port;
  settings.worker_threads = std::max<std::size_t>(1, impl_->options.worker_threads);
  settings.handler_timeout = std::chrono::milliseconds(3 * kMaxDelayMs);
  settings.drain_timeout = std::chrono::milliseconds(2000);
  impl_->server = std::make_unique<http::Server>(settings, impl_->router);
  auto started = impl_->server->Start();
  if (!started) impl_->server.reset();
  return started;
}

void FakeCalcom::Stop() {
  {
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->server) impl_->server->Stop();
}

std::uint16_t FakeCalcom::port() const { return impl_->server ? impl_->server->port() : 0; }

std::string FakeCalcom::base_url() const {
  std::string host = impl_->options.address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port()) + "/v2";
}

FakeCalcomBehavior FakeCalcom::behavior() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->behavior;
}

void FakeCalcom::SetBehavior(const FakeCalcomBehavior& behavior) {
  std::lock_guard lock(impl_->mutex);
  impl_->behavior = behavior;
}

FakeCalcomStats FakeCalcom::Stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

void FakeCalcom::ResetStats() {
  std::lock_guard lock(impl_->mutex);
  impl_->stats = FakeCalcomStats{};
  impl_->recorded_requests.clear();
}

std::vector<FakeRequest> FakeCalcom::Requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->recorded_requests;
}

std::vector<FakeBooking> FakeCalcom::Bookings() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->bookings;
}

Result<FakeBooking> FakeCalcom::ConfirmBooking(std::string_view uid) {
  return impl_->Decide(uid, true);
}

Result<FakeBooking> FakeCalcom::RejectBooking(std::string_view uid) {
  return impl_->Decide(uid, false);
}

Result<std::string> FakeCalcom::AddBooking(std::int64_t event_type_id, SystemTimePoint start,
                                           std::string attendee_name,
                                           std::map<std::string, std::string> metadata) {
  const FakeEventType* et = impl_->FindEventType(event_type_id);
  if (et == nullptr) return Fail(ErrorCode::kNotFound, "unknown event type");
  std::lock_guard lock(impl_->mutex);
  FakeBooking b;
  b.id = impl_->next_id++;
  b.uid = et->seats_per_time_slot > 0 ? impl_->SeatedUidLocked(*et, start) : impl_->NewUid();
  if (et->seats_per_time_slot > 0) b.seat_uid = impl_->NewUid();
  b.event_type_id = event_type_id;
  b.start = start;
  b.end = start + std::chrono::minutes(et->length_minutes);
  b.status = "accepted";
  b.attendee_name = std::move(attendee_name);
  b.attendee_email = "someone@example.org";
  b.attendee_time_zone = et->time_zone;
  b.metadata = std::move(metadata);
  b.created_at = impl_->clock->Now();
  impl_->bookings.push_back(b);
  return b.uid;
}

}  // namespace callgate::calcom::fake
