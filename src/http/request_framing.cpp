#include "http/request_framing.hpp"

#include <http_parser.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <string_view>

#include "core/encoding.hpp"
#include "core/text.hpp"
#include "http/headers.hpp"

namespace callgate::http {
namespace {

// Bounds on what a chunked body may carry besides its data (http_parser bounds nothing there).
constexpr std::size_t kMaxChunkSizeLine = 4096;  // hex digits and extension
constexpr std::size_t kMaxTrailerSection = 8192;
// The server keeps a record per chunk (some 20 bytes): a body of one-byte chunks would hold some
// twenty times its size. So a body may have at most this many chunks, or one per
// kBytesPerChunk of the body limit where that is more.
constexpr std::uint64_t kMaxChunks = 1024;
constexpr std::uint64_t kBytesPerChunk = 64;

// Trailer fields http_parser reads as it reads these headers (framing and the connection's
// fate): in a trailer they would change what the server does after the body unseen by the
// proxy in front, and http_parser refuses some of their values itself.
bool IsFramingFieldName(std::string_view name) {
  for (const std::string_view framing :
       {"content-length", "transfer-encoding", "connection", "proxy-connection", "upgrade"}) {
    if (EqualsIgnoreCase(name, framing)) return true;
  }
  return false;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Visible characters, space, tab and obs-text: what a chunk extension or a field value holds.
bool IsFieldChar(unsigned char c) { return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7F); }

// A chunked body (RFC 9112 §7.1), read strictly.
class ChunkedBody {
 public:
  enum class Result { kMore, kComplete, kMalformed, kTooLarge };

  void Reset() { *this = ChunkedBody{}; }

  // Reads from `data`; `consumed` is how much belonged to the body (all of it unless complete).
  Result Follow(const unsigned char* data, std::size_t length, std::uint64_t limit,
                std::size_t& consumed) {
    const std::uint64_t max_chunks = std::max(kMaxChunks, limit / kBytesPerChunk);
    std::size_t i = 0;
    while (i < length) {
      const unsigned char c = data[i];
      switch (state_) {
        case State::kSize:
          if (const int digit = HexDigitValue(static_cast<char>(c)); digit >= 0) {
            if (digits_ == 16) return Malformed("chunk size too large");
            size_ = size_ * 16 + static_cast<unsigned>(digit);
            ++digits_;
          } else if (digits_ == 0) {
            return Malformed("chunk size is not hexadecimal");
          } else if (c == ';') {
            state_ = State::kExtension;
          } else if (c == ' ') {  // http_parser takes a space here, not a tab
            state_ = State::kBeforeExtension;
          } else if (c == '\r') {
            state_ = State::kSizeLf;
          } else {
            return Malformed("chunk size is not hexadecimal");
          }
          break;
        case State::kBeforeExtension:  // BWS, then only an extension may follow
          if (c == ';') {
            state_ = State::kExtension;
          } else if (c != ' ' && c != '\t') {
            return Malformed("chunk size line is malformed");
          }
          break;
        case State::kExtension:
          if (c == '\r') {
            state_ = State::kSizeLf;
          } else if (!IsFieldChar(c)) {
            return Malformed("chunk extension holds a control character");
          }
          break;
        case State::kSizeLf:
          if (c != '\n') return Malformed("chunk size line does not end with CRLF");
          if (size_ == 0) {
            state_ = State::kTrailerLineStart;
          } else {
            if (size_ > limit || total_ > limit - size_) return Result::kTooLarge;
            if (++chunks_ > max_chunks) return Malformed("too many chunks");
            total_ += size_;
            state_ = State::kData;
          }
          break;
        case State::kData: {
          const auto take = static_cast<std::size_t>(
              std::min<std::uint64_t>(size_, static_cast<std::uint64_t>(length - i)));
          size_ -= take;
          i += take;
          if (size_ == 0) state_ = State::kDataCr;
          continue;
        }
        case State::kDataCr:
          if (c != '\r') return Malformed("chunk data does not end with CRLF");
          state_ = State::kDataLf;
          break;
        case State::kDataLf:
          if (c != '\n') return Malformed("chunk data does not end with CRLF");
          state_ = State::kSize;
          digits_ = 0;
          line_ = 0;
          break;
        case State::kTrailerLineStart:
          if (c == '\r') {
            state_ = State::kEndLf;
          } else if (IsTokenChar(c)) {
            state_ = State::kTrailerName;
            name_[0] = static_cast<char>(c);
            name_length_ = 1;
          } else {
            return Malformed("trailer field is malformed");
          }
          break;
        case State::kTrailerName:
          if (c == ':') {
            if (name_length_ <= name_.size() &&
                IsFramingFieldName(std::string_view(name_.data(), name_length_))) {
              return Malformed("a trailer field may not change the framing or the connection");
            }
            state_ = State::kTrailerValue;
          } else if (!IsTokenChar(c)) {
            return Malformed("trailer field is malformed");
          } else {
            if (name_length_ < name_.size()) name_[name_length_] = static_cast<char>(c);
            ++name_length_;
          }
          break;
        case State::kTrailerValue:
          if (c == '\r') {
            state_ = State::kTrailerLf;
          } else if (!IsFieldChar(c)) {
            return Malformed("trailer field holds a control character");
          }
          break;
        case State::kTrailerLf:
          if (c != '\n') return Malformed("trailer field does not end with CRLF");
          state_ = State::kTrailerLineStart;
          break;
        case State::kEndLf:
          if (c != '\n') return Malformed("chunked body does not end with CRLF");
          consumed = i + 1;
          return Result::kComplete;
      }
      if (state_ == State::kSize || state_ == State::kBeforeExtension ||
          state_ == State::kExtension || state_ == State::kSizeLf) {
        if (++line_ > kMaxChunkSizeLine) return Malformed("chunk size line too long");
      } else if (state_ >= State::kTrailerLineStart) {
        if (++trailer_ > kMaxTrailerSection) return Malformed("trailer section too long");
      }
      ++i;
    }
    consumed = length;
    return Result::kMore;
  }

