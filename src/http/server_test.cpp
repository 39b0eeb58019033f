// End-to-end tests of the HTTP edge through a real server on 127.0.0.1, port 0.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "core/blocking.hpp"
#include "http/pending_answer.hpp"
#include "http/testing/test_client.hpp"

namespace callgate::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ClientRequest;
using testing::ClientResponse;
using testing::RawConnection;
using testing::TestClient;

// A one-shot gate a handler can wait on (bounded, so a failing test never hangs) and that the
// test opens. Open() is idempotent.
class Gate {
 public:
  void Open() {
    std::call_once(once_, [this] { promise_.set_value(); });
  }
  bool WaitFor(milliseconds timeout) const {
    return future_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  std::once_flag once_;
  std::promise<void> promise_;
  std::shared_future<void> future_ = promise_.get_future().share();
};

ServerSettings BaseSettings(std::size_t io_threads) {
  ServerSettings settings;
  settings.address = "127.0.0.1";
  settings.port = 0;
  settings.io_threads = io_threads;
  settings.worker_threads = 2;
  settings.queue_capacity = 16;
  settings.read_timeout = seconds(5);
  settings.handler_timeout = seconds(20);
  settings.write_timeout = seconds(5);
  settings.drain_timeout = seconds(10);
  settings.limits.max_body_bytes = 1024;
  settings.limits.max_url_bytes = 512;
  settings.limits.max_header_value_bytes = 1024;
  settings.limits.max_header_count = 20;
  return settings;
}

nlohmann::json ErrorOf(const ClientResponse& response) {
  return nlohmann::json::parse(response.body).at("error");
}

// Polls `condition` every few milliseconds for up to 10 s; for waiting on another thread's
// progress that has no event to wait on.
template <typename Condition>
bool Eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

// Every test runs with one I/O thread and with two (two listeners on one socket).
class ServerTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  ServerSettings TestSettings() const { return BaseSettings(GetParam()); }
  void StartServer() { StartServer(TestSettings()); }
  void StartServer(ServerSettings settings) {
    server_ = std::make_unique<Server>(std::move(settings), router_);
    const Status started = server_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
    ASSERT_NE(server_->port(), 0);
  }
  TestClient Client() const { return TestClient(server_->port(), seconds(15)); }

  // A connection whose request announces a body far over the limit (POST /echo), once the
  // server has refused it: it then lingers. nullopt when it could not be sent or was not refused.
  std::optional<RawConnection> OpenRefusedConnection() {
    auto connection = RawConnection::Connect(server_->port());
    if (!connection) return std::nullopt;
    const auto refused = server_->Stats().refused_too_large;
    if (!connection->Send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nxxxx")) {
      return std::nullopt;
    }
    if (!Eventually([&] { return server_->Stats().refused_too_large == refused + 1; })) {
      return std::nullopt;
    }
    return std::move(*connection);
  }

  // Adds GET /block, starts a server with one handler thread and a queue of one, and fills
  // both: one /block runs (held until slow_gate_ opens), one waits in the queue. The returned
  // futures answer 200 once slow_gate_ opens.
  std::pair<std::future<Result<ClientResponse>>, std::future<Result<ClientResponse>>>
  StartWithBusyWorkerAndFullQueue(std::atomic<std::thread::id>* blocking_thread = nullptr) {
    return StartWithBusyWorkerAndFullQueue(TestSettings(), blocking_thread);
  }
  // The same with `settings` (worker_threads and queue_capacity are set to 1).
  std::pair<std::future<Result<ClientResponse>>, std::future<Result<ClientResponse>>>
  StartWithBusyWorkerAndFullQueue(ServerSettings settings,
                                  std::atomic<std::thread::id>* blocking_thread = nullptr) {
    auto first_started = std::make_shared<Gate>();
    router_.Add(Method::kGet, "/block", [this, first_started, blocking_thread](Request&) {
      if (blocking_thread != nullptr) *blocking_thread = std::this_thread::get_id();
      first_started->Open();
      slow_gate_.WaitFor(seconds(20));
      return Response::Text(200, "done");
    });
    settings.worker_threads = 1;
    settings.queue_capacity = 1;
    StartServer(settings);
    auto running = std::async(std::launch::async, [this] { return Client().Get("/block"); });
    EXPECT_TRUE(first_started->WaitFor(seconds(15)));
    auto queued = std::async(std::launch::async, [this] { return Client().Get("/block"); });
    EXPECT_TRUE(Eventually([this] { return server_->Stats().queued == 1; }));
    return {std::move(running), std::move(queued)};
  }

  void TearDown() override {
    slow_gate_.Open();
    server_.reset();
  }

  Gate slow_gate_;  // opened in TearDown at the latest
  Router router_;
  std::unique_ptr<Server> server_;
};

TEST_P(ServerTest, PortZeroBindsARealPortAndASecondServerCannotTakeIt) {
  router_.Add(Method::kGet, "/health", [](Request&) { return Response::Text(200, "ok"); });
  StartServer();
  ServerSettings clash = TestSettings();
  clash.port = server_->port();
  Server second(clash, router_);
  const Status started = second.Start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(Client().Get("/health")->status, 200);
}

TEST_P(ServerTest, RejectsBadSettings) {
  ServerSettings settings = TestSettings();
  settings.address = "not-an-ip";
  Server server(settings, router_);
  const Status started = server.Start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(server.port(), 0);
}

TEST_P(ServerTest, RoutesWithParamsQueryHeadersAndRawBody) {
  router_.Add(Method::kPost, "/api/retell/{function}", [](Request& request) {
    return Response::Json(200, {{"function", *request.RouteParam("function")},
                                {"call_id", *request.QueryParam("call_id")},
                                {"signature", *request.Header("x-retell-signature")},
                                {"body", request.body},
                                {"peer", request.peer_address},
                                {"route", request.route_pattern}});
  });
  StartServer();
  Headers headers;
  headers.Add("X-Retell-Signature", "v=1,d=ab");
  const std::string raw_body = "{\"args\": {\"name\": \"M\xC3\xBCller\"}}  ";
  const auto response =
      Client().Post("/api/retell/book-appointment?call_id=c%201", raw_body, headers);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  const auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["function"], "book-appointment");
  EXPECT_EQ(body["call_id"], "c 1");
  EXPECT_EQ(body["signature"], "v=1,d=ab");
  EXPECT_EQ(body["body"], raw_body);
  EXPECT_EQ(body["peer"], "127.0.0.1");
  EXPECT_EQ(body["route"], "/api/retell/{function}");
}

TEST_P(ServerTest, UnknownPathIs404JsonWithRequestId) {
  StartServer();
  const auto response = Client().Get("/nope");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers.Get("Content-Type"), kJsonContentType);
  const auto error = ErrorOf(*response);
  EXPECT_EQ(error["code"], "not_found");
  EXPECT_TRUE(error["message"].is_string());
  ASSERT_TRUE(response->headers.Get("X-Request-Id").has_value());
  EXPECT_EQ(error["request_id"], *response->headers.Get("X-Request-Id"));
}

