#include "calcom/calcom_client.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "calcom/http_loop.hpp"
#include "calcom/wire.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::calcom {
namespace {

namespace obs = observability;
using booking::CalendarAccount;

constexpr std::string_view kRequestsMetric = "callgate_calcom_requests_total";
constexpr std::string_view kDurationMetric = "callgate_calcom_request_duration_ms_total";
constexpr std::string_view kConnectionsMetric = "callgate_calcom_connections_opened_total";
// Page size of ListBookings. The spec (GetBookings `take`: number, default 100) sets no maximum;
// the wire notes (shared/reference/calcom.md) say ≤ 250. Pages of ≤ 250 are valid under both, so
// a larger filter.take is fetched in several pages instead of one.
constexpr int kMaxPageSize = 250;
constexpr std::size_t kMaxLengthAccounts = 1000;  // event-type length listings kept

using Query = std::vector<std::pair<std::string, std::string>>;

std::string BuildQuery(const Query& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += UrlEncode(name) + "=" + UrlEncode(value);
  }
  return out;
}

Result<std::string> NormalizedBaseUrl(const CalendarAccount& account) {
  std::string base = account.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.rfind("https://", 0) != 0 && base.rfind("http://", 0) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "cal.com base URL must start with http(s)://");
  }
  return base;
}

}  // namespace

struct CalcomClient::Impl {
  CalcomSettings settings;
  obs::Metrics& metrics;
  HttpLoop loop;

  Impl(CalcomSettings s, obs::Metrics& m)
      : settings(std::move(s)), metrics(m), loop(settings.max_connections) {}

  // What to send, before it becomes an HttpRequest.
  struct Call {
    std::string_view endpoint;
    std::string method = "GET";
    std::string path;  // below the base URL, e.g. "/bookings"
    Query query;
    std::string body;
    std::string_view api_version;
    std::chrono::milliseconds timeout{0};
    bool key_required = true;
  };

  static Call MakeCall(std::string_view endpoint, std::string method, std::string path,
                       std::string_view api_version, std::chrono::milliseconds timeout,
                       std::string body = {}) {
    Call call;
    call.endpoint = endpoint;
    call.method = std::move(method);
    call.path = std::move(path);
    call.api_version = api_version;
    call.timeout = timeout;
    call.body = std::move(body);
    return call;
  }

  Result<HttpRequest> Build(const CalendarAccount& account, const Call& call) const {
    auto base = NormalizedBaseUrl(account);
    if (!base) return tl::unexpected(base.error());
    if (call.key_required && account.api_key.empty()) {
      return Fail(ErrorCode::kUnauthenticated, "no cal.com API key configured");
    }
    HttpRequest r;
    r.method = call.method;
    r.url = *base + call.path + BuildQuery(call.query);
    r.body = call.body;
    r.connect_timeout = settings.connect_timeout;
    r.timeout = call.timeout;
    r.max_response_bytes = settings.max_response_bytes;
    r.headers.push_back("Accept: application/json");
    r.headers.push_back("cal-api-version: " + std::string(call.api_version));
    r.headers.push_back("User-Agent: " + settings.user_agent);
    if (!account.api_key.empty()) {
      r.headers.push_back("Authorization: Bearer " + account.api_key.Reveal());
    }
    if (call.method != "GET") r.headers.push_back("Content-Type: application/json");
    return r;
  }

