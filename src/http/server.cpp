#include "http/server.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <restinio/all.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/blocking.hpp"
#include "core/ip_network.hpp"
#include "http/error_mapping.hpp"
#include "http/pending_answer.hpp"
#include "http/request_framing.hpp"
#include "http/worker_pool.hpp"

namespace callgate::http {

namespace {

namespace asio = restinio::asio_ns;

// Tracks open connections through RESTinio's state listener and refuses new ones at accept
// time (via the IP-blocker hook) while max_connections are open in total, or
// max_per_address from the new connection's address (0 = no per-address limit), so one client
// cannot hold every connection. RESTinio's own use_connection_count_limiter is not used: its
// per-connection monitor points into the acceptor, and idle keep-alive connections that die
// with the io_context after the acceptor is gone then write to freed memory (found by ASan in
// the shutdown tests). One limiter serves every listener of the server; each listener numbers
// its connections itself, so connections are told apart by (listener, connection id).
class ConnectionLimiter {
 public:
  ConnectionLimiter(std::size_t max_connections, std::size_t max_per_address)
      : max_(max_connections), max_per_address_(max_per_address) {}

  void state_changed(std::size_t listener,
                     const restinio::connection_state::notice_t& notice) noexcept {
    const auto cause = notice.cause();
    std::lock_guard lock(mutex_);
    try {
      const Connection connection{listener, notice.connection_id()};
      if (restinio::holds_alternative<restinio::connection_state::accepted_t>(cause)) {
        std::string address = notice.remote_endpoint().address().to_string();
        ++per_address_[address];
        open_.emplace(connection, std::move(address));
      } else if (restinio::holds_alternative<restinio::connection_state::closed_t>(cause)) {
        auto it = open_.find(connection);
        if (it != open_.end()) {
          auto count = per_address_.find(it->second);
          if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
          open_.erase(it);
        }
      }
    } catch (...) {
      // Out of memory while counting: the count is only a safety limit, keep serving.
    }
  }

  restinio::ip_blocker::inspection_result_t inspect(
      const restinio::ip_blocker::incoming_info_t& info) noexcept {
    std::lock_guard lock(mutex_);
    if (open_.size() >= max_) return restinio::ip_blocker::deny();
    if (max_per_address_ != 0) {
      try {
        auto it = per_address_.find(info.remote_endpoint().address().to_string());
        if (it != per_address_.end() && it->second >= max_per_address_) {
          return restinio::ip_blocker::deny();
        }
      } catch (...) {
        // As above: counting must never stop serving.
      }
    }
    return restinio::ip_blocker::allow();
  }

  std::size_t open() const {
    std::lock_guard lock(mutex_);
    return open_.size();
  }

 private:
  using Connection = std::pair<std::size_t, restinio::connection_id_t>;  // (listener, id)

  const std::size_t max_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::map<Connection, std::string> open_;  // the peer address of each open connection
  std::unordered_map<std::string, std::size_t> per_address_;
};

// What one listener's RESTinio server sees as its IP blocker and state listener: the shared
// limiter, told which listener the connection belongs to.
class ListenerConnections {
 public:
  ListenerConnections(std::shared_ptr<ConnectionLimiter> limiter, std::size_t listener)
      : limiter_(std::move(limiter)), listener_(listener) {}

  void state_changed(const restinio::connection_state::notice_t& notice) noexcept {
    limiter_->state_changed(listener_, notice);
  }
  restinio::ip_blocker::inspection_result_t inspect(
      const restinio::ip_blocker::incoming_info_t& info) noexcept {
    return limiter_->inspect(info);
  }

