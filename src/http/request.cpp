#include "http/request.hpp"

#include <algorithm>

#include "core/encoding.hpp"

namespace callgate::http {

std::string_view MethodName(Method method) noexcept {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

Method ParseMethod(std::string_view token) noexcept {
  for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kPatch,
                   Method::kDelete, Method::kOptions}) {
    if (token == MethodName(m)) return m;
  }
  return Method::kOther;
}

std::string PercentDecode(std::string_view input, bool plus_as_space) {
  std::string out;
  out.reserve(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c == '%' && i + 2 < input.size()) {
      const int hi = HexDigitValue(input[i + 1]);
      const int lo = HexDigitValue(input[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

QueryParams ParseQueryString(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos) {
      params.emplace_back(PercentDecode(piece, true), std::string{});
    } else {
      params.emplace_back(PercentDecode(piece.substr(0, eq), true),
                          PercentDecode(piece.substr(eq + 1), true));
    }
  }
  return params;
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::RouteParam(std::string_view name) const {
  for (const auto& [key, value] : route_params) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view Request::ClientAddress() const noexcept {
  if (attributes.client_address && !attributes.client_address->empty()) {
    return *attributes.client_address;
  }
  return peer_address;
}

}  // namespace callgate::http
