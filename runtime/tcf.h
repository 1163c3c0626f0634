// IAB TCF v2.2 TC strings (SPEC §7): decoding the core segment and mapping it to Attune's
// consent purposes. docs/TCF.md describes the fields, the mapping and every refusal.
//
// The string comes from a cookie, a query parameter or a CMP callback, so it is hostile
// input: the decoder reads bits straight from the base64url text through a bounds-checked
// reader, refuses anything malformed with a reason, and allocates nothing but the output's
// own vectors (a decode into a reused TcfConsent of the same shape allocates nothing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attune {

constexpr size_t kMaxTcStringBytes = 65536;
constexpr uint8_t kTcfPurposeCount = 24;         // bits in PurposesConsent / PurposesLITransparency
constexpr uint8_t kTcfDefinedPurposes = 11;      // purposes TCF v2.2 defines (1..11)
constexpr uint8_t kTcfSpecialFeatureCount = 12;  // bits in SpecialFeatureOptIns

// Bit id-1 of a TCF purpose / special feature mask.
constexpr uint32_t tcfBit(unsigned id) {
  return id >= 1 && id <= 32 ? 1u << (id - 1) : 0u;
}

// A vendor vector (consents or legitimate interests) as a bitset over 1..maxVendorId:
// at most 8 KB whatever the encoding, and O(1) lookups.
struct TcfVendorSet {
  uint16_t maxVendorId = 0;    // as encoded (MaxVendorId)
  bool rangeEncoded = false;   // IsRangeEncoding: the encoder picked ranges over a bitfield
  std::vector<uint64_t> bits;  // bit (id & 63) of word (id >> 6); id 0 is never set

  bool has(uint16_t id) const {
    return id != 0 && id <= maxVendorId && (bits[id >> 6] >> (id & 63)) & 1u;
  }
  size_t count() const;
  // Calls f(id) for every id in the set, ascending.
  template <class F>
  void forEach(F&& f) const {
    for (uint32_t id = 1; id <= maxVendorId; ++id) {
      if (has(static_cast<uint16_t>(id))) f(static_cast<uint16_t>(id));
    }
  }
};

// Publisher restriction types (PubRestrictionEntry.RestrictionType).
enum class TcfRestriction : uint8_t {
  NotAllowed = 0,
  RequireConsent = 1,
  RequireLegitimateInterest = 2
};

// One vendor range of one publisher restriction, in encoded order.
struct TcfRestrictionRange {
  uint8_t purposeId = 0;
  TcfRestriction type = TcfRestriction::NotAllowed;
  uint16_t startVendor = 0;
  uint16_t endVendor = 0;  // inclusive; equals startVendor for a single id
};

// Which other segments followed the core one (bit = segment type).
enum TcfSegment : uint8_t {
  kTcfVendorsDisclosed = 1u << 1,
  kTcfVendorsAllowed = 1u << 2,
  kTcfPublisherTc = 1u << 3,
};

struct TcfConsent {
  uint8_t version = 0;
  double createdMs = 0, updatedMs = 0;  // deciseconds × 100: exact in a double
  uint16_t cmpId = 0, cmpVersion = 0;
  uint8_t consentScreen = 0;
  char consentLanguage[3] = {0, 0, 0};  // two letters A-Z and a NUL
  uint16_t vendorListVersion = 0;
  uint8_t tcfPolicyVersion = 0;
  bool isServiceSpecific = false;
  bool useNonStandardTexts = false;         // "UseNonStandardStacks" before v2.2
  uint32_t specialFeatureOptIns = 0;        // tcfBit(i) = special feature i (1..12)
  uint32_t purposeConsents = 0;             // tcfBit(i) = purpose i (1..24)
  uint32_t purposeLegitimateInterests = 0;  // same
  bool purposeOneTreatment = false;
  char publisherCountryCode[3] = {0, 0, 0};
  TcfVendorSet vendorConsents;
  TcfVendorSet vendorLegitimateInterests;
  std::vector<TcfRestrictionRange> publisherRestrictions;
  uint8_t otherSegments = 0;   // TcfSegment bits
  uint32_t coreBitLength = 0;  // bits of the core segment actually read (the rest is padding)
};

