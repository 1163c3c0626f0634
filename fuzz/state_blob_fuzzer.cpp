// libFuzzer target for the durable visitor state (runtime/state_blob.h): every input is tried
// as a binary blob and as cookie text. Whatever loads must save and load back to the same
// bytes, and whatever is discarded must leave a fresh state (but for a kept consent record).
// Build and run: see fuzz/README.md.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "state_blob.h"

namespace {

bool isFresh(const attune::VisitorState& s) {
  return s.visitorId.empty() && s.profile.empty() && s.profile.counters.empty() &&
         s.profile.interests.empty() && s.profile.cart.empty() &&
         s.profile.categoryPurchases.empty() && s.contacts.empty();
}

bool isDefaultConsent(const attune::ConsentRecord& c) {
  return !c.present && c.purposes == 0 && c.updatedMs == 0 && c.source.empty() &&
         c.policyVersion == 0;
}

void exercise(const attune::LoadReport& report, const attune::VisitorState& state) {
  using attune::LoadStatus;
  if (report.status == LoadStatus::Ok || report.status == LoadStatus::Migrated) {
    std::string blob, again;
    attune::encodeState(state, blob);
    attune::VisitorState reloaded;
    FUZZ_CHECK(attune::decodeState(blob, reloaded).status == LoadStatus::Ok);
    attune::encodeState(reloaded, again);
    FUZZ_CHECK(again == blob);
    std::string cookie;
    if (attune::encodeCookie(state, 4096, cookie)) {
      FUZZ_CHECK(cookie.size() <= 4096);
      FUZZ_CHECK(attune::decodeCookie(cookie, reloaded).status == LoadStatus::Ok);
    } else {
      FUZZ_CHECK(cookie.empty());
    }
    return;
  }
  FUZZ_CHECK(isFresh(state));
  FUZZ_CHECK(report.consentKept || isDefaultConsent(state.consent));
  FUZZ_CHECK(report.status == LoadStatus::Empty || !report.reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  attune::VisitorState state;
  exercise(attune::decodeState(input, state), state);
  exercise(attune::decodeCookie(input, state), state);
  std::string sealed = attune_fuzz::resealedStateBlob(input);
  exercise(attune::decodeState(sealed, state), state);
  std::string text, bytes;
  attune::base64UrlEncode(input, text);
  FUZZ_CHECK(attune::base64UrlDecode(text, bytes) && bytes == input);
  return 0;
}
