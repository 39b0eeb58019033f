#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace callgate::http {

namespace {

// Splits "/a/b" into {"a","b"}; "/" gives no segments. A trailing or doubled slash yields an
// empty segment, which no route can match.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') {
    segments.emplace_back();  // unmatchable
    return segments;
  }
  path.remove_prefix(1);
  if (path.empty()) return segments;
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsParamName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

void Router::Use(MiddlewarePtr middleware) {
  if (!middleware) throw std::invalid_argument("Router::Use: null middleware");
  global_.push_back(std::move(middleware));
}

void Router::Add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  const std::string where = "route " + std::string(MethodName(method)) + " " + std::string(pattern);
  if (method == Method::kOther) throw std::invalid_argument(where + ": unsupported method");
  if (!handler) throw std::invalid_argument(where + ": null handler");
  for (const auto& guard : options.guards) {
    if (!guard) throw std::invalid_argument(where + ": null guard");
  }
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument(where + ": pattern must start with '/'");
  }

  if (options.answer_inline && !options.guards.empty()) {
    throw std::invalid_argument(where + ": a route answered inline cannot have guards");
  }
  if (options.answer_inline && options.try_inline) {
    throw std::invalid_argument(where + ": answer_inline and try_inline exclude each other");
  }
  Route route{method,
              std::string(pattern),
              {},
              std::move(handler),
              std::move(options.guards),
              options.answer_inline,
              options.try_inline};
  for (std::string_view text : SplitPath(pattern)) {
    if (text.empty()) throw std::invalid_argument(where + ": empty path segment");
    Segment segment;
    if (text.front() == '{') {
      if (text.back() != '}' || !IsParamName(text.substr(1, text.size() - 2))) {
        throw std::invalid_argument(where + ": parameters look like {name} with [a-z0-9_]");
      }
      segment.text = std::string(text.substr(1, text.size() - 2));
      segment.is_param = true;
      for (const auto& other : route.segments) {
        if (other.is_param && other.text == segment.text) {
          throw std::invalid_argument(where + ": duplicate parameter {" + segment.text + "}");
        }
      }
    } else {
      if (text.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument(where + ": braces only around a whole segment");
      }
      segment.text = std::string(text);
    }
    route.segments.push_back(std::move(segment));
  }

  // Two patterns that differ only in parameter names would match the same requests.
  for (const auto& existing : routes_) {
    if (existing.method != method || existing.segments.size() != route.segments.size()) continue;
    bool same_shape = true;
    for (std::size_t i = 0; i < route.segments.size() && same_shape; ++i) {
      const auto& a = existing.segments[i];
      const auto& b = route.segments[i];
      same_shape = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same_shape) throw std::invalid_argument(where + ": duplicate of " + existing.pattern);
  }
  if (route.answer_inline) {
    for (const auto& segment : route.segments) {
      if (segment.is_param) {
        throw std::invalid_argument(where + ": a route answered inline cannot have parameters");
      }
    }
    inline_routes_.emplace_back(method, route.pattern);
  }
  any_try_inline_ = any_try_inline_ || route.try_inline;
  routes_.push_back(std::move(route));
}

std::vector<RouteDescription> Router::Describe() const {
  std::vector<RouteDescription> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) {
    RouteDescription description{
        route.method, route.pattern, {}, route.answer_inline, route.try_inline};
    for (const auto& guard : route.guards) description.guards.emplace_back(guard->Name());
    out.push_back(std::move(description));
  }
  return out;
}

InlineMode Router::Inline(Method method, std::string_view path) const {
  for (const auto& [m, pattern] : inline_routes_) {
    if (m == method && pattern == path) return InlineMode::kAnswer;
  }
  if (!any_try_inline_) return InlineMode::kNo;
  const Route* route = Find(method, SplitPath(path), nullptr);
  return route != nullptr && route->try_inline ? InlineMode::kTry : InlineMode::kNo;
}

Response Router::Handle(Request& request) const {
  const Handler dispatch = [this](Request& r) { return Dispatch(r); };
  return RunChain(global_, request, dispatch);
}

const Router::Route* Router::Find(Method method, const std::vector<std::string_view>& segments,
                                  std::vector<Method>* allowed) const {
  auto matches = [&](const Route& route) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& s = route.segments[i];
      if (s.is_param ? segments[i].empty() : s.text != segments[i]) return false;
    }
    return true;
  };
  // True when `a` is more specific than `b`: at the first position where one has a literal and
  // the other a parameter, the literal wins.
  auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  };

  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!matches(route)) continue;
    if (allowed != nullptr &&
        std::find(allowed->begin(), allowed->end(), route.method) == allowed->end()) {
      allowed->push_back(route.method);
    }
    if (route.method != method) continue;
    if (best == nullptr || more_specific(route, *best)) best = &route;
  }
  return best;
}

Response Router::Dispatch(Request& request) const {
  const auto segments = SplitPath(request.path);
  std::vector<Method> allowed;
  const Route* best = Find(request.method, segments, &allowed);

  if (best == nullptr) {
    if (allowed.empty()) return Response::Error(ErrorCode::kNotFound, "no such route");
    std::sort(allowed.begin(), allowed.end());
    std::string allow;
    for (Method m : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += MethodName(m);
    }
    Response response = Response::Error(405, "method not allowed; allowed: " + allow);
    response.headers.Set("Allow", std::move(allow));
    return response;
  }

  request.route_pattern = best->pattern;
  request.route_params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (best->segments[i].is_param) {
      request.route_params.emplace_back(best->segments[i].text, PercentDecode(segments[i], false));
    }
  }
  return RunChain(best->guards, request, best->handler);
}

}  // namespace callgate::http
