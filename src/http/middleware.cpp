#include "http/middleware.hpp"

#include <array>
#include <exception>
#include <random>

#include "core/blocking.hpp"
#include "core/json_depth.hpp"

namespace callgate::http {

Response Next::operator()(Request& request) const {
  if (rest_.empty()) return (*terminal_)(request);
  return rest_.front()->Handle(request, Next(rest_.subspan(1), *terminal_));
}

Response RunChain(std::span<const MiddlewarePtr> chain, Request& request, const Handler& terminal) {
  return Next(chain, terminal)(request);
}

namespace {

class FilterMiddleware final : public Middleware {
 public:
  FilterMiddleware(std::string name, std::function<std::optional<Response>(Request&)> check)
      : name_(std::move(name)), check_(std::move(check)) {}

  std::string_view Name() const noexcept override { return name_; }

  Response Handle(Request& request, const Next& next) const override {
    if (auto rejection = check_(request)) return std::move(*rejection);
    return next(request);
  }

 private:
  std::string name_;
  std::function<std::optional<Response>(Request&)> check_;
};

}  // namespace

MiddlewarePtr MakeFilter(std::string name, std::function<std::optional<Response>(Request&)> check) {
  return std::make_shared<FilterMiddleware>(std::move(name), std::move(check));
}

bool RequestIdMiddleware::IsValid(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string RequestIdMiddleware::Generate() {
  // Not a secret, but unpredictable ids keep clients from colliding with or guessing others'.
  // A per-thread engine avoids a lock on the hot path.
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string id(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = engine();
    for (std::size_t i = 0; i < 16; ++i) {
      id[half * 16 + i] = kHex[bits & 0xF];
      bits >>= 4;
    }
  }
  return id;
}

Response NoStoreMiddleware::Handle(Request& request, const Next& next) const {
  return AfterAnswer(next(request), [](Response response) {
    if (!response.headers.Has("Cache-Control")) response.headers.Set("Cache-Control", "no-store");
    response.headers.Set("X-Content-Type-Options", "nosniff");
    return response;
  });
}

Response RequestIdMiddleware::Handle(Request& request, const Next& next) const {
  const auto incoming = request.Header(kHeader);
  request.request_id = (incoming && IsValid(*incoming)) ? std::string(*incoming) : Generate();
  return AfterAnswer(next(request), [&request](Response response) {
    response.headers.Set(std::string(kHeader), request.request_id);
    response.AttachRequestId(request.request_id);
    return response;
  });
}

Response AccessLogMiddleware::Handle(Request& request, const Next& next) const {
  return AfterAnswer(next(request), [this, &request](Response response) {
    if (callback_) {
      const auto elapsed = std::chrono::steady_clock::now() - request.received_at;
      try {
        callback_(request, response, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
      } catch (...) {
        // A failing log sink must not change the answer the client gets.
      }
    }
    return response;
  });
}

Response CatchAllMiddleware::Handle(Request& request, const Next& next) const {
  std::string what;
  try {
    return next(request);
  } catch (const WouldBlock&) {
    throw;  // not a failure: the server runs the request again where it may block
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "non-standard exception";
  }
  if (on_exception_) {
    try {
      on_exception_(request, what);
    } catch (...) {
      // Reporting is best effort; the client still gets its 500.
    }
  }
  return Response::Error(ErrorCode::kInternal, "internal error");
}

Response BodyLimitMiddleware::Handle(Request& request, const Next& next) const {
  if (request.body.size() > max_body_bytes_) {
    return Response::Error(ErrorCode::kPayloadTooLarge,
                           "request body exceeds " + std::to_string(max_body_bytes_) + " bytes");
  }
  return next(request);
}

Response JsonDepthMiddleware::Handle(Request& request, const Next& next) const {
  if (!JsonDepthWithin(request.body, max_depth_)) {
    return Response::Error(ErrorCode::kInvalidArgument, "the body is nested deeper than " +
                                                            std::to_string(max_depth_) + " levels");
  }
  return next(request);
}

}  // namespace callgate::http
