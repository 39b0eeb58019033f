#include "redis/client.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace callgate::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

Reply Convert(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return Reply(static_cast<std::int64_t>(reply->integer));
    case REDIS_REPLY_STRING:
      return Reply(std::string(reply->str, reply->len));
    case REDIS_REPLY_STATUS:
      return Reply(StatusReply{std::string(reply->str, reply->len)});
    case REDIS_REPLY_ERROR:
      return Reply(ErrorReply{std::string(reply->str, reply->len)});
    case REDIS_REPLY_ARRAY: {
      Reply::Array elements;
      elements.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) {
        elements.push_back(Convert(reply->element[i]));
      }
      return Reply(std::move(elements));
    }
    default:
      return Reply(Nil{});
  }
}

struct ReplyDeleter {
  void operator()(void* reply) const noexcept { freeReplyObject(reply); }
};
using OwnedReply = std::unique_ptr<void, ReplyDeleter>;

// Sends one command on a fresh connection during setup (AUTH, SELECT).
Status SetupCommand(redisContext* context, const Argv& argv, std::string_view what) {
  std::vector<const char*> parts;
  std::vector<std::size_t> lengths;
  for (const auto& arg : argv) {
    parts.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  OwnedReply reply(
      redisCommandArgv(context, static_cast<int>(parts.size()), parts.data(), lengths.data()));
  if (!reply) {
    return Fail(ErrorCode::kUnavailable, std::string(what) + " failed: " + context->errstr);
  }
  const auto* r = static_cast<const redisReply*>(reply.get());
  if (r->type == REDIS_REPLY_ERROR) {
    // Redis' message for a wrong password does not contain the password.
    return Fail(ErrorCode::kUnavailable,
                std::string(what) + " refused: " + std::string(r->str, r->len));
  }
  return Ok();
}

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Argv ToArgv(std::initializer_list<std::string_view> argv) {
  Argv out;
  out.reserve(argv.size());
  for (std::string_view arg : argv) out.emplace_back(arg);
  return out;
}

}  // namespace

Pipeline& Pipeline::Add(std::initializer_list<std::string_view> argv) {
  commands_.push_back(ToArgv(argv));
  return *this;
}

Pipeline& Pipeline::Add(Argv argv) {
  commands_.push_back(std::move(argv));
  return *this;
}

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

Client::Client(RedisUrl url, ClientOptions options) : url_(std::move(url)), options_(options) {}

Client::~Client() { Disconnect(); }

void Client::Disconnect() noexcept {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

Status Client::Connect() {
  if (context_ != nullptr && ConnectionLooksClosed()) Disconnect();
  if (context_ != nullptr) return Ok();
  return Open();
}

Status Client::Open() {
  redisContext* context =
      redisConnectWithTimeout(url_.host.c_str(), url_.port, ToTimeval(options_.connect_timeout));
  const std::string where = "redis: " + url_.Redacted() + ": ";
  if (context == nullptr) return Fail(ErrorCode::kUnavailable, where + "out of memory");
  if (context->err != 0) {
    std::string message = where + "cannot connect: " + context->errstr;
    redisFree(context);
    return Fail(ErrorCode::kUnavailable, std::move(message));
  }
  redisSetTimeout(context, ToTimeval(options_.connect_timeout));
  redisEnableKeepAlive(context);
  Status setup = Ok();
  if (!url_.password.empty()) {
    Argv auth = {"AUTH"};
    if (!url_.user.empty()) auth.push_back(url_.user);
    auth.push_back(url_.password.Reveal());
    setup = SetupCommand(context, auth, "AUTH");
  }
  if (setup && url_.database != 0) {
    setup = SetupCommand(context, {"SELECT", std::to_string(url_.database)}, "SELECT");
  }
  if (!setup) {
    redisFree(context);
    return Fail(ErrorCode::kUnavailable, where + setup.error().message);
  }
  redisSetTimeout(context, ToTimeval(options_.command_timeout));
  context_ = context;
  return Ok();
}

// RESP2 servers send nothing unsolicited outside pub/sub, so an idle connection that is
// readable has been closed (or reset) by the server: reconnect before sending, which keeps
// the command from being lost or run twice.
bool Client::ConnectionLooksClosed() const noexcept {
  if (context_ == nullptr) return true;
  if (context_->err != 0) return true;
  pollfd fd{};
  fd.fd = context_->fd;
  fd.events = POLLIN;
  const int ready = ::poll(&fd, 1, 0);
  return ready != 0;  // readable, hung up, error, or poll itself failed
}

Error Client::TakeConnectionError() {
  const int saved_errno = errno;
  std::string message = context_ != nullptr ? context_->errstr : "connection lost";
  const bool timed_out = context_ != nullptr && context_->err == REDIS_ERR_IO &&
                         (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                          message.find("temporarily unavailable") != std::string::npos);
  Disconnect();  // the stream is out of sync now; never reuse it
  if (timed_out) {
    return Error{ErrorCode::kTimeout, "redis: " + url_.Redacted() + ": no reply within " +
                                          std::to_string(options_.command_timeout.count()) + " ms"};
  }
  return Error{ErrorCode::kUnavailable, "redis: " + url_.Redacted() + ": " + message};
}

Result<std::vector<Reply>> Client::RoundTrip(const std::vector<Argv>& commands) {
  if (auto connected = Connect(); !connected) return tl::unexpected(connected.error());
  std::vector<const char*> parts;
  std::vector<std::size_t> lengths;
  for (const Argv& argv : commands) {
    parts.clear();
    lengths.clear();
    for (const auto& arg : argv) {
      parts.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(parts.size()), parts.data(),
                               lengths.data()) != REDIS_OK) {
      return tl::unexpected(TakeConnectionError());
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return tl::unexpected(TakeConnectionError());
    }
    OwnedReply reply(raw);
    replies.push_back(Convert(static_cast<const redisReply*>(raw)));
  }
  return replies;
}

Result<Reply> Client::Command(std::initializer_list<std::string_view> argv) {
  return Command(ToArgv(argv));
}

Result<Reply> Client::Command(const Argv& argv) {
  if (argv.empty()) return Fail(ErrorCode::kInvalidArgument, "redis: empty command");
  auto replies = RoundTrip({argv});
  if (!replies) return tl::unexpected(replies.error());
  Reply& reply = replies->front();
  if (reply.IsError()) return Fail(ErrorCode::kInternal, "redis: " + reply.error());
  return std::move(reply);
}

Result<std::vector<Reply>> Client::RunPipeline(const redis::Pipeline& pipeline) {
  if (pipeline.empty()) return std::vector<Reply>{};
  for (const Argv& argv : pipeline.commands()) {
    if (argv.empty()) return Fail(ErrorCode::kInvalidArgument, "redis: empty command in pipeline");
  }
  return RoundTrip(pipeline.commands());
}

Result<Reply> Client::Eval(const Script& script, const Argv& keys, const Argv& args) {
  Argv argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto replies = RoundTrip({argv});
  if (!replies) return tl::unexpected(replies.error());
  if (replies->front().IsError() && replies->front().error().starts_with("NOSCRIPT")) {
    argv[0] = "EVAL";
    argv[1] = script.source();
    replies = RoundTrip({argv});
    if (!replies) return tl::unexpected(replies.error());
  }
  Reply& reply = replies->front();
  if (reply.IsError()) return Fail(ErrorCode::kInternal, "redis script: " + reply.error());
  return std::move(reply);
}

}  // namespace callgate::redis
