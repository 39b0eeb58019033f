#pragma once
// Calls one of the agent's tools the way Retell does: the function-call body for an inbound
// phone call from `from` to `to`, signed with the Retell key at `now`, posted to
// /api/retell/<name>. Answers the HTTP status and the parsed body (status 0 when the request
// failed). For integration tests.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/secret.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "retell/signature.hpp"

namespace callgate::testing {

inline std::pair<int, nlohmann::json> CallRetellTool(
    http::testing::TestClient& client, const Secret& key, SystemTimePoint now,
    const std::string& name, const nlohmann::json& args, const std::string& call_id,
    const std::string& from, const std::string& to) {
  const nlohmann::json body = {{"name", name},
                               {"call",
                                {{"call_id", call_id},
                                 {"call_type", "phone_call"},
                                 {"from_number", from},
                                 {"to_number", to},
                                 {"direction", "inbound"},
                                 {"agent_id", "agent_1"},
                                 {"call_status", "ongoing"}}},
                               {"args", args}};
  http::Headers headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Retell-Signature", retell::SignRetellPayload(body.dump(), key, ToUnixMillis(now)));
  auto r = client.Post("/api/retell/" + name, body.dump(), headers);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) return {0, nlohmann::json()};
  return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
}

}  // namespace callgate::testing