  // Records metrics and turns the answer into the body of a 2xx or the port's error.
  Result<std::string> Complete(std::string_view endpoint, HttpResponse response, const Secret& key,
                               std::chrono::milliseconds timeout) {
    std::string status_label;
    std::optional<Error> error;
    switch (response.error) {
      case TransportError::kNone:
        status_label = std::to_string(response.status);
        if (response.status < 200 || response.status > 299) {
          error = ClassifyErrorResponse(endpoint, response.status, response.body);
        }
        break;
      case TransportError::kTimeout:
        status_label = "timeout";
        error = Error{ErrorCode::kTimeout, "cal.com " + std::string(endpoint) +
                                               " did not answer within " +
                                               std::to_string(timeout.count()) + " ms"};
        break;
      case TransportError::kTooLarge:
        status_label = "error";
        error = Error{ErrorCode::kInternal,
                      "cal.com " + std::string(endpoint) + ": " + response.error_message};
        break;
      case TransportError::kConnect:
      case TransportError::kShutdown:
      case TransportError::kOther:
        status_label = "unavailable";
        error = Error{ErrorCode::kUnavailable, "cal.com " + std::string(endpoint) +
                                                   " unreachable: " + response.error_message};
        break;
    }
    metrics.Increment(kRequestsMetric,
                      {{"endpoint", std::string(endpoint)}, {"status", status_label}});
    metrics.Increment(kDurationMetric, {{"endpoint", std::string(endpoint)}},
                      static_cast<double>(response.elapsed.count()));
    if (response.new_connections > 0) {
      metrics.Increment(kConnectionsMetric, {}, static_cast<double>(response.new_connections));
    }
    if (!error) return std::move(response.body);
    error->message = Redact(std::move(error->message), key);
    switch (error->code) {
      case ErrorCode::kConflict:
      case ErrorCode::kInvalidArgument:
      case ErrorCode::kNotFound:
        break;  // business outcomes, the caller decides
      default:
        obs::LogWarn("calcom_request_failed",
                     {{"endpoint", endpoint},
                      {"status", status_label},
                      {"error_code", ErrorCodeName(error->code)},
                      {"elapsed_ms", static_cast<long long>(response.elapsed.count())},
                      {"message", error->message}});
    }
    return tl::unexpected(std::move(*error));
  }

  Result<std::string> Send(const CalendarAccount& account, const Call& call) {
    auto request = Build(account, call);
    if (!request) return tl::unexpected(request.error());
    return Complete(call.endpoint, loop.Perform(std::move(*request)), account.api_key,
                    call.timeout);
  }

  Call SlotsCall(const booking::SlotQuery& q) const {
    Call call = MakeCall("slots", "GET", "/slots", kSlotsApiVersion, settings.slots_timeout);
    call.key_required = false;  // Cal.com serves public slots without a key
    call.query = {{"eventTypeId", std::to_string(q.event_type_id)},
                  {"start", FormatIso8601Utc(q.from)},
                  {"end", FormatIso8601Utc(q.to)},
                  {"timeZone", q.time_zone.empty() ? "UTC" : q.time_zone},
                  {"format", "range"}};
    if (q.duration_minutes)
      call.query.emplace_back("duration", std::to_string(*q.duration_minutes));
    return call;
  }

  static Status ValidateSlotQuery(const booking::SlotQuery& q) {
    if (q.event_type_id <= 0) return Fail(ErrorCode::kInvalidArgument, "slots need an event type");
    if (q.to <= q.from) return Fail(ErrorCode::kInvalidArgument, "slot range is empty");
    if (q.duration_minutes && *q.duration_minutes <= 0) {
      return Fail(ErrorCode::kInvalidArgument, "slot duration must be positive");
    }
    return Ok();
  }

  static Result<booking::SlotAnswer> ToAnswer(Result<std::string> body,
                                              const booking::SlotQuery& q) {
    if (!body) return tl::unexpected(body.error());
    auto slots = ParseSlotsResponse(*body, q.from, q.to, q.duration_minutes);
    if (!slots) return tl::unexpected(slots.error());
    return booking::SlotAnswer{std::move(*slots), booking::SlotSource::kLive};
  }

  Result<booking::Booking> BookingCall(const CalendarAccount& account, const Call& call) {
    auto body = Send(account, call);
    if (!body) return tl::unexpected(body.error());
    return ParseBookingResponse(*body);
  }

  // Event-type lengths per account (base URL + key), listed at most once per event_types_ttl;
  // after a failed listing the next try waits kRetryLengthsAfter.
  static constexpr std::chrono::seconds kRetryLengthsAfter{60};
  struct Lengths {
    std::chrono::steady_clock::time_point listed;
    std::map<std::int64_t, EventType> types;
    bool failed = false;
  };
  std::mutex lengths_mutex;
  std::map<std::string, Lengths> lengths;

