// libFuzzer target for IAB TCF v2.2 TC strings (runtime/tcf.h): decoding and the mapping to
// Attune's consent purposes.
//
// The input is decoded twice: as the TC string text itself, and base64url-encoded first, so
// that bit-level mutations land straight in the fields (version, dates, purpose bits, vendor
// ranges, publisher restrictions) instead of mostly breaking the base64url. Its first 40
// bytes also make a purpose mapping (cleaned into a valid one) to map with.
// Invariants: a refusal has a reason; a decoded string decodes again into the same reused
// struct to the same JSON; its JSON (writeTcfJson, describeTcString) is well formed; the
// vendor sets answer has() inside their bounds and agree with count(); sensitive is never
// granted; naming a vendor can only take purposes away; with no vendor the purposes are
// exactly those whose every required TCF purpose has consent or allowed legitimate interest.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "state_blob.h"
#include "tcf.h"

namespace {

constexpr uint32_t kDefined = (1u << attune::kTcfDefinedPurposes) - 1;

void checkVendorSet(const attune::TcfVendorSet& set) {
  FUZZ_CHECK(set.bits.size() * 64 > set.maxVendorId || (set.maxVendorId == 0 && set.bits.empty()));
  size_t seen = 0;
  uint32_t last = 0;
  set.forEach([&](uint16_t id) {
    FUZZ_CHECK(id > last && id >= 1 && id <= set.maxVendorId);
    last = id;
    ++seen;
  });
  FUZZ_CHECK(seen == set.count());
  FUZZ_CHECK(!set.has(0) && !set.has(static_cast<uint16_t>(set.maxVendorId + 1u)));
}

// Attune purposes granted with no vendor, computed straight from the mapping's definition.
uint8_t expectedWithoutVendor(const attune::TcfConsent& c, const attune::TcfMapping& m) {
  uint8_t granted = 0;
  for (unsigned p = 0; p < 4; ++p) {
    uint32_t required = m.required[p];
    if (required == 0) continue;
    uint32_t ok = c.purposeConsents | (c.purposeLegitimateInterests & m.legitimateInterest[p] &
                                       ~attune::kTcfNoLegitimateInterest);
    if ((required & ok) == required) granted = static_cast<uint8_t>(granted | (1u << p));
  }
  return granted;
}

void checkMapping(const attune::TcfConsent& c, const attune::TcfMapping& m) {
  uint8_t none = attune::mapTcfPurposes(c, m, 0);
  FUZZ_CHECK(none == expectedWithoutVendor(c, m));
  const uint16_t vendors[] = {1,
                              2,
                              755,
                              c.vendorConsents.maxVendorId,
                              c.vendorLegitimateInterests.maxVendorId,
                              static_cast<uint16_t>(c.vendorConsents.maxVendorId + 1u),
                              65535};
  for (uint16_t v : vendors) {
    uint8_t withVendor = attune::mapTcfPurposes(c, m, v);
    FUZZ_CHECK((withVendor & 0x10) == 0);
    FUZZ_CHECK((withVendor & ~none) == 0);
  }
}

void exercise(std::string_view tc, const attune::TcfMapping* custom) {
  attune::TcfConsent consent;
  std::string error;
  std::string described;
  bool decoded = attune::decodeTcString(tc, consent, error);
  FUZZ_CHECK(attune::describeTcString(tc, 755, attune::TcfMapping(), described) == decoded);
  FUZZ_CHECK(attune_fuzz::isJson(described));
  if (!decoded) {
    FUZZ_CHECK(!error.empty() && attune_fuzz::isErrorObject(described));
    return;
  }
  FUZZ_CHECK(consent.version == 2);
  checkVendorSet(consent.vendorConsents);
  checkVendorSet(consent.vendorLegitimateInterests);
  for (const attune::TcfRestrictionRange& r : consent.publisherRestrictions)
    FUZZ_CHECK(r.startVendor <= r.endVendor && r.startVendor >= 1);
  attune::TcfMapping defaults;
  checkMapping(consent, defaults);
  if (custom) checkMapping(consent, *custom);

  std::string json, again;
  attune::writeTcfJson(consent, attune::mapTcfPurposes(consent, defaults, 0), json);
  FUZZ_CHECK(attune_fuzz::isJson(json));
  FUZZ_CHECK(attune::decodeTcString(tc, consent, error));  // into the same, reused struct
  attune::writeTcfJson(consent, attune::mapTcfPurposes(consent, defaults, 0), again);
  FUZZ_CHECK(again == json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = attune_fuzz::asText(data, size);

  attune::TcfMapping custom;
  bool haveCustom = size >= 40;
  if (haveCustom) {
    uint32_t words[10];
    std::memcpy(words, data, sizeof words);
    for (unsigned p = 0; p < 5; ++p) {
      custom.required[p] = words[p];
      custom.legitimateInterest[p] = words[5 + p];
    }
    std::string error;
    attune::validateTcfMapping(custom, error);  // any words: must not crash
    for (unsigned p = 0; p < 5; ++p) {          // now a mapping TCF can honour
      custom.required[p] = p == 4 ? 0 : custom.required[p] & kDefined;
      custom.legitimateInterest[p] &= custom.required[p] & ~attune::kTcfNoLegitimateInterest;
    }
    FUZZ_CHECK(attune::validateTcfMapping(custom, error));
  }

  exercise(input, haveCustom ? &custom : nullptr);
  std::string bits;
  attune::base64UrlEncode(input, bits);
  exercise(bits, haveCustom ? &custom : nullptr);
  return 0;
}