// Decodes a TC string's core segment (base64url; later '.'-separated segments are checked
// to be well-formed base64url of a known type, then ignored). Returns false with a reason
// in `error` on anything malformed; never reads past the input; strings over
// kMaxTcStringBytes are refused. `out` is overwritten (its vectors keep their capacity).
bool decodeTcString(std::string_view tc, TcfConsent& out, std::string& error);

bool vendorConsent(const TcfConsent& c, uint16_t vendorId);
bool vendorLegitimateInterest(const TcfConsent& c, uint16_t vendorId);
// Whether a publisher restriction of `type` covers (purposeId, vendorId).
bool hasPublisherRestriction(const TcfConsent& c, uint8_t purposeId, uint16_t vendorId,
                             TcfRestriction type);

// Which TCF purposes grant each Attune purpose. Index = attune::Purpose (profile.h): 0
// storage, 1 personalization, 2 measurement, 3 marketing, 4 sensitive. An Attune purpose
// is granted when it names at least one TCF purpose and every one it names is granted —
// by consent, or by legitimate interest where `legitimateInterest` lists it. The defaults
// are SPEC §7's table; config may override them (check with validateTcfMapping).
struct TcfMapping {
  uint32_t required[5] = {
      tcfBit(1),              // storage ⇐ purpose 1 (store and/or access information)
      tcfBit(5) | tcfBit(6),  // personalization ⇐ content profile: create (5) and use (6)
      tcfBit(8),              // measurement ⇐ content performance (8)
      tcfBit(3) | tcfBit(4),  // marketing ⇐ advertising profile: create (3) and use (4)
      0,                      // sensitive: never from TCF, only an explicit flag
  };
  uint32_t legitimateInterest[5] = {0, 0, tcfBit(8), 0, 0};
};

// TCF v2.2 forbids legitimate interest for purposes 1 and 3-6; mapTcfPurposes never
// accepts it there whatever the mapping says.
constexpr uint32_t kTcfNoLegitimateInterest =
    tcfBit(1) | tcfBit(3) | tcfBit(4) | tcfBit(5) | tcfBit(6);

// Refuses mappings TCF cannot honour: purposes outside 1..11, legitimate interest for a
// purpose not in `required` or for purposes 1 and 3-6, anything for `sensitive`.
bool validateTcfMapping(const TcfMapping& m, std::string& error);

// The Attune purposes (bit i = attune::Purpose i) the decoded consent grants. With a
// vendorId (0 = none), a TCF purpose also needs that vendor's consent (or, on the
// legitimate-interest path, its vendor LI), and the publisher's restrictions for the
// vendor apply: NotAllowed removes the purpose, RequireConsent the LI path,
// RequireLegitimateInterest the consent path. Sensitive (bit 4) is never set.
uint8_t mapTcfPurposes(const TcfConsent& c, const TcfMapping& m, uint16_t vendorId);

// Appends a JSON object describing the decoded fields and the mapped purposes (field list
// in docs/TCF.md), for `attune consent --tcf` and the Wasm tcfJson export.
void writeTcfJson(const TcfConsent& c, uint8_t mappedPurposes, std::string& out);

// The whole pipeline for the CLI and the bindings: decode, map with `m` for `vendorId`,
// then the JSON above (with "vendorId") or {"error": "..."}. Appends to `out`; returns
// whether the string decoded. vendorId is a double so bindings can pass any JavaScript
// number: anything but an integer in 0..65535 is an error, never wrapped around.
bool describeTcString(std::string_view tc, double vendorId, const TcfMapping& m, std::string& out);

}  // namespace attune