  // The `lengthInMinutes` to send: the wanted length where the event type offers several,
  // nothing for an event type with one length or one the listing does not show (team event
  // types), nothing when the listing fails (Cal.com then books the event type's default length,
  // and the answer's `end` says so).
  std::optional<int> LengthToSend(const booking::BookingRequest& request) {
    if (!request.length_minutes) return std::nullopt;
    const std::string key = request.account.base_url + '\n' + request.account.api_key.Reveal();
    const auto now = std::chrono::steady_clock::now();
    std::optional<EventType> type;
    bool listed = false;
    {
      std::lock_guard lock(lengths_mutex);
      if (auto it = lengths.find(key);
          it != lengths.end() &&
          now - it->second.listed <
              (it->second.failed ? kRetryLengthsAfter : settings.event_types_ttl)) {
        listed = true;
        if (auto t = it->second.types.find(request.event_type_id); t != it->second.types.end()) {
          type = t->second;
        }
      }
    }
    if (!listed) {
      // Asked during a live call, before the create: bounded like a slots query.
      auto body = Send(request.account,
                       MakeCall("event_types", "GET", "/event-types", kEventTypesApiVersion,
                                std::min(settings.bookings_timeout, settings.slots_timeout)));
      auto types = body ? ParseEventTypesResponse(*body)
                        : Result<std::vector<EventType>>(tl::unexpected(body.error()));
      if (!types) {
        obs::LogWarn("calcom_event_type_lengths_unknown",
                     {{"event_type_id", static_cast<long long>(request.event_type_id)},
                      {"message", types.error().message}});
        std::lock_guard lock(lengths_mutex);
        if (lengths.size() >= kMaxLengthAccounts) lengths.clear();
        lengths[key] = Lengths{now, {}, true};
        return std::nullopt;
      }
      Lengths entry{now, {}, false};
      for (auto& t : *types) entry.types[t.id] = t;
      if (auto t = entry.types.find(request.event_type_id); t != entry.types.end()) {
        type = t->second;
      }
      std::lock_guard lock(lengths_mutex);
      if (lengths.size() >= kMaxLengthAccounts) lengths.clear();
      lengths[key] = std::move(entry);
    }
    if (!type || !OffersSeveralLengths(*type)) return std::nullopt;
    return request.length_minutes;
  }

  Result<std::string> UidPath(std::string_view uid, std::string_view suffix) const {
    if (uid.empty()) return Fail(ErrorCode::kInvalidArgument, "booking uid is empty");
    return "/bookings/" + UrlEncode(uid) + std::string(suffix);
  }
};

CalcomClient::CalcomClient(CalcomSettings settings, observability::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(settings), metrics)) {
  metrics.Describe(kRequestsMetric, "Cal.com API requests by endpoint and HTTP status");
  metrics.Describe(kDurationMetric, "Summed wall time of Cal.com API requests in milliseconds");
  metrics.Describe(kConnectionsMetric, "TCP connections opened to Cal.com");
}

CalcomClient::~CalcomClient() = default;

Result<booking::SlotAnswer> CalcomClient::GetSlots(const booking::SlotQuery& query) {
  if (auto valid = Impl::ValidateSlotQuery(query); !valid) return tl::unexpected(valid.error());
  return Impl::ToAnswer(impl_->Send(query.account, impl_->SlotsCall(query)), query);
}

std::vector<Result<booking::SlotAnswer>> CalcomClient::GetSlotsMany(
    const std::vector<booking::SlotQuery>& queries) {
  std::vector<Result<booking::SlotAnswer>> out(queries.size(),
                                               Fail(ErrorCode::kInternal, "not sent"));
  std::vector<HttpRequest> requests;
  std::vector<std::size_t> sent;  // index into queries of each request
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (auto valid = Impl::ValidateSlotQuery(queries[i]); !valid) {
      out[i] = tl::unexpected(valid.error());
      continue;
    }
    auto request = impl_->Build(queries[i].account, impl_->SlotsCall(queries[i]));
    if (!request) {
      out[i] = tl::unexpected(request.error());
      continue;
    }
    requests.push_back(std::move(*request));
    sent.push_back(i);
  }
  auto responses = impl_->loop.PerformAll(std::move(requests));
  for (std::size_t k = 0; k < responses.size(); ++k) {
    const auto& q = queries[sent[k]];
    out[sent[k]] = Impl::ToAnswer(impl_->Complete("slots", std::move(responses[k]),
                                                  q.account.api_key, impl_->settings.slots_timeout),
                                  q);
  }
  return out;
}

Result<booking::Booking> CalcomClient::CreateBooking(const booking::BookingRequest& request) {
  if (auto valid = ValidateBookingRequest(request); !valid) return tl::unexpected(valid.error());
  if (auto base = NormalizedBaseUrl(request.account); !base) return tl::unexpected(base.error());
  if (request.account.api_key.empty()) {
    return Fail(ErrorCode::kUnauthenticated, "no cal.com API key configured");
  }
  const std::optional<int> length = impl_->LengthToSend(request);
  return impl_->BookingCall(
      request.account,
      Impl::MakeCall("bookings_create", "POST", "/bookings", kBookingsApiVersion,
                     impl_->settings.bookings_timeout, BuildCreateBookingBody(request, length)));
}