 private:
  std::shared_ptr<ConnectionLimiter> limiter_;
  std::size_t listener_;
};

// What the sockets of one running server need to refuse requests on their own: the body limit
// (ServerLimits::max_body_bytes) and the counts of refusals (ServerStats), by the
// server's io_context: the sockets RESTinio creates know only their io_context.
struct BodyRefusal {
  std::uint64_t limit = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> too_large;  // answered 413
  std::shared_ptr<std::atomic<std::uint64_t>> malformed;  // answered 400, 431, 501 or 505
};

class AnnouncedBodyLimits {
 public:
  static AnnouncedBodyLimits& Instance() {
    static AnnouncedBodyLimits limits;
    return limits;
  }
  void Set(const void* context, BodyRefusal refusal) {
    std::lock_guard lock(mutex_);
    limits_[context] = std::move(refusal);
  }
  void Erase(const void* context) {
    std::lock_guard lock(mutex_);
    limits_.erase(context);
  }
  std::optional<BodyRefusal> Get(const void* context) const {
    std::lock_guard lock(mutex_);
    auto it = limits_.find(context);
    if (it == limits_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const void*, BodyRefusal> limits_;
};

// How a connection refused from its headers ends (a lingering close): the 413 is written
// without blocking the I/O thread, the sending side is shut down, and what the client still
// sends is read and dropped until it stops or kLingerFor has passed; only then is the socket
// closed. Closing at once, with body bytes unread, would make the kernel answer the client's
// next segment with a reset, and a client still sending its body would see that reset instead
// of the 413. At most kMaxLingering connections linger at a time; beyond that, the answer is
// written if the socket takes it at once and the connection closed (a client still sending may
// then see a reset). Lingering connections no longer count towards the connection limits.
class LingeringClose : public std::enable_shared_from_this<LingeringClose> {
 public:
  static constexpr std::chrono::seconds kLingerFor{3};
  static constexpr int kMaxLingering = 1024;

  // Takes over `socket`'s connection; false when too many linger already (nothing taken).
  // `answer` is left as it is when nothing was taken.
  static bool Begin(asio::ip::tcp::socket& socket, std::string& answer) {
    // Counted from here; a LingeringClose that exists gives its count back when it goes.
    if (lingering_.fetch_add(1) >= kMaxLingering) {
      --lingering_;
      return false;
    }
    asio::error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    std::shared_ptr<LingeringClose> self;
    try {
      if (!ec) self = std::make_shared<LingeringClose>(socket.get_executor(), std::move(answer));
    } catch (...) {
      self.reset();
    }
    if (!self) {
      --lingering_;
      return false;
    }
    const auto handle = socket.release(ec);
    if (ec) {
      answer = std::move(self->answer_);
      return false;  // ~LingeringClose gives the count back
    }
    self->socket_.assign(protocol, handle, ec);
    if (ec) {
      ::close(handle);
      return true;  // the connection is gone either way
    }
    self->Start();
    return true;
  }

  LingeringClose(const asio::any_io_executor& executor, std::string answer)
      : socket_(executor), timer_(executor), answer_(std::move(answer)) {}
  ~LingeringClose() { --lingering_; }
  LingeringClose(const LingeringClose&) = delete;
  LingeringClose& operator=(const LingeringClose&) = delete;

 private:
  void Start() {
    timer_.expires_after(kLingerFor);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->Finish();
    });
    asio::async_write(socket_, asio::buffer(answer_),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        if (ec) return self->Finish();
                        asio::error_code ignored;
                        self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                        self->Drop();
                      });
  }
  void Drop() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                              if (ec) return self->Finish();
                              self->Drop();
                            });
  }
  void Finish() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  static inline std::atomic<int> lingering_{0};
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string answer_;
  std::array<char, 4096> scratch_{};
};

// The TCP socket RESTinio reads requests from, with one addition: before RESTinio's parser sees
// a read, a RequestFraming follows it (request_framing.hpp) and, when it refuses a request (a
// body above the limit, framing a proxy in front might read differently, input the parser
// refuses), the read is reported as aborted, so RESTinio closes the connection without parsing
// further; that close hands the connection to a LingeringClose, which sends the refusal's
// answer. A refused body is never buffered (a client announcing a few MiB on many connections
// holds no memory), and the client learns why instead of seeing a dropped connection.
class GuardedSocket : public asio::ip::tcp::socket {
 public:
  explicit GuardedSocket(asio::io_context& context) : asio::ip::tcp::socket(context) {}
  GuardedSocket(GuardedSocket&&) noexcept = default;
  GuardedSocket& operator=(GuardedSocket&&) noexcept = default;

  template <typename Handler>
  void async_read_some(const asio::mutable_buffer& buffer, Handler&& handler) {
    auto executor = asio::get_associated_executor(handler, get_executor());
    asio::ip::tcp::socket::async_read_some(
        buffer,
        asio::bind_executor(executor, [this, buffer, h = std::forward<Handler>(handler)](
                                          const asio::error_code& ec, std::size_t length) mutable {
          if (!ec && length > 0 && Inspect(static_cast<const char*>(buffer.data()), length)) {
            h(asio::error::connection_aborted, 0);  // refused: nothing more is read
            return;
          }
          h(ec, length);
        }));
  }

  // RESTinio ends a connection with shutdown(both) and close(); after a refusal both hand the
  // connection to a LingeringClose instead, which sends the answer and closes it when done.
  using asio::ip::tcp::socket::close;
  using asio::ip::tcp::socket::shutdown;
  void shutdown(shutdown_type what, asio::error_code& ec) {
    if (!refusal_.empty()) {
      ec = {};
      return;
    }
    asio::ip::tcp::socket::shutdown(what, ec);
  }
  void close() {
    if (!refusal_.empty() && !LingeringClose::Begin(*this, refusal_)) {
      // Too many linger already: the answer goes out if the socket takes it at once (never a
      // wait on the I/O thread), then the connection is closed.
      asio::error_code ignored;
      non_blocking(true, ignored);
      write_some(asio::buffer(refusal_), ignored);
    }
    refusal_.clear();
    if (is_open()) asio::ip::tcp::socket::close();
  }

