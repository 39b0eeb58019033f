#pragma once
// The Origin check of the MCP endpoint (Streamable HTTP, against DNS rebinding): a request
// that carries an `Origin` header must name one of the allowed origins, else 403. Requests
// without one (server-side clients such as the voice platforms and the SDKs) pass.

#include <string>
#include <vector>

#include "http/middleware.hpp"

namespace callgate::mcp {

// A guard named "mcp_origin". `allowed` holds origins such as "https://app.example.com"
// (compared without case and without a trailing slash); empty = no browser origin is allowed.
http::MiddlewarePtr MakeOriginGuard(std::vector<std::string> allowed);

}  // namespace callgate::mcp