  const char* problem() const { return problem_; }

 private:
  enum class State {
    kSize,
    kBeforeExtension,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    // from here on: the trailer section
    kTrailerLineStart,
    kTrailerName,
    kTrailerValue,
    kTrailerLf,
    kEndLf,
  };

  Result Malformed(const char* problem) {
    problem_ = problem;
    return Result::kMalformed;
  }

  State state_ = State::kSize;
  std::uint64_t size_ = 0;   // of the chunk being read: announced, then still to come
  std::uint64_t total_ = 0;  // all chunks announced so far
  std::uint64_t chunks_ = 0;
  int digits_ = 0;
  std::array<char, 24> name_{};  // a trailer field's name, as far as needed to know it
  std::size_t name_length_ = 0;  // > name_.size(): longer than any name looked for
  std::size_t line_ = 0;         // bytes of the current chunk-size line
  std::size_t trailer_ = 0;      // bytes of the trailer section
  const char* problem_ = "";
};

// What a request's Transfer-Encoding list calls for (RFC 9112 §6.1, §6.3): chunked once and
// last is the framing callgate reads; chunked missing, elsewhere or twice is faulty framing
// (400); another coding before it is one callgate does not implement (501).
FramingRefusal CodingsRefusal(std::string_view codings) {
  int count = 0, chunked = 0;
  bool last_chunked = false;
  while (true) {
    const auto comma = codings.find(',');
    const std::string_view coding =
        TrimBlanks(codings.substr(0, comma == std::string_view::npos ? codings.size() : comma));
    if (!coding.empty()) {
      ++count;
      last_chunked = EqualsIgnoreCase(coding, "chunked");
      if (last_chunked) ++chunked;
    }
    if (comma == std::string_view::npos) break;
    codings.remove_prefix(comma + 1);
  }
  if (chunked != 1 || !last_chunked) return FramingRefusal::kBadFraming;
  return count == 1 ? FramingRefusal::kNone : FramingRefusal::kTransferCoding;
}

}  // namespace

struct RequestFraming::State {
  explicit State(std::uint64_t limit) : limit(limit) {
    http_parser_settings_init(&settings);
    settings.on_message_begin = OnMessageBegin;
    settings.on_header_field = OnHeaderField;
    settings.on_header_value = OnHeaderValue;
    settings.on_headers_complete = OnHeadersComplete;
    StartMessage();
  }

  // Where in a request the connection is.
  enum class Phase { kHead, kFixedBody, kChunkedBody };

  void StartMessage() {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = this;
    phase = Phase::kHead;
    previous = 0;
  }

  void EndMessage() {
    ++completed;
    StartMessage();
  }

  // The header section's line endings: CRLF only, no line folded (RFC 9112 §2.2, §5.2).
  bool LinesAreClean(const unsigned char* data, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
      const unsigned char c = data[i];
      if (previous == '\r' && c != '\n') return false;
      if (c == '\n' && previous != '\r') return false;
      if (previous == '\n' && (c == ' ' || c == '\t')) return false;
      previous = c;
    }
    return true;
  }

  FramingRefusal Refuse(FramingRefusal why, std::string what = {}) {
    refusal = why;
    detail = std::move(what);
    return refusal;
  }