 private:
  // True when the request is refused here (its answer waits in refusal_ for the close).
  bool Inspect(const char* data, std::size_t length) {
    if (done_) return false;
    if (!framing_ && !StartFollowing()) return false;
    const FramingRefusal refusal = framing_->Follow(data, length);
    if (refusal == FramingRefusal::kNone) return false;
    done_ = true;
    refusal_ = framing_->Answer();
    const auto& counter =
        refusal == FramingRefusal::kTooLarge ? counts_.too_large : counts_.malformed;
    if (counter) ++*counter;
    framing_.reset();
    return true;
  }

  // Sets up the framing that follows the requests; false when this socket's server has no body
  // limit registered (nothing is followed then).
  bool StartFollowing() {
    auto guard = AnnouncedBodyLimits::Instance().Get(&get_executor().context());
    if (!guard) {
      done_ = true;
      return false;
    }
    counts_ = std::move(*guard);
    framing_ = std::make_unique<RequestFraming>(counts_.limit);
    return true;
  }

  std::unique_ptr<RequestFraming> framing_;
  BodyRefusal counts_;
  std::string refusal_;  // the answer to send once RESTinio closes the connection
  bool done_ = false;
};

// Single-thread traits (no strands: each listener's io_context is run by exactly one I/O
// thread; handler threads reach a connection only through asio::dispatch onto that io_context)
// plus the connection limiter above.
struct Traits : public restinio::default_single_thread_traits_t {
  using stream_socket_t = GuardedSocket;
  using ip_blocker_t = ListenerConnections;
  using connection_state_listener_t = ListenerConnections;
};
using HttpServer = restinio::http_server_t<Traits>;

// Counts requests that were accepted but not yet fully answered, so Stop() can wait for them.
// The count and the draining flag share one mutex: a request either gets in before draining
// starts (and is waited for) or is refused — none slips through unobserved.
class InFlight : public std::enable_shared_from_this<InFlight> {
 public:
  // Released when the last copy is destroyed (after the job ran and the response was written
  // or abandoned).
  class Token {
   public:
    explicit Token(std::shared_ptr<InFlight> owner) : owner_(std::move(owner)) {}
    ~Token() { owner_->Release(); }
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

   private:
    std::shared_ptr<InFlight> owner_;
  };

  std::shared_ptr<Token> TryAcquire() {
    std::lock_guard lock(mutex_);
    if (draining_) return nullptr;
    ++count_;
    return std::make_shared<Token>(shared_from_this());
  }

  // Refuses new requests from now on.
  void BeginDrain() {
    std::lock_guard lock(mutex_);
    draining_ = true;
  }

  // Waits until the count drops to zero or `timeout` passes; true when it reached zero.
  bool WaitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return count_ == 0; });
  }

  bool draining() const {
    std::lock_guard lock(mutex_);
    return draining_;
  }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  void Release() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) idle_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
  bool draining_ = false;
};

// RESTinio computes these itself from the body; copying a handler's value would produce a
// second, possibly contradicting header.
bool IsManagedHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
         EqualsIgnoreCase(name, "Transfer-Encoding");
}

// Bodies above this are cut off by closing the connection (ServerLimits::hard_body_limit_factor).
std::uint64_t HardBodyLimit(const ServerLimits& limits) {
  return static_cast<std::uint64_t>(limits.max_body_bytes) * limits.hard_body_limit_factor;
}

// The timer manager only looks at deadlines every check period; keep it well below the
// shortest timeout so "closed after the read timeout" is not late by a whole second.
std::chrono::steady_clock::duration TimerCheckPeriod(const ServerSettings& s) {
  const auto shortest = std::min({s.read_timeout, s.handler_timeout, s.write_timeout});
  return std::clamp<std::chrono::milliseconds>(shortest / 4, std::chrono::milliseconds(50),
                                               std::chrono::milliseconds(1000));
}

// One I/O thread with its own io_context and RESTinio server. All listeners accept from one
// listening socket: the first binds it, the others take a duplicate of its descriptor, so
// whichever I/O thread is free takes the next connection (and the address is bound once, so
// "port in use" is still detected). A connection stays on the thread that accepted it.
struct Listener;
// The listener whose I/O thread is running this code (null elsewhere): a later answer is sent
// from the I/O thread of the connection it belongs to.
thread_local Listener* t_listener = nullptr;
// Whether this thread is inside RESTinio's request handler (Server::Impl::OnRequest).
thread_local bool t_in_request_handler = false;

// What sending a later answer needs: the connection's request handle, the request its
// middleware steps refer to, the in-flight token, and the I/O thread to send from.
struct LaterDelivery {
  restinio::request_handle_t req;
  std::shared_ptr<Request> request;
  std::shared_ptr<InFlight::Token> token;
  Listener* listener = nullptr;
};

