// Trusted proxies (client address from X-Forwarded-For) and the IP allowlist guard, by hand and
// through a real server on 127.0.0.1.

#include "http/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"

namespace callgate::http {
namespace {

std::vector<IpNetwork> Networks(std::initializer_list<std::string_view> cidrs) {
  std::vector<IpNetwork> networks;
  for (auto cidr : cidrs) networks.push_back(IpNetwork::Parse(cidr).value());
  return networks;
}

// Runs the middleware on a request from `peer` with the given headers; returns what the
// handler saw.
struct Seen {
  std::string client;
  std::optional<std::string> forwarded_for;
  std::optional<std::string> proto;
};

Seen Through(const Middleware& middleware, std::string peer,
             std::vector<std::pair<std::string, std::string>> headers) {
  Request request;
  request.peer_address = std::move(peer);
  for (auto& [name, value] : headers) request.headers.Add(name, value);
  Seen seen;
  Handler handler = [&](Request& r) {
    seen.client = std::string(r.ClientAddress());
    if (auto v = r.Header(kForwardedForHeader)) seen.forwarded_for = std::string(*v);
    if (auto v = r.Header(kForwardedProtoHeader)) seen.proto = std::string(*v);
    return Response::NoContent();
  };
  middleware.Handle(request, Next({}, handler));
  return seen;
}

TEST(TrustedProxies, TrustsNoProxyByDefault) {
  TrustedProxyMiddleware middleware{TrustedProxies()};
  Seen seen = Through(middleware, "127.0.0.1",
                      {{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(seen.client, "127.0.0.1");
  EXPECT_FALSE(seen.forwarded_for.has_value());
  EXPECT_FALSE(seen.proto.has_value());
}

TEST(TrustedProxies, SpoofedForwardedForFromAnUntrustedPeerChangesNothing) {
  TrustedProxyMiddleware middleware{TrustedProxies(Networks({"10.0.0.0/8"}))};
  Seen seen = Through(middleware, "198.51.100.23",
                      {{"X-Forwarded-For", "10.0.0.1, 192.0.2.1"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(seen.client, "198.51.100.23");
  EXPECT_FALSE(seen.forwarded_for.has_value());  // removed, so nothing later can trust it
  EXPECT_FALSE(seen.proto.has_value());
}

TEST(TrustedProxies, HonoursForwardedForFromATrustedIpv4Proxy) {
  TrustedProxyMiddleware middleware{TrustedProxies(Networks({"10.0.0.0/8"}))};
  Seen seen = Through(middleware, "10.1.2.3",
                      {{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(seen.client, "203.0.113.9");
  EXPECT_EQ(seen.forwarded_for, "203.0.113.9");
  EXPECT_EQ(seen.proto, "https");
}

TEST(TrustedProxies, HonoursForwardedForFromATrustedIpv6Proxy) {
  TrustedProxyMiddleware middleware{TrustedProxies(Networks({"2001:db8:1::/48"}))};
  EXPECT_EQ(Through(middleware, "2001:db8:1::5", {{"X-Forwarded-For", "2001:db8:ffff::42"}}).client,
            "2001:db8:ffff::42");
  EXPECT_EQ(Through(middleware, "[2001:db8:1::5]", {{"X-Forwarded-For", "[2001:db8:ffff::42]:443"}})
                .client,
            "2001:db8:ffff::42");
  // An IPv6 peer outside the network is not trusted.
  EXPECT_EQ(Through(middleware, "2001:db8:2::5", {{"X-Forwarded-For", "192.0.2.1"}}).client,
            "2001:db8:2::5");
}

TEST(TrustedProxies, ClientIsTheRightMostHopThatIsNotATrustedProxy) {
  TrustedProxies proxies(Networks({"10.0.0.0/8", "2001:db8:1::/48"}));
  // The client forged the two left-most entries; our proxies appended the rest.
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"6.6.6.6, 10.9.9.9, 203.0.113.9, 10.0.0.2"}),
            "203.0.113.9");
  // Several header fields are one list, in order.
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"6.6.6.6", "198.51.100.4", "2001:db8:1::9"}),
            "198.51.100.4");
  // Ports are dropped.
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"198.51.100.4:5060, 10.0.0.7:80"}), "198.51.100.4");
  // Every hop trusted: the left-most one is as close to the client as we can know.
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"10.0.0.3, 10.0.0.2"}), "10.0.0.3");
  // No header from a trusted peer: the peer itself.
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {}), "10.0.0.1");
}

TEST(TrustedProxies, MalformedHopsAreNeverTakenAsTheClient) {
  TrustedProxies proxies(Networks({"10.0.0.0/8"}));
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"garbage, 203.0.113.9"}), "203.0.113.9");
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"unknown"}), "10.0.0.1");
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"6.6.6.6, not-an-ip, 10.0.0.2"}), "10.0.0.2");
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"203.0.113.9, , "}), "203.0.113.9");
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"[::1"}), "10.0.0.1");
  EXPECT_EQ(proxies.ResolveClient("10.0.0.1", {"1.2.3.4:"}), "10.0.0.1");
}

