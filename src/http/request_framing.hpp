#pragma once
// RequestFraming: follows the HTTP/1.1 requests on one connection as their bytes arrive, before
// the server's parser sees them, and says when one must be refused. The server's parser (the
// system's http_parser, a non-strict build) lets pass input that RFC 9112 forbids and that a
// proxy in front may frame differently; a request smuggled that way would reach callgate with
// headers the proxy never checked (X-Forwarded-For, say). So this follows the framing strictly:
//   - a header section is read by http_parser, and besides must end every line with CRLF (no
//     bare LF, no bare CR) and fold no line (obs-fold); no whitespace before a field's colon;
//     HTTP/1.x only; no CONNECT; a Transfer-Encoding only in HTTP/1.1 and exactly "chunked",
//     and one wherever http_parser sees one;
//   - a Content-Length body is counted off; one announced above the body limit is refused from
//     its headers;
//   - a chunked body is read here, not by http_parser: chunk-size lines of hex digits with an
//     optional extension of visible characters, CRLF after each line and each chunk's data,
//     trailer fields well-formed and none that http_parser reads as framing (Content-Length,
//     Transfer-Encoding, Connection, Proxy-Connection, Upgrade); chunks adding up to more than
//     the body limit are refused as soon as their size line says so, and a body may have at
//     most one chunk per 64 bytes of the limit (at least 1,024): the server keeps a record per
//     chunk.
// Whatever http_parser itself refuses is refused too, with the reason. Once a refusal is made
// the connection is not followed further; Answer() is what the client is told.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace callgate::http {

enum class FramingRefusal {
  kNone,
  kTooLarge,         // 413: a body above the limit (announced, or chunks adding up)
  kHeadersTooLarge,  // 431: a header section above http_parser's limit
  kMalformed,        // 400: what http_parser refuses
  kBadLineEnding,    // 400: a bare LF or CR, or a folded header line
  kBadHeaderName,    // 400: whitespace between a field name and its colon
  kBadFraming,       // 400: a Transfer-Encoding that does not frame the body by chunked
  kTransferCoding,   // 501: another coding before chunked
  kVersion,          // 505: an HTTP major version other than 1
  kBadChunk,         // 400: a malformed chunked body
};

class RequestFraming {
 public:
  explicit RequestFraming(std::uint64_t body_limit);
  ~RequestFraming();
  RequestFraming(const RequestFraming&) = delete;
  RequestFraming& operator=(const RequestFraming&) = delete;

  // Follows `length` more bytes of the connection. kNone while all is well; after a refusal
  // the same refusal for every later call (the bytes are not looked at).
  FramingRefusal Follow(const char* data, std::size_t length);

  FramingRefusal refusal() const;
  // How many requests it found the end of so far.
  std::uint64_t completed() const;
  // The complete HTTP/1.1 answer to a refusal (JSON body, Connection: close); empty for kNone.
  std::string Answer() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace callgate::http