TEST_P(ServerTest, WrongMethodIs405WithAllow) {
  router_.Add(Method::kPost, "/webhooks/retell", [](Request&) { return Response::NoContent(); });
  StartServer();
  const auto response = Client().Get("/webhooks/retell");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.Get("Allow"), "POST");
  EXPECT_EQ(ErrorOf(*response)["code"], "method_not_allowed");
}

TEST_P(ServerTest, RequestIdIsGeneratedEchoedOrReplaced) {
  router_.Add(Method::kGet, "/id",
              [](Request& request) { return Response::Text(200, request.request_id); });
  StartServer();

  const auto generated = Client().Get("/id");
  ASSERT_TRUE(generated.has_value());
  EXPECT_EQ(generated->body.size(), 32u);
  EXPECT_EQ(generated->headers.Get("X-Request-Id"), generated->body);

  Headers sane;
  sane.Add("X-Request-Id", "retell-call_42");
  const auto echoed = Client().Get("/id", sane);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->body, "retell-call_42");
  EXPECT_EQ(echoed->headers.Get("X-Request-Id"), "retell-call_42");

  for (const std::string& bad : {std::string(65, 'a'), std::string("a b"), std::string("<x>")}) {
    Headers headers;
    headers.Add("X-Request-Id", bad);
    const auto replaced = Client().Get("/id", headers);
    ASSERT_TRUE(replaced.has_value());
    EXPECT_NE(replaced->body, bad);
    EXPECT_EQ(replaced->body.size(), 32u);
    EXPECT_EQ(replaced->headers.Get("X-Request-Id"), replaced->body);
  }
}

TEST_P(ServerTest, BodyJustOverTheLimitIs413Json) {
  router_.Add(Method::kPost, "/echo", [](Request& request) {
    return Response::Text(200, std::to_string(request.body.size()));
  });
  StartServer();  // max_body_bytes = 1024
  const auto at_limit = Client().Post("/echo", std::string(1024, 'x'));
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(at_limit->status, 200);
  EXPECT_EQ(at_limit->body, "1024");

  const auto over = Client().Post("/echo", std::string(1025, 'x'));
  ASSERT_TRUE(over.has_value()) << over.error().message;
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(ErrorOf(*over)["code"], "payload_too_large");
}

TEST_P(ServerTest, BodyAnnouncedOverTheHardLimitIs413ThenClosed) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  StartServer();  // hard limit = 4 × 1024
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  // Announce a body far over the hard limit: answered from the headers alone, body unread.
  ASSERT_TRUE(
      connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
                       "partial"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_NE(connection->received().find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handled.load(), 0);
  // After a normal request on a keep-alive connection, the next oversized one is caught too.
  auto keep_alive = RawConnection::Connect(server_->port());
  ASSERT_TRUE(keep_alive.has_value());
  ASSERT_TRUE(
      keep_alive->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
                       "\r\n"));
  EXPECT_TRUE(keep_alive->WaitForClose(seconds(15)));
  EXPECT_NE(keep_alive->received().find("413 Payload Too Large"), std::string::npos)
      << keep_alive->received();
}

// A body announced just over the limit (below the hard limit) is refused from its headers: the
// client need not send it, and the server holds none of it while it waits.
TEST_P(ServerTest, ABodyAnnouncedJustOverTheLimitIsRefusedBeforeItIsSent) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  StartServer();  // max_body_bytes = 1024, hard limit 4 × 1024
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(
      connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\npartial"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_NE(connection->received().find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handled.load(), 0);
  // At the limit the body is read and handled.
  const auto at_limit = Client().Post("/echo", std::string(1024, 'x'));
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().message;
  EXPECT_EQ(at_limit->status, 200);
  EXPECT_EQ(handled.load(), 1);
  // A chunked body announces no length: it is read (up to the hard limit) and answered 413.
  auto chunked = RawConnection::Connect(server_->port());
  ASSERT_TRUE(chunked.has_value());
  ASSERT_TRUE(
      chunked->Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    "Connection: close\r\n\r\n7d0\r\n" +
                    std::string(2000, 'x') + "\r\n0\r\n\r\n"));
  EXPECT_TRUE(chunked->WaitForClose(seconds(15)));
  EXPECT_EQ(chunked->received().rfind("HTTP/1.1 413 ", 0), 0u) << chunked->received();
  EXPECT_EQ(handled.load(), 1);
}

// A client that sends its whole oversized body before it reads (as most clients do) still gets
// the 413: the server reads and drops what follows the headers instead of closing at once, which
// would answer the client's next segment with a reset. The body is far larger than the kernel's
// buffers on both sides, so without that the client's send fails with the reset.
TEST_P(ServerTest, AClientStillSendingItsOversizedBodyReadsThe413) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  StartServer();  // max_body_bytes = 1024
  constexpr std::size_t kBody = 32 * 1024 * 1024;
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  const auto sent = connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                     std::to_string(kBody) + "\r\n\r\n" + std::string(kBody, 'x'));
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_NE(connection->received().find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(server_->Stats().refused_too_large, 1u);
}