// Holds the deliveries of the answers still to come (PendingAnswer), so that they reach an I/O
// thread only while the I/O threads run, and so that no connection outlives the server: when it
// stops, the deliveries still waiting are dropped while the I/O contexts still exist, and an
// answer that comes (or is dropped) afterwards finds nothing to send.
struct AnswerGate {
  std::mutex mutex;
  bool open = true;                                          // guarded by mutex
  std::uint64_t last_id = 0;                                 // guarded by mutex
  std::unordered_map<std::uint64_t, LaterDelivery> waiting;  // guarded by mutex
};

struct Listener {
  // Declared before the server so it is destroyed after it: asio handlers still queued at
  // shutdown (holding connections and request handles) die with it.
  asio::io_context io_context{1};
  std::unique_ptr<HttpServer> server;
  std::thread thread;

  // Later answers for this I/O thread to send (PendingAnswer), collected so that the answers
  // of one group commit cost one hand-over (and at most one wake-up of the thread), not one
  // each.
  void PostAnswer(std::function<void()> send) {
    bool first = false;
    {
      std::lock_guard lock(answers_mutex);
      first = answers.empty();
      answers.push_back(std::move(send));
    }
    if (!first) return;  // a hand-over is on its way and takes this one too
    asio::post(io_context, [this] {
      std::vector<std::function<void()>> ready;
      {
        std::lock_guard lock(answers_mutex);
        ready.swap(answers);
      }
      for (auto& send : ready) send();
    });
  }
  std::mutex answers_mutex;
  std::vector<std::function<void()>> answers;  // guarded by answers_mutex
};

}  // namespace

struct Server::Impl {
  Impl(ServerSettings s, const Router& r) : settings(std::move(s)), router(r) {}
  ~Impl() {
    for (auto& listener : listeners) AnnouncedBodyLimits::Instance().Erase(&listener->io_context);
  }

  Status Start();
  void Stop();
  restinio::server_settings_t<Traits> ListenerSettings(std::size_t index,
                                                       const asio::ip::address& address);
  Status Open(Listener& listener);
  restinio::request_handling_status_t OnRequest(const restinio::request_handle_t& req);
  void Process(const restinio::request_handle_t& req, std::shared_ptr<InFlight::Token> token,
               std::chrono::steady_clock::time_point received_at, Listener* listener,
               AttemptMemo* retry_of = nullptr);
  // Sends `response`, or — for Response::Later — has its answer sent from `listener`'s I/O
  // thread once it comes.
  void Finish(const restinio::request_handle_t& req, std::shared_ptr<Request> request,
              Response response, std::shared_ptr<InFlight::Token> token, Listener* listener);
  // Tells settings.on_exception about a later answer's middleware step that threw.
  void ReportStepFailure(const Request& request, std::string_view what) noexcept;
  bool TryInline(const restinio::request_handle_t& req, std::shared_ptr<InFlight::Token>& token,
                 std::chrono::steady_clock::time_point received_at,
                 std::shared_ptr<AttemptMemo>& memo);
  void RejectNow(const restinio::request_handle_t& req, std::string message,
                 std::chrono::steady_clock::time_point received_at);
  void Send(const restinio::request_handle_t& req, Response response,
            std::shared_ptr<InFlight::Token> token);
  static void RunIo(asio::io_context& io_context);
  void StopIo();

  const ServerSettings settings;
  const Router& router;
  std::vector<MiddlewarePtr> builtin;
  Handler terminal;

  std::atomic<std::uint16_t> bound_port{0};
  // The first listener's socket, bound and listening; the others accept from duplicates of it.
  int listening_socket = -1;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> answered_inline{0};
  std::atomic<std::uint64_t> deferred_from_inline{0};
  std::atomic<std::uint64_t> answered_later{0};
  std::shared_ptr<AnswerGate> answer_gate = std::make_shared<AnswerGate>();
  std::atomic<std::uint64_t> rejected_queue_full{0};
  std::atomic<std::uint64_t> rejected_draining{0};
  // Requests refused by the sockets (GuardedSocket): 413 from their headers or chunk sizes;
  // 400, 431, 501 or 505 for their framing.
  std::shared_ptr<std::atomic<std::uint64_t>> refused_too_large =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<std::atomic<std::uint64_t>> refused_malformed =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<InFlight> in_flight = std::make_shared<InFlight>();
  std::shared_ptr<ConnectionLimiter> connections;

  // Declared before the pool so they are destroyed after it (see Listener).
  std::vector<std::unique_ptr<Listener>> listeners;
  std::unique_ptr<WorkerPool> pool;
  bool started = false;
  bool stopped = false;
};