TEST(TrustedProxies, ForwardedProtoIsNormalisedFromTrustedProxies) {
  TrustedProxyMiddleware middleware{TrustedProxies(Networks({"10.0.0.0/8"}))};
  EXPECT_EQ(Through(middleware, "10.0.0.1", {{"X-Forwarded-Proto", "http, HTTPS"}}).proto, "https");
  EXPECT_FALSE(
      Through(middleware, "10.0.0.1", {{"X-Forwarded-Proto", "gopher"}}).proto.has_value());
}

// Through the real server: the TCP peer is 127.0.0.1.
class TrustedProxiesServerTest : public ::testing::Test {
 protected:
  void Start(std::vector<IpNetwork> trusted, std::vector<IpNetwork> allowlist = {}) {
    router_.Use(MakeTrustedProxyMiddleware(std::move(trusted)));
    Handler echo = [](Request& r) {
      return Response::Json(200, {{"client", std::string(r.ClientAddress())}});
    };
    router_.Add(Method::kGet, "/whoami", echo);
    // A stand-in for the signature guard: only "X-Signature: valid" passes.
    auto signature = MakeFilter("fake_signature", [](Request& r) -> std::optional<Response> {
      if (r.Header("X-Signature") == std::optional<std::string_view>("valid")) return std::nullopt;
      return Response::Error(ErrorCode::kUnauthenticated, "invalid or missing signature");
    });
    router_.Add(
        Method::kGet, "/signed", echo,
        {{MakeIpAllowlistGuard(std::move(allowlist), [this](const Request&) { ++refused_; }),
          signature}});
    ServerSettings settings;
    settings.port = 0;
    settings.worker_threads = 1;
    settings.drain_timeout = std::chrono::seconds(5);
    server_ = std::make_unique<Server>(settings, router_);
    ASSERT_TRUE(server_->Start().has_value());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  testing::ClientResponse Get(std::string target, Headers headers = {}) {
    auto response = testing::TestClient(server_->port()).Get(std::move(target), headers);
    EXPECT_TRUE(response.has_value()) << response.error().message;
    return response.value_or(testing::ClientResponse{});
  }
  static std::string ClientOf(const testing::ClientResponse& response) {
    return nlohmann::json::parse(response.body).at("client").get<std::string>();
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::atomic<int> refused_{0};
};

TEST_F(TrustedProxiesServerTest, UntrustedPeerCannotChooseItsAddress) {
  Start(Networks({"10.0.0.0/8"}));
  Headers headers;
  headers.Set("X-Forwarded-For", "203.0.113.9");
  EXPECT_EQ(ClientOf(Get("/whoami", headers)), "127.0.0.1");
}

TEST_F(TrustedProxiesServerTest, TrustedPeerForwardsTheClientAddress) {
  Start(Networks({"127.0.0.0/8"}));
  Headers headers;
  headers.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9");
  EXPECT_EQ(ClientOf(Get("/whoami", headers)), "203.0.113.9");
}

TEST_F(TrustedProxiesServerTest, AllowlistNeverAdmitsAnUnsignedRequest) {
  Start({}, Networks({"127.0.0.1/32"}));
  // Allowlisted address, no signature: the signature guard still refuses.
  auto unsigned_response = Get("/signed");
  EXPECT_EQ(unsigned_response.status, 401);
  Headers signed_headers;
  signed_headers.Set("X-Signature", "valid");
  EXPECT_EQ(Get("/signed", signed_headers).status, 200);
  EXPECT_EQ(refused_.load(), 0);
}

TEST_F(TrustedProxiesServerTest, AllowlistRefusesOtherAddressesEvenWhenSigned) {
  Start({}, Networks({"192.0.2.0/24"}));
  Headers headers;
  headers.Set("X-Signature", "valid");
  headers.Set("X-Forwarded-For", "192.0.2.5");  // spoofed: the peer is not a trusted proxy
  auto response = Get("/signed", headers);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "permission_denied");
  EXPECT_EQ(refused_.load(), 1);
}

TEST_F(TrustedProxiesServerTest, AllowlistUsesTheAddressForwardedByTrustedProxies) {
  Start(Networks({"127.0.0.0/8"}), Networks({"192.0.2.0/24"}));
  Headers headers;
  headers.Set("X-Signature", "valid");
  headers.Set("X-Forwarded-For", "192.0.2.5");
  EXPECT_EQ(Get("/signed", headers).status, 200);
  headers.Set("X-Forwarded-For", "198.51.100.1");
  EXPECT_EQ(Get("/signed", headers).status, 403);
}

TEST(IpAllowlist, EmptyListRefusesEverything) {
  auto guard = MakeIpAllowlistGuard({});
  Request request;
  request.peer_address = "127.0.0.1";
  Handler handler = [](Request&) { return Response::NoContent(); };
  EXPECT_EQ(guard->Handle(request, Next({}, handler)).status, 403);
  EXPECT_EQ(guard->Name(), "ip_allowlist");
}

}  // namespace
}  // namespace callgate::http