// A refused connection whose client keeps sending and never stops is closed after a bounded
// time, and while it lingers the I/O thread serves the other connections (with one I/O thread
// they share it).
TEST_P(ServerTest, ARefusedConnectionLingersBoundedWithoutHoldingTheIoThread) {
  router_.Add(Method::kGet, "/thing", [](Request&) { return Response::Text(200, "the thing"); });
  router_.Add(Method::kPost, "/echo", [](Request&) { return Response::Text(200, "ok"); });
  StartServer();
  auto connection = OpenRefusedConnection();
  ASSERT_TRUE(connection.has_value());
  ASSERT_EQ(server_->Stats().refused_too_large, 1u);
  const auto lingering_since = std::chrono::steady_clock::now();
  bool closed = false;
  // Up to 30 s of one small piece of body every 50 ms; the server ends it long before.
  for (int i = 0; i < 600 && !closed; ++i) {
    auto other = Client().Get("/thing");
    ASSERT_TRUE(other.has_value()) << other.error().message;
    EXPECT_EQ(other->status, 200);
    closed = !connection->Send(std::string(512, 'x')).has_value();
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(closed) << "the refused connection was still open after 30 s";
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_GE(std::chrono::steady_clock::now() - lingering_since, seconds(2));
}

// A server that stops does not wait for a lingering refusal, and once it is gone the refused
// connection is closed: what the client still sends is answered with a reset, not taken in.
TEST_P(ServerTest, AServerThatIsGoneClosesItsLingeringRefusals) {
  router_.Add(Method::kPost, "/echo", [](Request&) { return Response::Text(200, "ok"); });
  StartServer();
  auto connection = OpenRefusedConnection();
  ASSERT_TRUE(connection.has_value());
  ASSERT_EQ(server_->Stats().refused_too_large, 1u);
  server_->Stop();
  server_.reset();
  // Up to 2 s of small pieces of body (the linger alone would take them for 3 s).
  Status sent = Ok();
  for (int i = 0; i < 100 && sent.has_value(); ++i) {
    sent = connection->Send(std::string(512, 'x'));
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(sent.has_value()) << "the refused connection was still taking data";
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable) << sent.error().message;
}

TEST_P(ServerTest, HeadersARelaxedParserWouldFrameDifferentlyAreRefused) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request& request) {
    ++handled;
    return Response::Text(200, "got " + request.body);
  });
  StartServer();
  const auto answer = [&](const std::string& request) {
    auto connection = RawConnection::Connect(server_->port());
    EXPECT_TRUE(connection.has_value());
    if (!connection) return std::string();
    EXPECT_TRUE(connection->Send(request));
    EXPECT_TRUE(connection->WaitForClose(seconds(15)));
    return connection->received();
  };
  const std::string chunked_body = "5\r\nhello\r\n0\r\n\r\n";
  for (const auto& [request, status] : std::vector<std::pair<std::string, std::string>>{
           {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n" + chunked_body,
            "400"},
           {"POST /echo HTTP/1.1\r\nHost : x\r\nContent-Length: 5\r\n\r\nhello", "400"},
           {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" +
                chunked_body,
            "501"},
           {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" +
                chunked_body,
            "501"},
           {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" +
                chunked_body,
            "400"},
           {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" +
                chunked_body,
            "400"},
           {"POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body,
            "400"},
           {"POST /echo HTTP/2.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "505"}}) {
    const std::string received = answer(request);
    EXPECT_EQ(received.rfind("HTTP/1.1 " + status + " ", 0), 0u) << request << "\n" << received;
    EXPECT_NE(received.find("Connection: close"), std::string::npos) << received;
  }
  EXPECT_EQ(handled.load(), 0);
  for (const std::string request :
       {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
        "Connection: close\r\n\r\n" +
            chunked_body,
        std::string("POST /echo HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")}) {
    const std::string received = answer(request);
    EXPECT_EQ(received.rfind("HTTP/1.1 200 ", 0), 0u) << request << "\n" << received;
    EXPECT_NE(received.find("got hello"), std::string::npos) << received;
  }
  EXPECT_EQ(handled.load(), 2);
  // A field name that arrives in two reads is judged whole.
  auto split = RawConnection::Connect(server_->port());
  ASSERT_TRUE(split.has_value());
  ASSERT_TRUE(split->Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Enc"));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(split->Send("oding : chunked\r\n\r\n" + chunked_body));
  EXPECT_TRUE(split->WaitForClose(seconds(15)));
  EXPECT_EQ(split->received().rfind("HTTP/1.1 400 ", 0), 0u) << split->received();
  EXPECT_EQ(handled.load(), 2);
  // On a kept-alive connection the request before the refused one is answered.
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"));
  auto first = connection->ReadResponse(seconds(15));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->body, "got first");
  ASSERT_TRUE(
      connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 400 ", 0), 0u) << connection->received();
  EXPECT_EQ(handled.load(), 3);
}

// Chunk lines the server's lenient parser would take (a bare LF in an extension, any two bytes
// after the data as CRLF, junk after a size) are refused before it reads them: a proxy in front
// that frames such a body differently cannot get the request hidden inside it through, with
// headers it never checked. The refusals are counted.
TEST_P(ServerTest, AChunkLineALenientParserWouldTakeIsRefusedWithTheRequestBehindIt) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  router_.Add(Method::kGet, "/inside", [&](Request&) {
    ++handled;
    return Response::Text(200, "inside");
  });
  StartServer();
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string inside = "GET /inside HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n";
  std::uint64_t refused = 0;
  for (const std::string& body : {"3;x\nabc\r\n0\r\n\r\n" + inside, "3\r\nabcXY0\r\n\r\n" + inside,
                                  "3 junk\r\nabc\r\n0\r\n\r\n" + inside}) {
    auto connection = RawConnection::Connect(server_->port());
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(connection->Send(head + body));
    EXPECT_TRUE(connection->WaitForClose(seconds(15)));
    EXPECT_EQ(connection->received().rfind("HTTP/1.1 400 ", 0), 0u) << connection->received();
    EXPECT_NE(connection->received().find("malformed chunked body"), std::string::npos);
    EXPECT_EQ(server_->Stats().refused_malformed, ++refused);
  }
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(server_->Stats().refused_too_large, 0u);
  // Framed by the grammar, the same body and the request after it are answered.
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send(head + "3;x=y\r\nabc\r\n0\r\nChecksum: 1\r\n\r\n" + inside));
  auto first = connection->ReadResponse(seconds(15));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->status, 200);
  auto second = connection->ReadResponse(seconds(15));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->body, "inside");
  EXPECT_EQ(handled.load(), 2);
  EXPECT_EQ(server_->Stats().refused_malformed, refused);
}

// A chunked body whose chunk sizes add up to more than the limit is answered 413 as soon as the
// size line says so: the client need not send the data, and the server reads none of it.
TEST_P(ServerTest, AChunkedBodyOverTheLimitIsRefusedFromItsChunkSizes) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  StartServer();  // max_body_bytes = 1024
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
      std::string(512, 'x') + "\r\n201\r\n"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  EXPECT_EQ(connection->received().rfind("HTTP/1.1 413 ", 0), 0u) << connection->received();
  EXPECT_NE(connection->received().find("payload_too_large"), std::string::npos);
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(server_->Stats().refused_too_large, 1u);
  EXPECT_EQ(server_->Stats().refused_malformed, 0u);
}