restinio::server_settings_t<Traits> Server::Impl::ListenerSettings(
    std::size_t index, const asio::ip::address& address) {
  const auto& s = settings;
  auto limiter = std::make_shared<ListenerConnections>(connections, index);
  restinio::server_settings_t<Traits> rs;
  rs.address(address)
      .port(index == 0 ? s.port : 0)  // the others bind a throwaway port, then take the socket
      .protocol(address.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4())
      .request_handler([this](restinio::request_handle_t req) { return OnRequest(req); })
      .read_next_http_message_timelimit(s.read_timeout)
      .handle_request_timeout(s.handler_timeout)
      .write_http_response_timelimit(s.write_timeout)
      .timer_manager(TimerCheckPeriod(s))
      .ip_blocker(limiter)
      .connection_state_listener(limiter)
      .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                    .max_url_size(s.limits.max_url_bytes)
                                    .max_field_name_size(s.limits.max_header_name_bytes)
                                    .max_field_value_size(s.limits.max_header_value_bytes)
                                    .max_field_count(s.limits.max_header_count)
                                    .max_body_size(HardBodyLimit(s.limits)));
  if (index == 0) {
    // RESTinio 0.6 has no accessor for the bound endpoint; this hook sees the acceptor right
    // after bind(), which is where port 0 becomes a real port.
    rs.acceptor_post_bind_hook([this](asio::ip::tcp::acceptor& acceptor) {
      bound_port.store(acceptor.local_endpoint().port());
      listening_socket = acceptor.native_handle();
    });
  } else {
    // RESTinio listens on whatever socket its acceptor holds after this hook: the first
    // listener's (listen() on a listening socket only sets the backlog again).
    rs.acceptor_post_bind_hook([this](asio::ip::tcp::acceptor& acceptor) {
      const int duplicate = ::dup(listening_socket);
      if (duplicate < 0) {
        throw asio::system_error(asio::error_code(errno, asio::error::get_system_category()),
                                 "dup of the listening socket");
      }
      const auto protocol = acceptor.local_endpoint().protocol();
      acceptor.close();
      asio::error_code ec;
      acceptor.assign(protocol, duplicate, ec);
      if (ec) {
        ::close(duplicate);
        throw asio::system_error(ec, "adopting the listening socket");
      }
    });
  }
  return rs;
}

Status Server::Impl::Open(Listener& listener) {
  // The error is turned into text on the I/O thread: the exception object itself is destroyed
  // there when RESTinio's catch block ends, so it is never read from this thread.
  std::promise<std::optional<std::string>> opened;
  auto opened_future = opened.get_future();
  listener.server->open_async([&opened]() noexcept { opened.set_value(std::nullopt); },
                              [&opened](std::exception_ptr error) noexcept {
                                std::string message = "unknown error";
                                try {
                                  std::rethrow_exception(error);
                                } catch (const std::exception& e) {
                                  message = e.what();
                                } catch (...) {
                                }
                                opened.set_value(std::move(message));
                              });
  if (auto error = opened_future.get()) {
    return Fail(ErrorCode::kUnavailable, "cannot listen on " + settings.address + ":" +
                                             std::to_string(settings.port) + ": " + *error);
  }
  return Ok();
}

Status Server::Impl::Start() {
  const auto& s = settings;
  if (s.io_threads == 0 || s.worker_threads == 0 || s.queue_capacity == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "io_threads, worker_threads, queue_capacity must be > 0");
  }
  if (s.limits.hard_body_limit_factor == 0 || s.limits.max_connections == 0) {
    return Fail(ErrorCode::kInvalidArgument, "hard_body_limit_factor, max_connections must be > 0");
  }
  asio::error_code ec;
  const auto address = asio::ip::make_address(s.address, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument, "not an IP address: " + s.address);

  builtin.push_back(std::make_shared<NoStoreMiddleware>());
  builtin.push_back(std::make_shared<RequestIdMiddleware>());
  if (s.access_log) builtin.push_back(std::make_shared<AccessLogMiddleware>(s.access_log));
  builtin.push_back(std::make_shared<CatchAllMiddleware>(s.on_exception));
  builtin.push_back(std::make_shared<BodyLimitMiddleware>(s.limits.max_body_bytes));
  builtin.push_back(std::make_shared<JsonDepthMiddleware>(s.limits.max_json_depth));
  terminal = [this](Request& request) { return router.Handle(request); };

  pool = std::make_unique<WorkerPool>(s.worker_threads, s.queue_capacity);
  connections = std::make_shared<ConnectionLimiter>(s.limits.max_connections,
                                                    s.limits.max_connections_per_address);

  try {
    for (std::size_t i = 0; i < s.io_threads; ++i) {
      auto listener = std::make_unique<Listener>();
      AnnouncedBodyLimits::Instance().Set(
          &listener->io_context,
          BodyRefusal{s.limits.max_body_bytes, refused_too_large, refused_malformed});
      listener->server = std::make_unique<HttpServer>(
          restinio::external_io_context(listener->io_context), ListenerSettings(i, address));
      listeners.push_back(std::move(listener));
    }
  } catch (const std::exception& e) {
    StopIo();
    pool->Shutdown();
    return Fail(ErrorCode::kInvalidArgument, std::string("http server setup failed: ") + e.what());
  }
  try {
    for (auto& listener : listeners) {
      listener->thread = std::thread([l = listener.get()] {
        t_listener = l;
        RunIo(l->io_context);
      });
    }
  } catch (const std::exception& e) {
    StopIo();
    pool->Shutdown();
    return Fail(ErrorCode::kUnavailable, std::string("cannot start I/O threads: ") + e.what());
  }
  // The first listener binds and listens; only then can the others take its socket.
  for (auto& listener : listeners) {
    if (auto opened = Open(*listener); !opened) {
      StopIo();
      pool->Shutdown();
      return opened;
    }
  }
  started = true;
  return Ok();
}