Result<booking::Booking> CalcomClient::CancelBooking(const CalendarAccount& account,
                                                     const std::string& uid,
                                                     const std::string& reason,
                                                     const booking::BookingChange& change) {
  auto path = impl_->UidPath(uid, "/cancel");
  if (!path) return tl::unexpected(path.error());
  return impl_->BookingCall(
      account, Impl::MakeCall("bookings_cancel", "POST", *path, kBookingsApiVersion,
                              impl_->settings.bookings_timeout, BuildCancelBody(reason, change)));
}

Result<booking::Booking> CalcomClient::RescheduleBooking(const CalendarAccount& account,
                                                         const std::string& uid,
                                                         SystemTimePoint new_start,
                                                         const std::string& reason,
                                                         const booking::BookingChange& change) {
  auto path = impl_->UidPath(uid, "/reschedule");
  if (!path) return tl::unexpected(path.error());
  return impl_->BookingCall(
      account, Impl::MakeCall("bookings_reschedule", "POST", *path, kBookingsApiVersion,
                              impl_->settings.bookings_timeout,
                              BuildRescheduleBody(new_start, reason, change)));
}

Result<booking::Booking> CalcomClient::GetBooking(const CalendarAccount& account,
                                                  const std::string& uid) {
  auto path = impl_->UidPath(uid, "");
  if (!path) return tl::unexpected(path.error());
  return impl_->BookingCall(account,
                            Impl::MakeCall("bookings_get", "GET", *path, kBookingsApiVersion,
                                           impl_->settings.bookings_timeout));
}

Result<std::vector<booking::Booking>> CalcomClient::ListBookings(
    const CalendarAccount& account, const booking::BookingFilter& filter) {
  const int want = std::max(1, filter.take);
  std::vector<booking::Booking> out;
  for (int page = 0; page < impl_->settings.max_list_pages; ++page) {
    const int remaining = want - static_cast<int>(out.size());
    Impl::Call call = Impl::MakeCall("bookings_list", "GET", "/bookings", kBookingsApiVersion,
                                     impl_->settings.bookings_timeout);
    if (!filter.status.empty()) call.query.emplace_back("status", filter.status);
    if (!filter.attendee_email.empty()) {
      call.query.emplace_back("attendeeEmail", filter.attendee_email);
    }
    if (!filter.attendee_name.empty())
      call.query.emplace_back("attendeeName", filter.attendee_name);
    if (filter.event_type_id) {
      call.query.emplace_back("eventTypeId", std::to_string(*filter.event_type_id));
    }
    if (filter.after_start)
      call.query.emplace_back("afterStart", FormatIso8601Utc(*filter.after_start));
    if (filter.before_end)
      call.query.emplace_back("beforeEnd", FormatIso8601Utc(*filter.before_end));
    call.query.emplace_back("sortStart", "asc");
    call.query.emplace_back("take", std::to_string(std::min(remaining, kMaxPageSize)));
    call.query.emplace_back("skip", std::to_string(out.size()));
    auto body = impl_->Send(account, call);
    if (!body) return tl::unexpected(body.error());
    auto parsed = ParseBookingListResponse(*body);
    if (!parsed) return tl::unexpected(parsed.error());
    for (auto& b : parsed->bookings) {
      if (static_cast<int>(out.size()) < want) out.push_back(std::move(b));
    }
    if (!parsed->has_next_page || parsed->bookings.empty() ||
        static_cast<int>(out.size()) >= want) {
      break;
    }
  }
  return out;
}

Result<std::vector<EventType>> CalcomClient::ListEventTypes(const CalendarAccount& account) {
  auto body =
      impl_->Send(account, Impl::MakeCall("event_types", "GET", "/event-types",
                                          kEventTypesApiVersion, impl_->settings.bookings_timeout));
  if (!body) return tl::unexpected(body.error());
  return ParseEventTypesResponse(*body);
}

Result<std::vector<booking::AccountEventType>> CalcomClient::ListAccountEventTypes(
    const CalendarAccount& account) {
  auto types = ListEventTypes(account);
  if (!types) return tl::unexpected(types.error());
  std::vector<booking::AccountEventType> out;
  out.reserve(types->size());
  for (const auto& t : *types) out.push_back({t.id, t.recurring});
  return out;
}

}  // namespace callgate::calcom