  FramingRefusal Follow(const unsigned char* data, std::size_t length) {
    while (length > 0) {
      std::size_t used = length;
      switch (phase) {
        case Phase::kHead: {
          const std::size_t parsed =
              http_parser_execute(&parser, &settings, reinterpret_cast<const char*>(data), length);
          const auto error = HTTP_PARSER_ERRNO(&parser);
          // Paused by OnHeadersComplete at the LF that ends the header section.
          const bool complete = error == HPE_PAUSED;
          used = complete ? parsed + 1 : std::min(parsed + 1, length);
          if (!LinesAreClean(data, used)) return Refuse(FramingRefusal::kBadLineEnding);
          if (head_refusal != FramingRefusal::kNone) {
            refusal = head_refusal;  // with the detail the callback gave, if any
            return refusal;
          }
          if (error == HPE_HEADER_OVERFLOW) return Refuse(FramingRefusal::kHeadersTooLarge);
          if (error != HPE_OK && error != HPE_PAUSED) {
            return Refuse(FramingRefusal::kMalformed, http_errno_description(error));
          }
          if (!complete) break;
          if (chunked) {
            phase = Phase::kChunkedBody;
            chunks.Reset();
          } else if (parser.content_length != ULLONG_MAX && parser.content_length > 0) {
            phase = Phase::kFixedBody;
            remaining = parser.content_length;
          } else {
            EndMessage();
          }
          break;
        }
        case Phase::kFixedBody:
          used = static_cast<std::size_t>(
              std::min<std::uint64_t>(remaining, static_cast<std::uint64_t>(length)));
          remaining -= used;
          if (remaining == 0) EndMessage();
          break;
        case Phase::kChunkedBody:
          switch (chunks.Follow(data, length, limit, used)) {
            case ChunkedBody::Result::kMore:
              break;
            case ChunkedBody::Result::kComplete:
              EndMessage();
              break;
            case ChunkedBody::Result::kMalformed:
              return Refuse(FramingRefusal::kBadChunk, chunks.problem());
            case ChunkedBody::Result::kTooLarge:
              return Refuse(FramingRefusal::kTooLarge);
          }
          break;
      }
      data += used;
      length -= used;
    }
    return FramingRefusal::kNone;
  }

  static int OnMessageBegin(http_parser* p) {
    auto* s = static_cast<State*>(p->data);
    s->name_length = 0;
    s->in_value = false;
    s->transfer_encoding = false;
    s->any_transfer_encoding = false;
    s->chunked = false;
    s->codings.clear();
    s->head_refusal = FramingRefusal::kNone;
    return 0;
  }

  static int OnHeaderField(http_parser* p, const char* at, std::size_t n) {
    auto* s = static_cast<State*>(p->data);
    if (s->in_value) {  // a new field begins
      s->in_value = false;
      s->name_length = 0;
    }
    // RFC 9112 §5.1: no whitespace between a field name and its colon.
    if (std::memchr(at, ' ', n) != nullptr || std::memchr(at, '\t', n) != nullptr) {
      s->head_refusal = FramingRefusal::kBadHeaderName;
      return -1;
    }
    if (s->name_length + n <= s->name.size()) {
      std::memcpy(s->name.data() + s->name_length, at, n);
    }
    s->name_length += n;
    return 0;
  }

  static int OnHeaderValue(http_parser* p, const char* at, std::size_t n) {
    auto* s = static_cast<State*>(p->data);
    if (!s->in_value) {
      s->in_value = true;
      constexpr std::string_view kTransferEncoding = "transfer-encoding";
      s->transfer_encoding =
          s->name_length == kTransferEncoding.size() &&
          EqualsIgnoreCase(std::string_view(s->name.data(), s->name_length), kTransferEncoding);
      if (s->transfer_encoding) {
        if (s->any_transfer_encoding) s->codings += ',';
        s->any_transfer_encoding = true;
      }
    }
    if (s->transfer_encoding) {
      if (s->codings.size() + n > kMaxChunkSizeLine) {
        s->head_refusal = FramingRefusal::kBadFraming;
        return -1;
      }
      s->codings.append(at, n);
    }
    return 0;
  }