void Server::Impl::RunIo(asio::io_context& io_context) {
  // Keeps run() from returning when momentarily idle; only stop() ends it.
  auto work = asio::make_work_guard(io_context);
  while (true) {
    try {
      io_context.run();
      return;
    } catch (...) {
      // RESTinio handlers catch their own errors; anything escaping must not kill the thread
      // and with it the whole process.
    }
  }
}

void Server::Impl::StopIo() {
  std::unordered_map<std::uint64_t, LaterDelivery> dropped;
  {
    // An answer that comes from now on has no I/O thread to be sent from: it is dropped, and
    // the connections of those still to come are let go now, while the I/O contexts exist.
    std::lock_guard lock(answer_gate->mutex);
    answer_gate->open = false;
    dropped.swap(answer_gate->waiting);
  }
  dropped.clear();
  for (auto& listener : listeners) listener->io_context.stop();
  for (auto& listener : listeners) {
    if (listener->thread.joinable()) listener->thread.join();
    AnnouncedBodyLimits::Instance().Erase(&listener->io_context);
  }
}

void Server::Impl::Stop() {
  if (!started || stopped) return;
  stopped = true;

  // Refuse before closing the listeners, so that once connects fail, requests arriving on
  // open keep-alive connections are refused too.
  in_flight->BeginDrain();
  for (auto& listener : listeners) {
    std::promise<void> closed;
    listener->server->close_async([&closed]() noexcept { closed.set_value(); },
                                  [&closed](std::exception_ptr) noexcept { closed.set_value(); });
    closed.get_future().wait();
  }

  in_flight->WaitIdle(settings.drain_timeout);

  // The listeners are closed already; stopping the io_contexts ends every connection's I/O.
  StopIo();
  // After I/O stopped: a handler that outlived the drain may still call done(); its write is
  // only queued on a stopped io_context and dropped with it.
  pool->Shutdown();
}

restinio::request_handling_status_t Server::Impl::OnRequest(const restinio::request_handle_t& req) {
  const auto received_at = std::chrono::steady_clock::now();
  struct InHandler {
    InHandler() noexcept { t_in_request_handler = true; }
    ~InHandler() { t_in_request_handler = false; }
  } in_handler;
  auto token = in_flight->TryAcquire();
  if (!token) {
    ++rejected_draining;
    RejectNow(req, "server is shutting down", received_at);
    return restinio::request_accepted();
  }
  // A route that only reads memory is answered here, on the I/O thread: no hand-off to a
  // handler thread and back, and an answer even while every handler thread is busy. Only
  // without a body, so that no body is copied or scanned (body limit, JSON depth) on this thread.
  // A route that usually answers from memory is tried here first (small bodies only) and goes
  // to a handler thread when it would block.
  const auto mode =
      router.Inline(ParseMethod(req->header().method().c_str()), req->header().path());
  if (mode == InlineMode::kAnswer && req->body().empty()) {
    ++answered_inline;
    Process(req, std::move(token), received_at, t_listener);
    return restinio::request_accepted();
  }
  std::shared_ptr<AttemptMemo> memo;
  if (mode == InlineMode::kTry && req->body().size() <= settings.limits.max_try_inline_body_bytes) {
    if (TryInline(req, token, received_at, memo)) return restinio::request_accepted();
  }
  // `memo` is set when the attempt on this thread would have blocked: the retry sees its steps.
  if (!pool->TryPost([this, req, token, received_at, memo, listener = t_listener] {
        Process(req, token, received_at, listener, memo.get());
      })) {
    token.reset();
    ++rejected_queue_full;
    RejectNow(req, "server busy, retry later", received_at);
    return restinio::request_accepted();
  }
  ++accepted;
  return restinio::request_accepted();
}

