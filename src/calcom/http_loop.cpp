#include "calcom/http_loop.hpp"

#include <curl/curl.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/blocking.hpp"

namespace callgate::calcom {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpRequest request;
  HttpLoop::Callback done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string response_body;
  bool too_large = false;
  std::chrono::steady_clock::time_point started;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  ~Transfer() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (t->response_body.size() + bytes > t->request.max_response_bytes) {
    t->too_large = true;
    return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
  }
  t->response_body.append(data, bytes);
  return bytes;
}

TransportError Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::kConnect;
    default:
      return TransportError::kOther;
  }
}

HttpResponse ShutdownResponse() {
  HttpResponse r;
  r.error = TransportError::kShutdown;
  r.error_message = "HTTP client is shutting down";
  return r;
}

void Deliver(const HttpLoop::Callback& done, HttpResponse response) {
  try {
    done(std::move(response));
  } catch (...) {
    // A callback must not take the loop thread down with it.
  }
}

}  // namespace

struct HttpLoop::Impl {
  CURLM* multi = nullptr;
  std::mutex mutex;
  std::deque<std::unique_ptr<Transfer>> pending;                // guarded by mutex
  bool stopping = false;                                        // guarded by mutex
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;  // loop thread only
  std::thread thread;

  void Start(std::unique_ptr<Transfer> t) {
    t->easy = curl_easy_init();
    if (t->easy == nullptr) {
      HttpResponse r;
      r.error = TransportError::kOther;
      r.error_message = "curl_easy_init failed";
      Deliver(t->done, std::move(r));
      return;
    }
    CURL* e = t->easy;
    const HttpRequest& req = t->request;
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer.data());
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    for (const auto& h : req.headers) t->headers = curl_slist_append(t->headers, h.c_str());
    if (req.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      if (req.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      // No "Expect: 100-continue" round trip for small JSON bodies.
      t->headers = curl_slist_append(t->headers, "Expect:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    t->started = std::chrono::steady_clock::now();
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
      HttpResponse r;
      r.error = TransportError::kOther;
      r.error_message = "curl_multi_add_handle failed";
      Deliver(t->done, std::move(r));
      return;
    }
    active.emplace(e, std::move(t));
  }

  void Finish(CURL* easy, CURLcode code) {
    auto it = active.find(easy);
    if (it == active.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active.erase(it);
    curl_multi_remove_handle(multi, easy);
    HttpResponse r;
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t->started);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &r.new_connections);
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      r.status = static_cast<int>(status);
      r.body = std::move(t->response_body);
    } else if (t->too_large) {
      r.error = TransportError::kTooLarge;
      r.error_message =
          "response larger than " + std::to_string(t->request.max_response_bytes) + " bytes";
    } else {
      r.error = Classify(code);
      r.error_message =
          t->error_buffer[0] != '\0' ? t->error_buffer.data() : curl_easy_strerror(code);
    }
    Deliver(t->done, std::move(r));
  }

  void Run() {
    while (true) {
      std::deque<std::unique_ptr<Transfer>> incoming;
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
        incoming.swap(pending);
      }
      for (auto& t : incoming) Start(std::move(t));
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
      }
      // Returns on socket activity, a libcurl timer, or curl_multi_wakeup from Submit/stop.
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& [easy, t] : active) {
      curl_multi_remove_handle(multi, easy);
      Deliver(t->done, ShutdownResponse());
    }
    active.clear();
    std::deque<std::unique_ptr<Transfer>> rest;
    {
      std::lock_guard lock(mutex);
      rest.swap(pending);
    }
    for (auto& t : rest) Deliver(t->done, ShutdownResponse());
  }
};

HttpLoop::HttpLoop(std::size_t max_connections) : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, static_cast<long>(max_connections));
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

HttpLoop::~HttpLoop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  curl_multi_wakeup(impl_->multi);
  if (impl_->thread.joinable()) impl_->thread.join();
  curl_multi_cleanup(impl_->multi);
}

void HttpLoop::Submit(HttpRequest request, Callback done) {
  // The answer comes from another thread (Perform and PerformAll wait for it here).
  MayBlock("cal.com");
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopping) {
      impl_->pending.push_back(std::move(t));
    }
  }
  if (t) {  // not queued: the loop is stopping
    Deliver(t->done, ShutdownResponse());
    return;
  }
  curl_multi_wakeup(impl_->multi);
}

HttpResponse HttpLoop::Perform(HttpRequest request) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  return std::move(PerformAll(std::move(one)).front());
}

std::vector<HttpResponse> HttpLoop::PerformAll(std::vector<HttpRequest> requests) {
  std::vector<HttpResponse> out(requests.size());
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t remaining = requests.size();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Submit(std::move(requests[i]), [&, i](HttpResponse r) {
      std::lock_guard lock(mutex);
      out[i] = std::move(r);
      if (--remaining == 0) cv.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return remaining == 0; });
  return out;
}

}  // namespace callgate::calcom
