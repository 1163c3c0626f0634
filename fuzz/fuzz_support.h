// Helpers shared by the libFuzzer targets in fuzz/ (header only: each target is one binary).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "doc.h"

namespace attune_fuzz {

// A broken invariant: says which, then abort() so libFuzzer saves the input as a crash-* file.
[[noreturn]] inline void failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}
#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::attune_fuzz::failed(#condition, __FILE__, __LINE__))

inline std::string_view asText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits "first\0second" at the first NUL. JSON text cannot hold a raw NUL, so inputs made of
// two JSON documents (condition + attributes, template + context) split unambiguously, and
// without a NUL the second part is `fallback`.
struct TwoParts {
  std::string_view first, second;
};
inline TwoParts splitAtNul(std::string_view input, std::string_view fallback) {
  size_t at = input.find('\0');
  if (at == std::string_view::npos) return {input, fallback};
  return {input.substr(0, at), input.substr(at + 1)};
}

// True when `text` is one well-formed JSON value (the runtime's own strict parser).
inline bool isJson(std::string_view text) {
  attune::Doc doc;
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 64u << 20;
  limits.maxNodes = 0xFFFFFFFFu;
  limits.maxDepth = 1024;
  return doc.parse(text, err, limits);
}

// True when `text` is a JSON object whose only member is "error", a non-empty string.
inline bool isErrorObject(std::string_view text) {
  attune::Doc doc;
  attune::ParseError err;
  if (!doc.parse(text, err) || doc.type(0) != attune::Type::Object || doc.node(0).count != 1)
    return false;
  attune::NodeId e = doc.member(0, "error");
  return e != attune::kNoNode && doc.type(e) == attune::Type::String && !doc.str(e).empty();
}

inline uint32_t fnv1a(std::string_view bytes) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
  return h;
}

inline void putFixed32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

// Rewrites a state blob's checksums (the consent section's where its framing allows, and the
// final one) so that mutations reach the structural checks behind them: a fuzzer cannot
// forge FNV-1a. Layout: fuzz/README.md.
inline std::string resealedStateBlob(std::string_view input) {
  std::string s(input);
  if (s.size() < 10) return s;
  if (s[4] != 0 || s[5] != 0) {  // version 1 and later: a consent section first
    size_t pos = 6;
    uint64_t length = 0;
    for (int shift = 0; pos < s.size() && shift < 35; shift += 7) {
      uint8_t b = static_cast<uint8_t>(s[pos++]);
      length |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    if (length <= s.size() && pos + length + 4 <= s.size())
      putFixed32(s, pos + length, fnv1a(std::string_view(s).substr(pos, length)));
  }
  putFixed32(s, s.size() - 4, fnv1a(std::string_view(s).substr(0, s.size() - 4)));
  return s;
}

}  // namespace attune_fuzz