  static int OnHeadersComplete(http_parser* p) {
    auto* s = static_cast<State*>(p->data);
    if (p->http_major != 1) {
      s->head_refusal = FramingRefusal::kVersion;
    } else if (p->method == HTTP_CONNECT) {
      // http_parser ends a CONNECT request at its head, body or not; callgate tunnels nothing.
      s->head_refusal = FramingRefusal::kMalformed;
      s->detail = "CONNECT is not served here";
    } else if (s->any_transfer_encoding) {
      // RFC 9112 §6.1: an HTTP/1.0 message with a Transfer-Encoding has faulty framing.
      s->head_refusal =
          p->http_minor == 0 ? FramingRefusal::kBadFraming : CodingsRefusal(s->codings);
      s->chunked = s->head_refusal == FramingRefusal::kNone;
    }
    // The server's parser must see the same framing as this one. (It takes a field whose name
    // only begins with "Transfer-Encoding" for one, and refuses a request whose
    // Transfer-Encoding is not chunked only after this callback.)
    if (s->head_refusal == FramingRefusal::kNone &&
        (s->chunked != ((p->flags & F_CHUNKED) != 0) ||
         s->any_transfer_encoding != (p->uses_transfer_encoding != 0))) {
      s->head_refusal = FramingRefusal::kBadFraming;
    }
    if (s->head_refusal == FramingRefusal::kNone && !s->chunked &&
        p->content_length != ULLONG_MAX && p->content_length > s->limit) {
      s->head_refusal = FramingRefusal::kTooLarge;
    }
    if (s->head_refusal != FramingRefusal::kNone) return -1;
    http_parser_pause(p, 1);  // the body is followed by Follow
    return 0;
  }

  const std::uint64_t limit;
  http_parser parser{};
  http_parser_settings settings{};
  Phase phase = Phase::kHead;
  FramingRefusal refusal = FramingRefusal::kNone;
  std::string detail;
  std::uint64_t completed = 0;  // requests whose end was found

  // The header section being read.
  unsigned char previous = 0;   // its last byte seen (line endings across reads)
  std::array<char, 24> name{};  // the field name, as far as needed to know Transfer-Encoding
  std::size_t name_length = 0;  // > name.size(): longer than any name looked for
  bool in_value = false;
  bool transfer_encoding = false;      // the field being read is Transfer-Encoding
  bool any_transfer_encoding = false;  // the request has one
  bool chunked = false;                // its body is chunked
  std::string codings;                 // its Transfer-Encoding values joined by commas
  FramingRefusal head_refusal = FramingRefusal::kNone;

  std::uint64_t remaining = 0;  // of a Content-Length body
  ChunkedBody chunks;
};

RequestFraming::RequestFraming(std::uint64_t body_limit)
    : state_(std::make_unique<State>(body_limit)) {}

RequestFraming::~RequestFraming() = default;

FramingRefusal RequestFraming::Follow(const char* data, std::size_t length) {
  if (state_->refusal != FramingRefusal::kNone) return state_->refusal;
  return state_->Follow(reinterpret_cast<const unsigned char*>(data), length);
}

FramingRefusal RequestFraming::refusal() const { return state_->refusal; }

std::uint64_t RequestFraming::completed() const { return state_->completed; }

std::string RequestFraming::Answer() const {
  struct Wording {
    FramingRefusal refusal;
    std::string_view status, code, message;  // message: the detail follows after ": "
    bool with_detail;
  };
  static constexpr Wording kWordings[] = {
      {FramingRefusal::kTooLarge, "413 Payload Too Large", "payload_too_large",
       "request body exceeds", false},
      {FramingRefusal::kHeadersTooLarge, "431 Request Header Fields Too Large",
       "request_header_fields_too_large", "the header section is too large", false},
      {FramingRefusal::kMalformed, "400 Bad Request", "bad_request", "malformed request", true},
      {FramingRefusal::kBadLineEnding, "400 Bad Request", "bad_request",
       "a header line ends other than with CRLF or is folded", false},
      {FramingRefusal::kBadHeaderName, "400 Bad Request", "bad_request",
       "whitespace in a header field name", false},
      {FramingRefusal::kBadFraming, "400 Bad Request", "bad_request",
       "the Transfer-Encoding does not frame the body", false},
      {FramingRefusal::kTransferCoding, "501 Not Implemented", "not_implemented",
       "transfer coding other than chunked", false},
      {FramingRefusal::kVersion, "505 HTTP Version Not Supported", "http_version_not_supported",
       "only HTTP/1.x is served here", false},
      {FramingRefusal::kBadChunk, "400 Bad Request", "bad_request", "malformed chunked body", true},
  };
  const auto* wording =
      std::find_if(std::begin(kWordings), std::end(kWordings),
                   [&](const Wording& w) { return w.refusal == state_->refusal; });
  if (wording == std::end(kWordings)) return {};
  std::string message(wording->message);
  if (state_->refusal == FramingRefusal::kTooLarge) {
    message += " " + std::to_string(state_->limit) + " bytes";
  } else if (wording->with_detail) {
    message += ": " + state_->detail;  // fixed texts (http_parser's and this file's)
  }
  const std::string body = R"({"error":{"code":")" + std::string(wording->code) +
                           R"(","message":")" + message + R"("}})";
  return "HTTP/1.1 " + std::string(wording->status) +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace callgate::http