// No route takes HEAD: it is answered 405 with the allowed methods, and without a body, so the
// next answer on a kept-alive connection is read as what it is.
TEST_P(ServerTest, AHeadRequestIsAnsweredWithoutABody) {
  router_.Add(Method::kGet, "/thing", [](Request&) { return Response::Text(200, "the thing"); });
  StartServer();
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(
      connection->Send("HEAD /thing HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /thing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  const std::string& received = connection->received();
  ASSERT_EQ(received.rfind("HTTP/1.1 405 ", 0), 0u) << received;
  const auto head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << received;
  EXPECT_NE(received.substr(0, head_end).find("Allow: GET"), std::string::npos) << received;
  // Right after the first answer's headers comes the second answer.
  EXPECT_EQ(received.compare(head_end + 4, 9, "HTTP/1.1 "), 0) << received;
  EXPECT_NE(received.find("the thing"), std::string::npos) << received;
}

TEST_P(ServerTest, DeeplyNestedJsonIs400BeforeAnyHandler) {
  std::atomic<int> handled{0};
  router_.Add(Method::kPost, "/echo", [&](Request&) {
    ++handled;
    return Response::Text(200, "ok");
  });
  StartServer();
  const std::string deep = std::string(500, '[') + std::string(500, ']');
  const auto refused = Client().Post("/echo", deep);
  ASSERT_TRUE(refused.has_value()) << refused.error().message;
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(ErrorOf(*refused)["code"], "invalid_argument");
  EXPECT_EQ(handled.load(), 0);
  const auto fine = Client().Post("/echo", R"({"a":[[["[[[[[[ in a string"]]]})");
  ASSERT_TRUE(fine.has_value());
  EXPECT_EQ(fine->status, 200);
}

TEST_P(ServerTest, OneAddressCannotHoldMoreThanItsShareOfConnections) {
  router_.Add(Method::kGet, "/health", [](Request&) { return Response::Text(200, "ok"); });
  ServerSettings settings = TestSettings();
  settings.limits.max_connections_per_address = 5;
  StartServer(settings);
  auto answers = [](RawConnection& c) {
    if (!c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) return false;
    auto response = c.ReadResponse(seconds(2));
    return response.has_value() && response->status == 200;
  };
  std::vector<RawConnection> held;
  for (int i = 0; i < 5; ++i) {
    auto c = RawConnection::Connect(server_->port());
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(answers(*c)) << i;
    held.push_back(std::move(*c));
  }
  // The sixth connection from the same address is closed at once, without an answer.
  auto sixth = RawConnection::Connect(server_->port());
  ASSERT_TRUE(sixth.has_value());
  (void)sixth->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(sixth->WaitForClose(seconds(10)));
  EXPECT_EQ(sixth->received().find("200"), std::string::npos);
  // Held connections keep working; once one is released the address may connect again.
  EXPECT_TRUE(answers(held.front()));
  held.pop_back();
  bool reconnected = false;
  for (int attempt = 0; attempt < 100 && !reconnected; ++attempt) {
    auto again = RawConnection::Connect(server_->port());
    ASSERT_TRUE(again.has_value());
    reconnected = answers(*again);
  }
  EXPECT_TRUE(reconnected);
}

TEST_P(ServerTest, OversizedUrlOrHeaderClosesTheConnection) {
  router_.Add(Method::kGet, "/health", [](Request&) { return Response::Text(200, "ok"); });
  StartServer();  // max_url_bytes = 512, max_header_value_bytes = 1024, 20 fields
  const auto url = Client().Get("/health?pad=" + std::string(600, 'a'));
  if (url.has_value()) {
    EXPECT_EQ(url->status, 414);
  } else {
    EXPECT_EQ(url.error().code, ErrorCode::kUnavailable) << url.error().message;
  }

  Headers big_value;
  big_value.Add("X-Pad", std::string(2000, 'b'));
  const auto header = Client().Get("/health", big_value);
  if (header.has_value()) {
    EXPECT_EQ(header->status, 431);
  } else {
    EXPECT_EQ(header.error().code, ErrorCode::kUnavailable) << header.error().message;
  }

  Headers many;
  for (int i = 0; i < 30; ++i) many.Add("X-F" + std::to_string(i), "v");
  const auto count = Client().Get("/health", many);
  if (count.has_value()) {
    EXPECT_EQ(count->status, 431);
  } else {
    EXPECT_EQ(count.error().code, ErrorCode::kUnavailable) << count.error().message;
  }

  EXPECT_EQ(Client().Get("/health")->status, 200);  // and the server is fine afterwards
}

TEST_P(ServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  router_.Add(Method::kPost, "/echo", [](Request&) { return Response::Text(200, "ok"); });
  ServerSettings settings = TestSettings();
  settings.read_timeout = seconds(1);
  StartServer(settings);
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  const auto sent_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(connection->WaitForClose(seconds(15)));
  // Closed because of the timeout, not because the half request was rejected outright.
  EXPECT_GE(std::chrono::steady_clock::now() - sent_at, milliseconds(500));
  EXPECT_TRUE(connection->received().empty());
}

TEST_P(ServerTest, HandlerSlowerThanHandlerTimeoutGetsTheConnectionClosed) {
  router_.Add(Method::kGet, "/stuck", [&](Request&) {
    slow_gate_.WaitFor(seconds(20));
    return Response::Text(200, "too late");
  });
  ServerSettings settings = TestSettings();
  settings.handler_timeout = seconds(1);
  StartServer(settings);
  const auto response = Client().Get("/stuck");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable) << response.error().message;
}

TEST_P(ServerTest, HandlerExceptionIs500JsonWithoutDetails) {
  router_.Add(Method::kGet, "/boom",
              [](Request&) -> Response { throw std::runtime_error("secret internals"); });
  std::mutex mutex;
  std::string reported;
  ServerSettings settings = TestSettings();
  settings.on_exception = [&](const Request&, std::string_view what) {
    std::lock_guard lock(mutex);
    reported = what;
  };
  StartServer(settings);
  const auto response = Client().Get("/boom");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(ErrorOf(*response)["code"], "internal");
  EXPECT_EQ(response->body.find("secret"), std::string::npos);
  std::lock_guard lock(mutex);
  EXPECT_EQ(reported, "secret internals");
}

// The access log's lines as the server writes them, each made by `format`.
class AccessLogLines {
 public:
  using Format = std::function<std::string(const Request&, const Response&)>;
  explicit AccessLogLines(Format format) : format_(std::move(format)) {}
  AccessLogCallback Sink() {
    return [this](const Request& request, const Response& response, std::chrono::nanoseconds) {
      std::lock_guard lock(mutex_);
      lines_.push_back(format_(request, response));
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  Format format_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_P(ServerTest, AccessLogSeesEveryRequestWithRouteAndStatus) {
  router_.Add(Method::kGet, "/items/{id}", [](Request&) { return Response::Text(200, "ok"); });
  AccessLogLines log([](const Request& request, const Response& response) {
    return request.method_token + " " + request.target + " " + request.route_pattern + " " +
           std::to_string(response.status) + " " + std::to_string(request.request_id.size());
  });
  ServerSettings settings = TestSettings();
  settings.access_log = log.Sink();
  StartServer(settings);
  ASSERT_EQ(Client().Get("/items/7")->status, 200);
  ASSERT_EQ(Client().Get("/missing")->status, 404);
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{"GET /items/7 /items/{id} 200 32", "GET /missing  404 32"}));
}

TEST_P(ServerTest, KeepAliveConnectionServesSeveralRequests) {
  router_.Add(Method::kGet, "/n/{n}", [](Request& request) {
    return Response::Text(200, std::string(*request.RouteParam("n")));
  });
  StartServer();
  auto connection = RawConnection::Connect(server_->port());
  ASSERT_TRUE(connection.has_value());
  for (const char* n : {"1", "2", "3"}) {
    ClientRequest request;
    request.target = std::string("/n/") + n;
    ASSERT_TRUE(connection->Send(testing::SerializeRequest(request, server_->port())));
    const auto response = connection->ReadResponse(seconds(15));
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->body, n);
  }
}

TEST_P(ServerTest, SlowHandlerDoesNotBlockAConcurrentFastRequest) {
  Gate slow_started;
  router_.Add(Method::kGet, "/slow", [&](Request&) {
    slow_started.Open();
    const bool released = slow_gate_.WaitFor(seconds(20));
    return Response::Text(200, released ? "released" : "gave up");
  });
  router_.Add(Method::kGet, "/fast", [](Request&) { return Response::Text(200, "fast"); });
  StartServer();  // one I/O thread: a handler on it would stall every connection

  auto slow = std::async(std::launch::async, [&] { return Client().Get("/slow"); });
  ASSERT_TRUE(slow_started.WaitFor(seconds(15)));
  const auto fast = Client().Get("/fast");
  ASSERT_TRUE(fast.has_value()) << fast.error().message;
  EXPECT_EQ(fast->body, "fast");

  slow_gate_.Open();
  const auto slow_response = slow.get();
  ASSERT_TRUE(slow_response.has_value()) << slow_response.error().message;
  EXPECT_EQ(slow_response->body, "released");
}

TEST_P(ServerTest, HandlersRunOffTheIoThread) {
  std::mutex mutex;
  std::vector<std::thread::id> handler_threads;
  router_.Add(Method::kGet, "/t", [&](Request&) {
    std::lock_guard lock(mutex);
    handler_threads.push_back(std::this_thread::get_id());
    return Response::Text(200, "ok");
  });
  ServerSettings settings = TestSettings();
  settings.worker_threads = 1;
  StartServer(settings);
  ASSERT_EQ(Client().Get("/t")->status, 200);
  ASSERT_EQ(Client().Get("/t")->status, 200);
  std::lock_guard lock(mutex);
  ASSERT_EQ(handler_threads.size(), 2u);
  // One worker thread served both; it is neither the test thread nor (see the test above)
  // an I/O thread.
  EXPECT_EQ(handler_threads[0], handler_threads[1]);
  EXPECT_NE(handler_threads[0], std::this_thread::get_id());
}

TEST_P(ServerTest, FullQueueAnswers503Immediately) {
  auto [running, queued] = StartWithBusyWorkerAndFullQueue();
  ASSERT_FALSE(HasFailure());

  const auto rejected = Client().Get("/block");
  ASSERT_TRUE(rejected.has_value()) << rejected.error().message;
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(ErrorOf(*rejected)["code"], "unavailable");
  EXPECT_EQ(rejected->headers.Get("Retry-After"), "1");
  EXPECT_EQ(ErrorOf(*rejected)["request_id"], *rejected->headers.Get("X-Request-Id"));
  EXPECT_EQ(server_->Stats().rejected_queue_full, 1u);

  slow_gate_.Open();
  EXPECT_EQ(running.get()->status, 200);
  EXPECT_EQ(queued.get()->status, 200);
}

TEST_P(ServerTest, InlineRouteAnswersWhileEveryHandlerThreadIsBusyAndTheQueueIsFull) {
  std::atomic<std::thread::id> blocking_thread;
  std::atomic<std::thread::id> inline_thread;
  router_.Add(Method::kGet, "/health",
              [&](Request& r) {
                inline_thread = std::this_thread::get_id();
                return Response::Text(200, "alive " + r.request_id);
              },
              {.answer_inline = true});
  auto [running, queued] = StartWithBusyWorkerAndFullQueue(&blocking_thread);
  ASSERT_FALSE(HasFailure());

  // The only handler thread is blocked and the queue is full: a queued route is refused, the
  // inline one is answered, through the whole middleware chain (request id, access log).
  EXPECT_EQ(Client().Get("/block")->status, 503);
  const auto health = Client().Get("/health");
  ASSERT_TRUE(health.has_value()) << health.error().message;
  EXPECT_EQ(health->status, 200);
  const auto request_id = health->headers.Get("X-Request-Id");
  ASSERT_TRUE(request_id.has_value());
  EXPECT_EQ(health->body, "alive " + std::string(*request_id));
  EXPECT_NE(inline_thread.load(), blocking_thread.load());
  EXPECT_NE(inline_thread.load(), std::thread::id());
  const ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.answered_inline, 1u);
  EXPECT_EQ(stats.rejected_queue_full, 1u);
  // A POST to the same path is not the inline route, and neither is a GET with a body (no
  // body is copied or scanned on an I/O thread): both go through the full queue.
  EXPECT_EQ(Client().Post("/health", "{}")->status, 503);
  ClientRequest with_body;
  with_body.method = "GET";
  with_body.target = "/health";
  with_body.body = "{}";
  EXPECT_EQ(Client().Send(with_body)->status, 503);
  EXPECT_EQ(server_->Stats().answered_inline, 1u);

  slow_gate_.Open();
  EXPECT_EQ(running.get()->status, 200);
  EXPECT_EQ(queued.get()->status, 200);
}

// Requests pipelined on one connection (sent in one write, before any answer) are each
// answered, in order, whether answered on the I/O thread, tried there first, or run on a
// handler thread. Answered inside RESTinio's request handler, the answer was written at once and
// RESTinio then read on twice: of three pipelined GET /health one was answered and the
// connection closed.
TEST_P(ServerTest, PipelinedRequestsAreAllAnsweredInOrder) {
  router_.Add(Method::kGet, "/health", [](Request&) { return Response::Text(200, "alive"); },
              {.answer_inline = true});
  router_.Add(Method::kPost, "/fn/{key}",
              [](Request& r) { return Response::Text(200, std::string(*r.RouteParam("key"))); },
              {.try_inline = true});
  router_.Add(Method::kGet, "/queued/{n}",
              [](Request& r) { return Response::Text(200, std::string(*r.RouteParam("n"))); });
  StartServer();
  const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto fn = [](std::string_view key) {
    return "POST /fn/" + std::string(key) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
  };
  const auto queued = [](int n) {
    return "GET /queued/" + std::to_string(n) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  };
  struct Case {
    std::string bytes;
    std::vector<std::string> bodies;
  };
  const std::vector<Case> cases = {
      {health + health + health, {"alive", "alive", "alive"}},
      {health + health + health + health + health + health + health + health,
       std::vector<std::string>(8, "alive")},
      {fn("a") + fn("b") + fn("c") + fn("d"), {"a", "b", "c", "d"}},
      {health + queued(1) + fn("x") + health + queued(2) + health,
       {"alive", "1", "x", "alive", "2", "alive"}},
  };
  for (const Case& c : cases) {
    auto connection = RawConnection::Connect(server_->port());
    ASSERT_TRUE(connection.has_value()) << connection.error().message;
    ASSERT_TRUE(connection->Send(c.bytes).has_value());
    for (std::size_t i = 0; i < c.bodies.size(); ++i) {
      auto answer = connection->ReadResponse(std::chrono::seconds(5));
      ASSERT_TRUE(answer.has_value())
          << "answer " << i << " of " << c.bodies.size() << ": " << answer.error().message;
      EXPECT_EQ(answer->status, 200);
      EXPECT_EQ(answer->body, c.bodies[i]) << "answer " << i;
    }
    // And the connection is still open for the next request.
    ASSERT_TRUE(connection->Send(health).has_value());
    auto after = connection->ReadResponse(std::chrono::seconds(5));
    ASSERT_TRUE(after.has_value()) << after.error().message;
    EXPECT_EQ(after->body, "alive");
  }
}

TEST_P(ServerTest, TriedInlineRouteAnswersFromMemoryOnTheIoThreadAndDefersWhatWouldBlock) {
  // A guard with a side effect it records as an attempt step, and a handler that answers
  // "cached" from memory and waits (MayBlock) for anything else.
  std::atomic<int> guard_counted{0};
  std::atomic<int> handler_runs{0};
  auto counting_guard = MakeFilter("counting", [&](Request&) -> std::optional<Response> {
    if (!StepDoneInEarlierAttempt("counted")) {
      ++guard_counted;
      MarkAttemptStep("counted");
    }
    return std::nullopt;
  });
  router_.Add(Method::kPost, "/fn/{key}",
              [&](Request& r) {
                ++handler_runs;
                if (r.RouteParam("key") != "cached") MayBlock("store");
                return Response::Text(200, std::string(*r.RouteParam("key")) + " " + r.body);
              },
              {.guards = {counting_guard}, .try_inline = true});
  std::atomic<int> logged{0};
  ServerSettings settings = TestSettings();
  settings.access_log = [&](const Request&, const Response&, std::chrono::nanoseconds) {
    ++logged;
  };
  settings.limits.max_try_inline_body_bytes = 16;
  auto [running, queued] = StartWithBusyWorkerAndFullQueue(settings);
  ASSERT_FALSE(HasFailure());

  // Every handler thread is busy and the queue is full: the cached answer comes from the I/O
  // thread; the one that would wait is handed over and refused like any queued request.
  const auto cached = Client().Post("/fn/cached", "{}");
  ASSERT_TRUE(cached.has_value()) << cached.error().message;
  EXPECT_EQ(cached->status, 200);
  EXPECT_EQ(cached->body, "cached {}");
  EXPECT_EQ(Client().Post("/fn/cold", "{}")->status, 503);
  // What an attempt did before it stopped stays done when its retry is refused: side effects
  // that must not be spent on a refused request belong after the answer (the tool limit).
  EXPECT_EQ(guard_counted.load(), 2);
  ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.answered_inline, 1u);
  EXPECT_EQ(stats.deferred_from_inline, 1u);
  EXPECT_EQ(stats.rejected_queue_full, 1u);

  slow_gate_.Open();
  EXPECT_EQ(running.get()->status, 200);
  EXPECT_EQ(queued.get()->status, 200);

  // With a free handler thread the deferred request is answered there, through the whole
  // chain again; the guard's side effect happened once, in the first attempt.
  const int counted_before = guard_counted.load();
  const int runs_before = handler_runs.load();
  const int logged_before = logged.load();
  const auto cold = Client().Post("/fn/cold", "{}");
  ASSERT_TRUE(cold.has_value()) << cold.error().message;
  EXPECT_EQ(cold->status, 200);
  EXPECT_EQ(cold->body, "cold {}");
  EXPECT_TRUE(cold->headers.Get("X-Request-Id").has_value());
  EXPECT_EQ(guard_counted.load(), counted_before + 1);
  EXPECT_EQ(handler_runs.load(), runs_before + 2);  // the attempt and the retry
  EXPECT_EQ(logged.load(), logged_before + 1);      // the access log sees one request
  stats = server_->Stats();
  EXPECT_EQ(stats.answered_inline, 1u);
  EXPECT_EQ(stats.deferred_from_inline, 2u);

  // A body above max_try_inline_body_bytes is not tried on the I/O thread at all.
  const std::string large(64, 'x');
  const auto big = Client().Post("/fn/cached", large);
  ASSERT_TRUE(big.has_value()) << big.error().message;
  EXPECT_EQ(big->body, "cached " + large);
  stats = server_->Stats();
  EXPECT_EQ(stats.answered_inline, 1u);
  EXPECT_EQ(stats.deferred_from_inline, 2u);
}

// A middleware whose look at the response on its way back throws.
class ThrowingOnTheWayBack final : public Middleware {
 public:
  std::string_view Name() const noexcept override { return "throwing"; }
  Response Handle(Request& request, const Next& next) const override {
    return AfterAnswer(next(request),
                       [](Response) -> Response { throw std::runtime_error("step failed"); });
  }
};

// A middleware that counts the answers it looked at on their way back.
class AfterAnswerProbe final : public Middleware {
 public:
  explicit AfterAnswerProbe(std::atomic<int>& steps_run) : steps_run_(steps_run) {}
  std::string_view Name() const noexcept override { return "probe"; }
  Response Handle(Request& request, const Next& next) const override {
    return AfterAnswer(next(request), [this](Response response) {
      ++steps_run_;
      return response;
    });
  }

 private:
  std::atomic<int>& steps_run_;
};

MiddlewarePtr MakeAfterAnswerProbe(std::atomic<int>& steps_run) {
  return std::make_shared<AfterAnswerProbe>(steps_run);
}

// A handler that answers later: it hands its PendingAnswer to `answers` (another thread
// answers it) and returns at once.
class LaterAnswers {
 public:
  Response Take(std::shared_ptr<PendingAnswer> pending) {
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(pending);
    }
    return Response::Later(std::move(pending));
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }
  // Answers every waiting one from one thread, back to back, as a group commit's writer does a
  // batch: each with "answer to <target of its request>".
  void AnswerAllFromOneThread(const std::vector<std::string>& targets) {
    std::vector<std::shared_ptr<PendingAnswer>> all;
    {
      std::lock_guard lock(mutex_);
      all.swap(pending_);
    }
    std::thread([&] {
      for (std::size_t i = 0; i < all.size(); ++i) {
        all[i]->Answer(Response::Text(200, "answer to " + targets[i]));
      }
    }).join();
  }
  // Answers (or drops, for nullopt) the oldest one, from a thread of its own.
  void AnswerFromAnotherThread(std::optional<Response> answer) {
    std::shared_ptr<PendingAnswer> pending;
    {
      std::lock_guard lock(mutex_);
      pending = std::move(pending_.front());
      pending_.erase(pending_.begin());
    }
    std::thread([pending = std::move(pending), answer = std::move(answer)]() mutable {
      if (answer) pending->Answer(std::move(*answer));
    }).join();
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<PendingAnswer>> pending_;
};

TEST_P(ServerTest, AHandlerThatAnswersLaterIsAnsweredThroughTheWholeChain) {
  LaterAnswers answers;
  std::atomic<std::thread::id> handler_thread;
  router_.Add(Method::kPost, "/later", [&](Request&) {
    handler_thread = std::this_thread::get_id();
    return answers.Take(std::make_shared<PendingAnswer>());
  });
  AccessLogLines log([](const Request& request, const Response& response) {
    return request.route_pattern + " " + std::to_string(response.status) + " " + response.body;
  });
  ServerSettings settings = TestSettings();
  settings.access_log = log.Sink();
  StartServer(settings);
  ClientRequest request;
  request.method = "POST";
  request.target = "/later";
  request.body = "{}";
  request.headers.Add("X-Request-Id", "later-1");
  auto answered = std::async(std::launch::async, [&] { return Client().Send(request); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  // The handler returned; nothing is sent or logged until the answer comes.
  EXPECT_EQ(answered.wait_for(milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(server_->Stats().running, 0u);  // no handler thread waits for it
  EXPECT_TRUE(log.lines().empty());
  answers.AnswerFromAnotherThread(Response::Text(201, "stored"));
  const auto response = answered.get();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "stored");
  EXPECT_EQ(response->headers.Get("X-Request-Id").value_or(""), "later-1");
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"/later 201 stored"}));
  EXPECT_EQ(server_->Stats().answered_later, 1u);
}

TEST_P(ServerTest, ALaterAnswerThatNeverComesIs500AndOneGivenBeforeReturningIsSent) {
  LaterAnswers answers;
  router_.Add(Method::kGet, "/dropped",
              [&](Request&) { return answers.Take(std::make_shared<PendingAnswer>()); });
  router_.Add(Method::kGet, "/at-once", [](Request&) {
    auto pending = std::make_shared<PendingAnswer>();
    pending->Answer(Response::Error(ErrorCode::kNotFound, "no such call"));
    pending->Answer(Response::Text(200, "ignored: the first answer counts"));
    return Response::Later(pending);
  });
  StartServer();
  auto dropped = std::async(std::launch::async, [&] { return Client().Get("/dropped"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  answers.AnswerFromAnotherThread(std::nullopt);  // whoever had it lost it
  const auto lost = dropped.get();
  ASSERT_TRUE(lost.has_value()) << lost.error().message;
  EXPECT_EQ(lost->status, 500);
  EXPECT_EQ(ErrorOf(*lost)["code"], "internal");

  const auto at_once = Client().Get("/at-once");
  ASSERT_TRUE(at_once.has_value()) << at_once.error().message;
  EXPECT_EQ(at_once->status, 404);
  // The error body carries the request id, as any error does.
  EXPECT_EQ(ErrorOf(*at_once)["request_id"], at_once->headers.Get("X-Request-Id").value_or("-"));
  // Only the answer that came after its handler returned counts as a later one.
  EXPECT_EQ(server_->Stats().answered_later, 1u);
}

TEST_P(ServerTest, ALaterAnswersMiddlewareStepThatThrowsGives500AndTheOtherStepsStillRun) {
  LaterAnswers answers;
  router_.Use(std::make_shared<ThrowingOnTheWayBack>());
  router_.Add(Method::kGet, "/later",
              [&](Request&) { return answers.Take(std::make_shared<PendingAnswer>()); });
  std::mutex mutex;
  std::vector<std::string> reported;
  AccessLogLines log([](const Request& request, const Response& response) {
    return request.target + " " + std::to_string(response.status);
  });
  ServerSettings settings = TestSettings();
  settings.access_log = log.Sink();
  settings.on_exception = [&](const Request&, std::string_view what) {
    std::lock_guard lock(mutex);
    reported.emplace_back(what);
  };
  StartServer(settings);
  auto answered = std::async(std::launch::async, [&] { return Client().Get("/later"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  answers.AnswerFromAnotherThread(Response::Text(200, "secret detail"));
  const auto response = answered.get();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body.find("secret"), std::string::npos);
  EXPECT_EQ(ErrorOf(*response)["request_id"], response->headers.Get("X-Request-Id").value_or("-"));
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"/later 500"}));
  std::lock_guard lock(mutex);
  EXPECT_EQ(reported, (std::vector<std::string>{"step failed"}));
}

TEST_P(ServerTest, AnAnswerThatComesAfterTheServerStoppedIsDropped) {
  LaterAnswers answers;
  std::atomic<int> steps_run{0};
  router_.Use(MakeAfterAnswerProbe(steps_run));
  router_.Add(Method::kGet, "/later",
              [&](Request&) { return answers.Take(std::make_shared<PendingAnswer>()); });
  AccessLogLines log([](const Request& request, const Response& response) {
    return request.target + " " + std::to_string(response.status);
  });
  ServerSettings settings = TestSettings();
  settings.drain_timeout = milliseconds(200);
  settings.access_log = log.Sink();
  StartServer(settings);
  // While the server runs, an answer meets the middleware's step and the access log.
  auto first = std::async(std::launch::async, [&] { return Client().Get("/later"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  answers.AnswerFromAnotherThread(Response::Text(200, "in time"));
  ASSERT_EQ(first.get()->status, 200);
  ASSERT_TRUE(Eventually([&] { return log.lines().size() == 1; }));
  EXPECT_EQ(steps_run.load(), 1);
  auto answered = std::async(std::launch::async, [&] { return Client().Get("/later"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  // The work outlives the drain: the server stops and is gone before the answer comes.
  server_->Stop();
  server_.reset();
  const auto response = answered.get();
  EXPECT_FALSE(response.has_value());  // the connection closed without an answer
  answers.AnswerFromAnotherThread(Response::Text(200, "too late"));  // nothing to send it to
  EXPECT_EQ(answers.size(), 0u);
  // Dropped, not handled: neither the middleware's step nor the access log ran on it (they
  // would have run on the answering thread, with the connection and server gone).
  EXPECT_EQ(steps_run.load(), 1);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"/later 200"}));
}

TEST_P(ServerTest, ATriedInlineRouteThatAnswersLaterNeedsNoHandlerThread) {
  LaterAnswers answers;
  router_.Add(Method::kPost, "/queued",
              [&](Request&) { return answers.Take(std::make_shared<PendingAnswer>()); },
              {.try_inline = true});
  auto [running, queued] = StartWithBusyWorkerAndFullQueue();
  ASSERT_FALSE(HasFailure());
  // Every handler thread is busy and the queue is full: the I/O thread takes the request,
  // the work is queued elsewhere, and its answer is sent from the I/O thread.
  auto answered = std::async(std::launch::async, [&] { return Client().Post("/queued", "{}"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  answers.AnswerFromAnotherThread(Response::Text(200, "written"));
  const auto response = answered.get();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "written");
  const ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.answered_inline, 1u);
  EXPECT_EQ(stats.answered_later, 1u);
  EXPECT_EQ(stats.rejected_queue_full, 0u);
  slow_gate_.Open();
  EXPECT_EQ(running.get()->status, 200);
  EXPECT_EQ(queued.get()->status, 200);
}

TEST_P(ServerTest, ManyLaterAnswersGivenAtOnceAreEachSentToTheirOwnClient) {
  LaterAnswers answers;
  std::mutex mutex;
  std::vector<std::string> targets;  // in the order the handlers took them
  router_.Add(Method::kGet, "/later/{n}", [&](Request& r) {
    std::lock_guard lock(mutex);
    targets.push_back(r.target);
    return answers.Take(std::make_shared<PendingAnswer>());
  });
  // Every client's request is taken at once (the test's default queue holds 16, and a request
  // turned away with 503 would never be answered later).
  ServerSettings settings = TestSettings();
  settings.queue_capacity = 64;
  StartServer(settings);
  constexpr int kClients = 24;
  std::vector<std::future<Result<ClientResponse>>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::async(
        std::launch::async, [this, i] { return Client().Get("/later/" + std::to_string(i)); }));
  }
  ASSERT_TRUE(Eventually([&] { return answers.size() == kClients; }));
  {
    std::lock_guard lock(mutex);
    answers.AnswerAllFromOneThread(targets);
  }
  for (int i = 0; i < kClients; ++i) {
    const auto response = clients[i].get();
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->body, "answer to /later/" + std::to_string(i));
  }
  EXPECT_EQ(server_->Stats().answered_later, static_cast<std::uint64_t>(kClients));
}

TEST_P(ServerTest, GracefulShutdownWaitsForALaterAnswer) {
  LaterAnswers answers;
  router_.Add(Method::kGet, "/later",
              [&](Request&) { return answers.Take(std::make_shared<PendingAnswer>()); });
  StartServer();
  auto in_flight = std::async(std::launch::async, [&] { return Client().Get("/later"); });
  ASSERT_TRUE(Eventually([&] { return answers.size() == 1; }));
  auto stopping = std::async(std::launch::async, [&] { server_->Stop(); });
  EXPECT_EQ(stopping.wait_for(milliseconds(100)), std::future_status::timeout);
  EXPECT_EQ(server_->Stats().in_flight, 1u);
  answers.AnswerFromAnotherThread(Response::Text(200, "finished"));
  const auto response = in_flight.get();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(stopping.wait_for(seconds(15)), std::future_status::ready);
}

TEST_P(ServerTest, GracefulShutdownLetsInFlightRequestFinish) {
  Gate started;
  router_.Add(Method::kGet, "/work", [&](Request&) {
    started.Open();
    slow_gate_.WaitFor(seconds(20));
    return Response::Text(200, "finished");
  });
  StartServer();
  const std::uint16_t port = server_->port();

  auto in_flight = std::async(std::launch::async, [&] { return Client().Get("/work"); });
  ASSERT_TRUE(started.WaitFor(seconds(15)));
  auto stopping = std::async(std::launch::async, [&] { server_->Stop(); });

  // The listener goes away first: new connections are refused while the request still runs.
  EXPECT_TRUE(Eventually([&] { return !RawConnection::Connect(port, seconds(1)).has_value(); }));
  EXPECT_EQ(stopping.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(server_->Stats().in_flight, 1u);

  slow_gate_.Open();
  const auto response = in_flight.get();
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(stopping.wait_for(seconds(15)), std::future_status::ready);
}

TEST_P(ServerTest, RequestOnKeepAliveConnectionDuringShutdownGets503AndClose) {
  Gate started;
  router_.Add(Method::kGet, "/work", [&](Request&) {
    started.Open();
    slow_gate_.WaitFor(seconds(20));
    return Response::Text(200, "finished");
  });
  router_.Add(Method::kGet, "/quick", [](Request&) { return Response::Text(200, "quick"); });
  StartServer();
  const std::uint16_t port = server_->port();

  auto idle = RawConnection::Connect(port);  // opened before shutdown, kept alive
  ASSERT_TRUE(idle.has_value());
  ClientRequest quick;
  quick.target = "/quick";
  ASSERT_TRUE(idle->Send(testing::SerializeRequest(quick, port)));
  ASSERT_EQ(idle->ReadResponse(seconds(15))->status, 200);

  auto in_flight = std::async(std::launch::async, [&] { return Client().Get("/work"); });
  ASSERT_TRUE(started.WaitFor(seconds(15)));
  auto stopping = std::async(std::launch::async, [&] { server_->Stop(); });
  ASSERT_TRUE(Eventually([&] { return !RawConnection::Connect(port, seconds(1)).has_value(); }));

  ASSERT_TRUE(idle->Send(testing::SerializeRequest(quick, port)));
  const auto refused = idle->ReadResponse(seconds(15));
  ASSERT_TRUE(refused.has_value()) << refused.error().message;
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->headers.Get("Connection"), "close");

  slow_gate_.Open();
  EXPECT_EQ(in_flight.get()->status, 200);
  EXPECT_EQ(stopping.wait_for(seconds(15)), std::future_status::ready);
}

TEST_P(ServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  router_.Add(Method::kGet, "/health", [](Request&) { return Response::Text(200, "ok"); });
  ServerSettings settings = TestSettings();
  settings.limits.max_connections = 2;
  StartServer(settings);
  auto first = RawConnection::Connect(server_->port());
  auto second = RawConnection::Connect(server_->port());
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(Eventually([&] { return server_->Stats().open_connections == 2; }));

  auto third = RawConnection::Connect(server_->port());
  ASSERT_TRUE(third.has_value());  // the kernel accepts; the server closes it right away
  EXPECT_TRUE(third->WaitForClose(seconds(15)));

  *first = std::move(*third);  // closes the first connection
  ASSERT_TRUE(Eventually([&] { return server_->Stats().open_connections == 1; }));
  EXPECT_EQ(Client().Get("/health")->status, 200);
}

// With two I/O threads, both accept from the one listening socket: while one is held (here by
// an inline route, which runs on the I/O thread that read the request), a new connection is
// accepted and answered by the other. One listener per thread, all taking connections.
class TwoIoThreadsTest : public ServerTest {};

TEST_P(TwoIoThreadsTest, AFreeIoThreadAcceptsWhileAnotherIsHeld) {
  auto holding = std::make_shared<Gate>();
  std::atomic<std::thread::id> held_thread;
  std::atomic<std::thread::id> answering_thread;
  router_.Add(Method::kGet, "/hold",
              [&, holding](Request&) {
                held_thread = std::this_thread::get_id();
                holding->Open();
                slow_gate_.WaitFor(seconds(20));
                return Response::Text(200, "released");
              },
              {.answer_inline = true});
  router_.Add(Method::kGet, "/health",
              [&](Request&) {
                answering_thread = std::this_thread::get_id();
                return Response::Text(200, "ok");
              },
              {.answer_inline = true});
  StartServer();
  auto held = std::async(std::launch::async, [this] { return Client().Get("/hold"); });
  ASSERT_TRUE(holding->WaitFor(seconds(15)));
  for (int i = 0; i < 5; ++i) {  // new connections, each answered while the other is held
    const auto health = Client().Get("/health");
    ASSERT_TRUE(health.has_value()) << health.error().message;
    EXPECT_EQ(health->status, 200);
  }
  EXPECT_NE(answering_thread.load(), held_thread.load());
  EXPECT_EQ(server_->Stats().answered_inline, 6u);
  // Each listener numbers its connections from 1, so the held connection and the other
  // listener's first one shared a number; the count tells them apart: the held connection plus
  // one more open on the other listener are two.
  auto another = RawConnection::Connect(server_->port());
  ASSERT_TRUE(another.has_value());
  ASSERT_TRUE(another->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto answered = another->ReadResponse(seconds(10));
  ASSERT_TRUE(answered.has_value()) << answered.error().message;
  EXPECT_EQ(answered->status, 200);
  EXPECT_TRUE(Eventually([this] { return server_->Stats().open_connections == 2; }))
      << server_->Stats().open_connections;
  slow_gate_.Open();
  const auto released = held.get();
  ASSERT_TRUE(released.has_value()) << released.error().message;
  EXPECT_EQ(released->body, "released");
}

TEST_P(ServerTest, StopIsIdempotentAndSafeBeforeStart) {
  Server never_started(TestSettings(), router_);
  never_started.Stop();
  StartServer();
  server_->Stop();
  server_->Stop();
}

std::string IoThreadsName(const ::testing::TestParamInfo<std::size_t>& info) {
  return "io" + std::to_string(info.param);
}
INSTANTIATE_TEST_SUITE_P(IoThreads, ServerTest, ::testing::Values(1, 2), IoThreadsName);
INSTANTIATE_TEST_SUITE_P(IoThreads, TwoIoThreadsTest, ::testing::Values(2), IoThreadsName);

}  // namespace
}  // namespace callgate::http