namespace {

// The peer's address as text: IPv4 digit by digit (asio formats through inet_ntop and
// sprintf, a measurable part of answering GET /health), IPv6 as asio writes it.
std::string AddressText(const asio::ip::address& address) {
  if (!address.is_v4()) return address.to_string();
  return FormatIpv4(address.to_v4().to_bytes());
}

Request ConvertRequest(const restinio::request_t& req) {
  Request request;
  const auto& header = req.header();
  request.method_token = header.method().c_str();
  request.method = ParseMethod(request.method_token);
  request.target = header.request_target();
  request.path = std::string(header.path());
  request.raw_query = std::string(header.query());
  request.query = ParseQueryString(request.raw_query);
  for (const auto& field : header) request.headers.Add(field.name(), field.value());
  request.body = req.body();
  const auto& peer = req.remote_endpoint();
  request.peer_address = AddressText(peer.address());
  request.peer_port = peer.port();
  return request;
}

}  // namespace

void Server::Impl::Process(const restinio::request_handle_t& req,
                           std::shared_ptr<InFlight::Token> token,
                           std::chrono::steady_clock::time_point received_at, Listener* listener,
                           AttemptMemo* retry_of) {
  std::shared_ptr<Request> request;
  Response response;
  try {
    request = std::make_shared<Request>(ConvertRequest(*req));
    request->received_at = received_at;
    // The retry of an attempt on the I/O thread sees the steps that attempt recorded.
    std::optional<AttemptScope> retry;
    if (retry_of != nullptr) retry.emplace(*retry_of, /*may_block=*/true);
    response = RunChain(builtin, *request, terminal);
  } catch (...) {
    // Only conversion or the built-in middleware can get here (the catch-all covers the rest),
    // e.g. bad_alloc; answer rather than leave the client hanging until the handler timeout.
    response = Response::Error(ErrorCode::kInternal, "internal error");
  }
  Finish(req, std::move(request), std::move(response), std::move(token), listener);
}

bool Server::Impl::TryInline(const restinio::request_handle_t& req,
                             std::shared_ptr<InFlight::Token>& token,
                             std::chrono::steady_clock::time_point received_at,
                             std::shared_ptr<AttemptMemo>& memo) {
  memo = std::make_shared<AttemptMemo>();
  std::shared_ptr<Request> request;
  Response response;
  try {
    request = std::make_shared<Request>(ConvertRequest(*req));
    request->received_at = received_at;
    AttemptScope attempt(*memo, /*may_block=*/false);
    response = RunChain(builtin, *request, terminal);
  } catch (const WouldBlock&) {
    // Nothing was answered or logged: the request runs again on a handler thread.
    ++deferred_from_inline;
    return false;
  } catch (...) {
    response = Response::Error(ErrorCode::kInternal, "internal error");
  }
  memo.reset();
  ++answered_inline;
  Finish(req, std::move(request), std::move(response), std::move(token), t_listener);
  return true;
}

void Server::Impl::Finish(const restinio::request_handle_t& req, std::shared_ptr<Request> request,
                          Response response, std::shared_ptr<InFlight::Token> token,
                          Listener* listener) {
  if (!response.pending) {
    Send(req, std::move(response), std::move(token));
    return;
  }
  auto pending = std::move(response.pending);
  std::uint64_t id = 0;
  {
    std::lock_guard lock(answer_gate->mutex);
    if (!answer_gate->open) return;  // the I/O threads stopped: nobody to answer
    id = ++answer_gate->last_id;
    answer_gate->waiting.emplace(
        id, LaterDelivery{req, std::move(request), std::move(token), listener});
  }
  // The middleware's steps (request id, access log, ...) run on the connection's I/O thread,
  // not on the thread that answers (the group commit's writer, say), and the request lives
  // until they ran: they may refer to it. The token keeps Stop() waiting for the answer.
  const bool later = pending->Deliver(
      [this, id, gate = answer_gate](Response answer, std::vector<PendingAnswer::Step> steps) {
        std::lock_guard lock(gate->mutex);
        auto it = gate->waiting.find(id);
        if (it == gate->waiting.end()) return;  // the server stopped meanwhile
        LaterDelivery delivery = std::move(it->second);
        gate->waiting.erase(it);
        Listener* listener = delivery.listener;
        listener->PostAnswer([this, delivery = std::move(delivery), answer = std::move(answer),
                              steps = std::move(steps)]() mutable {
          Response final = std::move(answer);
          if (final.pending) final = Response::Error(ErrorCode::kInternal, "internal error");
          // As in the synchronous chain, where the catch-all sits inside the access log and the
          // request id: a step that throws turns the answer into 500 and the others still run.
          for (auto& step : steps) {
            try {
              final = step(std::move(final));
            } catch (const std::exception& e) {
              ReportStepFailure(*delivery.request, e.what());
              final = Response::Error(ErrorCode::kInternal, "internal error");
            } catch (...) {
              ReportStepFailure(*delivery.request, "non-standard exception");
              final = Response::Error(ErrorCode::kInternal, "internal error");
            }
          }
          Send(delivery.req, std::move(final), std::move(delivery.token));
        });
      });
  if (later) ++answered_later;
}

