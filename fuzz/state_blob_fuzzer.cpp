// libFuzzer target for the durable visitor state (runtime/state_blob.h): every input is tried
// as a binary blob and as cookie text. Whatever loads must save and load back to the same
// bytes, and whatever is discarded must leave a fresh state (but for a kept consent record).
// Build and run: see fuzz/README.md.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "state_blob.h"

namespace {

bool isFresh(const attune::VisitorState& s) {
  return s.visitorId.empty() && s.profile.empty() && s.profile.counters.empty() &&
         s.profile.interests.empty() && s.profile.cart.empty() &&
         s.profile.categoryPurchases.empty();
}

bool isDefaultConsent(const attune::ConsentRecord& c) {
  return !c.present && c.purposes == 0 && c.updatedMs == 0 && c.source.empty() &&
         c.policyVersion == 0;
}

uint32_t fnv1a(std::string_view bytes) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
  return h;
}

void putFixed32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

// Rewrites the checksums (the consent section's where its framing allows, and the final one)
// so that mutations reach the structural checks behind them: a fuzzer cannot forge FNV-1a.
std::string resealed(std::string_view input) {
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

void check(bool condition) {
  if (!condition) std::abort();  // libFuzzer reports the input that got here
}

void exercise(const attune::LoadReport& report, const attune::VisitorState& state) {
  using attune::LoadStatus;
  if (report.status == LoadStatus::Ok || report.status == LoadStatus::Migrated) {
    std::string blob, again;
    attune::encodeState(state, blob);
    attune::VisitorState reloaded;
    check(attune::decodeState(blob, reloaded).status == LoadStatus::Ok);
    attune::encodeState(reloaded, again);
    check(again == blob);
    std::string cookie;
    if (attune::encodeCookie(state, 4096, cookie)) {
      check(cookie.size() <= 4096);
      check(attune::decodeCookie(cookie, reloaded).status == LoadStatus::Ok);
    } else {
      check(cookie.empty());
    }
    return;
  }
  check(isFresh(state));
  check(report.consentKept || isDefaultConsent(state.consent));
  check(report.status == LoadStatus::Empty || !report.reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  attune::VisitorState state;
  exercise(attune::decodeState(input, state), state);
  exercise(attune::decodeCookie(input, state), state);
  std::string sealed = resealed(input);
  exercise(attune::decodeState(sealed, state), state);
  std::string text, bytes;
  attune::base64UrlEncode(input, text);
  check(attune::base64UrlDecode(text, bytes) && bytes == input);
  return 0;
}