void Server::Impl::ReportStepFailure(const Request& request, std::string_view what) noexcept {
  if (!settings.on_exception) return;
  try {
    settings.on_exception(request, what);
  } catch (...) {
    // Reporting is best effort.
  }
}

void Server::Impl::RejectNow(const restinio::request_handle_t& req, std::string message,
                             std::chrono::steady_clock::time_point received_at) {
  // Runs on the I/O thread: only cheap work here (no body copy, no middleware chain).
  Request request;
  request.method_token = req->header().method().c_str();
  request.method = ParseMethod(request.method_token);
  request.target = req->header().request_target();
  request.path = std::string(req->header().path());
  request.peer_address = req->remote_endpoint().address().to_string();
  request.peer_port = req->remote_endpoint().port();
  request.received_at = received_at;
  const auto incoming_id = req->header().opt_value_of(RequestIdMiddleware::kHeader);
  request.request_id = incoming_id && RequestIdMiddleware::IsValid(*incoming_id)
                           ? std::string(*incoming_id)
                           : RequestIdMiddleware::Generate();

  Response response = Response::Error(ErrorCode::kUnavailable, std::move(message));
  response.headers.Set("Retry-After", "1");
  response.headers.Set(std::string(RequestIdMiddleware::kHeader), request.request_id);
  response.AttachRequestId(request.request_id);
  if (settings.access_log) {
    try {
      settings.access_log(request, response, std::chrono::steady_clock::now() - received_at);
    } catch (...) {
      // Logging must not change the answer.
    }
  }
  Send(req, std::move(response), nullptr);
}

void Server::Impl::Send(const restinio::request_handle_t& req, Response response,
                        std::shared_ptr<InFlight::Token> token) {
  try {
    const auto status = static_cast<std::uint16_t>(response.status);
    auto builder = req->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{status}, std::string(ReasonPhrase(response.status))});
    for (const auto& [name, value] : response.headers.All()) {
      if (!IsManagedHeader(name)) builder.append_header(name, value);
    }
    // During shutdown tell keep-alive clients not to reuse the connection.
    if (in_flight->draining()) builder.connection_close();
    // An answer to HEAD has no body, whatever it says (a 405, an error): bytes after its headers
    // would be read as the start of the next answer on a kept-alive connection.
    if (req->header().method() != restinio::http_method_head()) {
      builder.set_body(std::move(response.body));
    }
    // The token lives until RESTinio reports the write finished (or abandoned), which is what
    // Stop() waits for.
    auto done = [token = std::move(token)](const asio::error_code&) {};
    if (t_in_request_handler && t_listener != nullptr) {
      // Answered inside RESTinio's request handler (on the I/O thread, before it returned):
      // RESTinio would write it at once, and then, with a pipelined request waiting in its
      // buffer, read on both after the write and after the handler, losing requests. Written
      // right after the handler returns, it takes RESTinio's usual path. A post to the running
      // thread's own event loop: no hand-over, no wake-up.
      asio::post(t_listener->io_context,
                 [builder = std::move(builder), done = std::move(done)]() mutable {
                   try {
                     builder.done(std::move(done));
                   } catch (...) {
                     // The connection is gone or closed; there is nobody to answer.
                   }
                 });
      return;
    }
    builder.done(std::move(done));
  } catch (...) {
    // The connection is gone or closed (e.g. handler timeout); there is nobody to answer.
  }
}

Server::Server(ServerSettings settings, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(settings), router)) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  if (impl_->started || impl_->stopped || impl_->pool) {
    return Fail(ErrorCode::kInvalidArgument, "Server::Start called twice");
  }
  return impl_->Start();
}

void Server::Stop() { impl_->Stop(); }

std::uint16_t Server::port() const noexcept { return impl_->bound_port.load(); }

ServerStats Server::Stats() const {
  ServerStats stats;
  stats.accepted = impl_->accepted.load();
  stats.answered_inline = impl_->answered_inline.load();
  stats.deferred_from_inline = impl_->deferred_from_inline.load();
  stats.answered_later = impl_->answered_later.load();
  stats.rejected_queue_full = impl_->rejected_queue_full.load();
  stats.rejected_draining = impl_->rejected_draining.load();
  stats.refused_too_large = impl_->refused_too_large->load();
  stats.refused_malformed = impl_->refused_malformed->load();
  if (impl_->pool) {
    stats.queued = impl_->pool->queued();
    stats.running = impl_->pool->running();
  }
  stats.in_flight = impl_->in_flight->count();
  if (impl_->connections) stats.open_connections = impl_->connections->open();
  return stats;
}

}  // namespace callgate::http
