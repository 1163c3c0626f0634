#include "tcf.h"

#include <cmath>
#include <cstdarg>
#include <utility>

#include "doc.h"
#include "format_text.h"

namespace attune {

namespace {

// Core segment layout (TCF v2.2 "TC String Format", the same widths as @iabtcf/core's
// BitLength): the fixed fields come first, 213 bits in all.
constexpr unsigned kVersionBits = 6;
constexpr unsigned kTimestampBits = 36;  // deciseconds since the epoch
constexpr unsigned kCoreFixedBits = 213;
constexpr unsigned kVendorIdBits = 16;
constexpr unsigned kNumEntriesBits = 12;
constexpr uint32_t kPurposeMask = (1u << kTcfPurposeCount) - 1;

const char* const kPurposeNames[5] = {"storage", "personalization", "measurement", "marketing",
                                      "sensitive"};

int base64UrlValue(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '-') return 62;
  if (ch == '_') return 63;
  return -1;
}

// Reads big-endian bit fields from base64url text already checked to hold only base64url
// characters. A read past the end yields 0 and latches !ok(), so a field sequence can be
// read in one go and checked once.
class BitReader {
 public:
  explicit BitReader(std::string_view text) : text_(text), size_(text.size() * 6) {}
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  bool has(size_t n) const { return ok_ && size_ - pos_ >= n; }

  uint64_t read(unsigned n) {
    if (!has(n)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i, ++pos_) {
      unsigned sextet = static_cast<unsigned>(base64UrlValue(text_[pos_ / 6]));
      v = (v << 1) | ((sextet >> (5 - pos_ % 6)) & 1u);
    }
    return v;
  }
  bool flag() { return read(1) != 0; }

 private:
  std::string_view text_;
  size_t size_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// printf-style so the compiler checks every reason's arguments.
__attribute__((format(printf, 2, 3))) bool fail(std::string& error, const char* format, ...) {
  char buf[200];
  va_list args;
  va_start(args, format);
  formatTextV(buf, sizeof buf, format, args);
  va_end(args);
  error.assign(buf);
  return false;
}

// Empties `c` but keeps its vectors' capacity, so reuse allocates nothing.
void reset(TcfConsent& c) {
  TcfConsent fresh;
  fresh.vendorConsents.bits.swap(c.vendorConsents.bits);
  fresh.vendorLegitimateInterests.bits.swap(c.vendorLegitimateInterests.bits);
  fresh.publisherRestrictions.swap(c.publisherRestrictions);
  fresh.vendorConsents.bits.clear();
  fresh.vendorLegitimateInterests.bits.clear();
  fresh.publisherRestrictions.clear();
  c = std::move(fresh);
}

// Two 6-bit letters (A = 0). TCF allows only A-Z, so 26..63 are refused.
bool readLetters(BitReader& r, const char* field, char out[3], std::string& error) {
  for (int i = 0; i < 2; ++i) {
    unsigned v = static_cast<unsigned>(r.read(6));
    if (v > 25) return fail(error, "%s: letter %d is not A-Z (value %u)", field, i + 1, v);
    out[i] = static_cast<char>('A' + v);
  }
  out[2] = '\0';
  return true;
}

// Range entries (vendor vectors and publisher restrictions share the shape). Entries must
// ascend without overlapping — the order every encoder writes — which also bounds the
// work to one pass over 1..65535. `onRange(start, end)` stores an entry. Errors name
// `entries`; running out of bits names the whole `section`.
template <class OnRange>
bool readRanges(BitReader& r, const char* section, const char* entries, uint32_t maxVendorId,
                OnRange&& onRange, std::string& error) {
  uint32_t numEntries = static_cast<uint32_t>(r.read(kNumEntriesBits));
  uint32_t previousEnd = 0;
  for (uint32_t i = 1; i <= numEntries; ++i) {
    bool isRange = r.flag();
    uint32_t start = static_cast<uint32_t>(r.read(kVendorIdBits));
    uint32_t end = isRange ? static_cast<uint32_t>(r.read(kVendorIdBits)) : start;
    if (!r.ok()) return fail(error, "truncated: %s", section);
    if (start == 0) return fail(error, "%s: vendor id 0 in range entry %u", entries, i);
    if (end < start) {
      return fail(error, "%s: range entry %u: end %u before start %u", entries, i, end, start);
    }
    if (end > maxVendorId) {
      return fail(error, "%s: range entry %u: vendor %u above maxVendorId %u", entries, i, end,
                  maxVendorId);
    }
    if (start <= previousEnd) {
      return fail(error, "%s: range entry %u: starts at %u, not after the previous entry's end %u",
                  entries, i, start, previousEnd);
    }
    previousEnd = end;
    onRange(start, end);
  }
  if (!r.ok()) return fail(error, "truncated: %s", section);
  return true;
}

bool readVendorSet(BitReader& r, const char* section, TcfVendorSet& set, std::string& error) {
  uint32_t maxVendorId = static_cast<uint32_t>(r.read(kVendorIdBits));
  set.rangeEncoded = r.flag();
  if (!r.ok()) return fail(error, "truncated: %s", section);
  set.maxVendorId = static_cast<uint16_t>(maxVendorId);
  set.bits.assign(maxVendorId / 64 + 1, 0);
  if (!set.rangeEncoded) {
    if (!r.has(maxVendorId)) return fail(error, "truncated: %s", section);
    for (uint32_t id = 1; id <= maxVendorId; ++id) {
      if (r.flag()) set.bits[id >> 6] |= uint64_t{1} << (id & 63);
    }
    return true;
  }
  return readRanges(
      r, section, section, maxVendorId,
      [&](uint32_t start, uint32_t end) {
        for (uint32_t id = start; id <= end; ++id) set.bits[id >> 6] |= uint64_t{1} << (id & 63);
      },
      error);
}

bool readPublisherRestrictions(BitReader& r, TcfConsent& c, std::string& error) {
  const char* section = "publisher restrictions";
  uint32_t numRestrictions = static_cast<uint32_t>(r.read(12));
  if (!r.ok()) return fail(error, "truncated: %s", section);
  for (uint32_t k = 1; k <= numRestrictions; ++k) {
    uint8_t purposeId = static_cast<uint8_t>(r.read(6));
    uint8_t type = static_cast<uint8_t>(r.read(2));
    if (!r.ok()) return fail(error, "truncated: %s", section);
    if (purposeId == 0) return fail(error, "publisher restriction %u: purpose id 0", k);
    if (type > 2) {
      return fail(error, "publisher restriction %u: restriction type %u is undefined", k, type);
    }
    char entrySection[64];
    formatText(entrySection, sizeof entrySection, "publisher restriction %u", k);
    bool ok = readRanges(
        r, section, entrySection, 0xFFFF,
        [&](uint32_t start, uint32_t end) {
          TcfRestrictionRange range;
          range.purposeId = purposeId;
          range.type = static_cast<TcfRestriction>(type);
          range.startVendor = static_cast<uint16_t>(start);
          range.endVendor = static_cast<uint16_t>(end);
          c.publisherRestrictions.push_back(range);
        },
        error);
    if (!ok) return false;
  }
  return true;
}

bool decodeCore(std::string_view segment, TcfConsent& c, std::string& error) {
  BitReader r(segment);
  c.version = static_cast<uint8_t>(r.read(kVersionBits));
  if (c.version >= 8) {
    // The first three bits are a segment type in every segment but the core one.
    return fail(error, "the first segment is not the core segment (segment type %u)",
                c.version >> 3);
  }
  if (c.version != 2) {
    return fail(error, "version %u TC strings are not supported", c.version);
  }
  if (!r.has(kCoreFixedBits - kVersionBits)) {
    return fail(error, "truncated: core fields (%zu bits, %u needed)", r.size(), kCoreFixedBits);
  }
  c.createdMs = static_cast<double>(r.read(kTimestampBits)) * 100;
  c.updatedMs = static_cast<double>(r.read(kTimestampBits)) * 100;
  c.cmpId = static_cast<uint16_t>(r.read(12));
  c.cmpVersion = static_cast<uint16_t>(r.read(12));
  c.consentScreen = static_cast<uint8_t>(r.read(6));
  if (!readLetters(r, "consent language", c.consentLanguage, error)) return false;
  c.vendorListVersion = static_cast<uint16_t>(r.read(12));
  c.tcfPolicyVersion = static_cast<uint8_t>(r.read(6));
  c.isServiceSpecific = r.flag();
  c.useNonStandardTexts = r.flag();
  c.specialFeatureOptIns = static_cast<uint32_t>(r.read(kTcfSpecialFeatureCount));
  c.purposeConsents = static_cast<uint32_t>(r.read(kTcfPurposeCount));
  c.purposeLegitimateInterests = static_cast<uint32_t>(r.read(kTcfPurposeCount));
  c.purposeOneTreatment = r.flag();
  if (!readLetters(r, "publisher country code", c.publisherCountryCode, error)) return false;
  // The wire order is id 1 first (most significant); tcfBit(i) wants id 1 in bit 0.
  auto reverse = [](uint32_t bits, unsigned width) {
    uint32_t out = 0;
    for (unsigned i = 0; i < width; ++i) out |= ((bits >> (width - 1 - i)) & 1u) << i;
    return out;
  };
  c.specialFeatureOptIns = reverse(c.specialFeatureOptIns, kTcfSpecialFeatureCount);
  c.purposeConsents = reverse(c.purposeConsents, kTcfPurposeCount);
  c.purposeLegitimateInterests = reverse(c.purposeLegitimateInterests, kTcfPurposeCount);

  if (!readVendorSet(r, "vendor consent section", c.vendorConsents, error)) return false;
  if (!readVendorSet(r, "vendor legitimate interest section", c.vendorLegitimateInterests, error)) {
    return false;
  }
  if (!readPublisherRestrictions(r, c, error)) return false;
  c.coreBitLength = static_cast<uint32_t>(r.pos());
  return true;
}

// Later segments are not decoded (Attune needs none of them), only checked to be of a
// type TCF defines, so a string with garbage glued on is not taken at face value.
bool checkOtherSegment(std::string_view segment, unsigned index, TcfConsent& c,
                       std::string& error) {
  unsigned type = static_cast<unsigned>(base64UrlValue(segment[0])) >> 3;
  if (type == 0) return fail(error, "segment %u is a second core segment", index);
  if (type > 3) return fail(error, "segment %u: unknown segment type %u", index, type);
  c.otherSegments |= static_cast<uint8_t>(1u << type);
  return true;
}

bool decodeSegments(std::string_view tc, TcfConsent& c, std::string& error) {
  if (tc.empty()) return fail(error, "TC string is empty");
  if (tc.size() > kMaxTcStringBytes) {
    return fail(error, "TC string is %zu bytes; the limit is %zu", tc.size(), kMaxTcStringBytes);
  }
  // Characters first, so the reason names the first bad byte wherever it is.
  unsigned index = 1;
  size_t start = 0;
  for (size_t i = 0; i <= tc.size(); ++i) {
    if (i < tc.size() && tc[i] != '.') {
      if (base64UrlValue(tc[i]) < 0) {
        return fail(error, "not base64url at offset %zu (byte 0x%02X)", i,
                    static_cast<unsigned>(static_cast<unsigned char>(tc[i])));
      }
      continue;
    }
    if (i == start) return fail(error, "segment %u is empty", index);
    start = i + 1;
    ++index;
  }
  size_t dot = tc.find('.');
  if (!decodeCore(tc.substr(0, dot), c, error)) return false;
  index = 2;
  while (dot != std::string_view::npos) {
    size_t next = tc.find('.', dot + 1);
    std::string_view segment =
        tc.substr(dot + 1, next == std::string_view::npos ? next : next - dot - 1);
    if (!checkOtherSegment(segment, index++, c, error)) return false;
    dot = next;
  }
  return true;
}

bool restricted(const TcfConsent& c, unsigned purposeId, uint16_t vendorId, TcfRestriction type) {
  return hasPublisherRestriction(c, static_cast<uint8_t>(purposeId), vendorId, type);
}

// One TCF purpose for one Attune purpose: by consent, or by LI where `liAllowed`.
bool tcfPurposeGranted(const TcfConsent& c, unsigned purposeId, bool liAllowed, uint16_t vendorId) {
  bool byConsent = (c.purposeConsents & tcfBit(purposeId)) != 0;
  bool byLi = liAllowed && (c.purposeLegitimateInterests & tcfBit(purposeId)) != 0;
  if (vendorId != 0) {
    if (restricted(c, purposeId, vendorId, TcfRestriction::NotAllowed)) return false;
    byConsent = byConsent && vendorConsent(c, vendorId) &&
                !restricted(c, purposeId, vendorId, TcfRestriction::RequireLegitimateInterest);
    byLi = byLi && vendorLegitimateInterest(c, vendorId) &&
           !restricted(c, purposeId, vendorId, TcfRestriction::RequireConsent);
  }
  return byConsent || byLi;
}

void appendUint(uint64_t v, std::string& out) {
  char buf[24];
  int n = formatText(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out.append(buf, static_cast<size_t>(n));
}

void appendBool(bool v, std::string& out) {
  out += v ? "true" : "false";
}

// ISO 8601 the way JavaScript's Date.prototype.toISOString prints it. 36-bit deciseconds
// end in 2187, so the year always has four digits.
void appendIsoTime(double ms, std::string& out) {
  int64_t t = static_cast<int64_t>(ms);
  int64_t days = t / 86400000;
  int64_t msOfDay = t % 86400000;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, for days >= 0).
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[40];
  int n = formatText(
      buf, sizeof buf, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ\"",
      static_cast<long long>(year), static_cast<long long>(month), static_cast<long long>(day),
      static_cast<long long>(msOfDay / 3600000), static_cast<long long>(msOfDay / 60000 % 60),
      static_cast<long long>(msOfDay / 1000 % 60), static_cast<long long>(msOfDay % 1000));
  out.append(buf, static_cast<size_t>(n));
}

void appendIdMask(uint32_t mask, unsigned width, std::string& out) {
  out += '[';
  bool first = true;
  for (unsigned id = 1; id <= width; ++id) {
    if (!(mask & tcfBit(id))) continue;
    if (!first) out += ',';
    first = false;
    appendUint(id, out);
  }
  out += ']';
}

void appendVendorSet(const char* name, const TcfVendorSet& set, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":[";
  bool first = true;
  set.forEach([&](uint16_t id) {
    if (!first) out += ',';
    first = false;
    appendUint(id, out);
  });
  out += "],\"";
  out += name;
  out += "MaxId\":";
  appendUint(set.maxVendorId, out);
  out += ",\"";
  out += name;
  out += "Encoding\":";
  out += set.rangeEncoded ? "\"range\"" : "\"bitField\"";
}

// Letters as decoded; a consent never decoded holds NULs, which must not reach the JSON.
void appendLetters(const char* letters, std::string& out) {
  size_t n = letters[0] == '\0' ? 0 : letters[1] == '\0' ? 1 : 2;
  writeJsonString(std::string_view(letters, n), out);
}

// vendorId < 0 leaves "vendorId" out (writeTcfJson does not know it).
void writeJson(const TcfConsent& c, uint8_t mapped, int32_t vendorId, std::string& out) {
  out += "{\"version\":";
  appendUint(c.version, out);
  out += ",\"created\":";
  appendIsoTime(c.createdMs, out);
  out += ",\"lastUpdated\":";
  appendIsoTime(c.updatedMs, out);
  out += ",\"cmpId\":";
  appendUint(c.cmpId, out);
  out += ",\"cmpVersion\":";
  appendUint(c.cmpVersion, out);
  out += ",\"consentScreen\":";
  appendUint(c.consentScreen, out);
  out += ",\"consentLanguage\":";
  appendLetters(c.consentLanguage, out);
  out += ",\"vendorListVersion\":";
  appendUint(c.vendorListVersion, out);
  out += ",\"policyVersion\":";
  appendUint(c.tcfPolicyVersion, out);
  out += ",\"isServiceSpecific\":";
  appendBool(c.isServiceSpecific, out);
  out += ",\"useNonStandardTexts\":";
  appendBool(c.useNonStandardTexts, out);
  out += ",\"specialFeatureOptins\":";
  appendIdMask(c.specialFeatureOptIns, kTcfSpecialFeatureCount, out);
  out += ",\"purposeConsents\":";
  appendIdMask(c.purposeConsents, kTcfPurposeCount, out);
  out += ",\"purposeLegitimateInterests\":";
  appendIdMask(c.purposeLegitimateInterests, kTcfPurposeCount, out);
  out += ",\"purposeOneTreatment\":";
  appendBool(c.purposeOneTreatment, out);
  out += ",\"publisherCountryCode\":";
  appendLetters(c.publisherCountryCode, out);
  appendVendorSet("vendorConsents", c.vendorConsents, out);
  appendVendorSet("vendorLegitimateInterests", c.vendorLegitimateInterests, out);
  out += ",\"publisherRestrictions\":[";
  for (size_t i = 0; i < c.publisherRestrictions.size(); ++i) {
    const TcfRestrictionRange& r = c.publisherRestrictions[i];
    if (i) out += ',';
    out += "{\"purpose\":";
    appendUint(r.purposeId, out);
    out += ",\"type\":";
    appendUint(static_cast<uint8_t>(r.type), out);
    out += ",\"start\":";
    appendUint(r.startVendor, out);
    out += ",\"end\":";
    appendUint(r.endVendor, out);
    out += '}';
  }
  out += "],\"otherSegments\":[";
  const char* const segmentNames[4] = {"", "vendorsDisclosed", "vendorsAllowed", "publisherTC"};
  bool first = true;
  for (unsigned type = 1; type <= 3; ++type) {
    if (!(c.otherSegments & (1u << type))) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += segmentNames[type];
    out += '"';
  }
  out += ']';
  if (vendorId >= 0) {
    out += ",\"vendorId\":";
    appendUint(static_cast<uint32_t>(vendorId), out);
  }
  out += ",\"purposes\":{";
  for (int p = 0; p < 5; ++p) {
    if (p) out += ',';
    out += '"';
    out += kPurposeNames[p];
    out += "\":";
    appendBool((mapped >> p) & 1u, out);
  }
  out += "}}";
}

}  // namespace

size_t TcfVendorSet::count() const {
  size_t n = 0;
  for (uint64_t word : bits) n += static_cast<size_t>(__builtin_popcountll(word));
  return n;
}

bool decodeTcString(std::string_view tc, TcfConsent& out, std::string& error) {
  reset(out);
  error.clear();
  if (decodeSegments(tc, out, error)) return true;
  reset(out);  // never leave a half-decoded consent behind
  return false;
}

bool vendorConsent(const TcfConsent& c, uint16_t vendorId) {
  return c.vendorConsents.has(vendorId);
}

bool vendorLegitimateInterest(const TcfConsent& c, uint16_t vendorId) {
  return c.vendorLegitimateInterests.has(vendorId);
}

bool hasPublisherRestriction(const TcfConsent& c, uint8_t purposeId, uint16_t vendorId,
                             TcfRestriction type) {
  for (const TcfRestrictionRange& r : c.publisherRestrictions) {
    if (r.purposeId == purposeId && r.type == type && vendorId >= r.startVendor &&
        vendorId <= r.endVendor) {
      return true;
    }
  }
  return false;
}

bool validateTcfMapping(const TcfMapping& m, std::string& error) {
  constexpr uint32_t kDefined = (1u << kTcfDefinedPurposes) - 1;
  for (unsigned p = 0; p < 5; ++p) {
    uint32_t named = m.required[p] | m.legitimateInterest[p];
    if (p == 4 && named) {
      return fail(error,
                  "tcf mapping: sensitive is never granted by TCF, only by an explicit flag");
    }
    for (unsigned id = 1; id <= 32; ++id) {
      uint32_t bit = tcfBit(id);
      if (!(named & bit)) continue;
      if (!(kDefined & bit)) {
        return fail(error, "tcf mapping: %s names TCF purpose %u; TCF v2.2 defines purposes 1-11",
                    kPurposeNames[p], id);
      }
      if ((m.legitimateInterest[p] & bit) && !(m.required[p] & bit)) {
        return fail(error,
                    "tcf mapping: %s allows legitimate interest for purpose %u, which it does "
                    "not require",
                    kPurposeNames[p], id);
      }
      if ((m.legitimateInterest[p] & bit) && (kTcfNoLegitimateInterest & bit)) {
        return fail(error,
                    "tcf mapping: %s allows legitimate interest for purpose %u; TCF v2.2 "
                    "requires consent for purposes 1 and 3-6",
                    kPurposeNames[p], id);
      }
    }
  }
  return true;
}

uint8_t mapTcfPurposes(const TcfConsent& c, const TcfMapping& m, uint16_t vendorId) {
  uint8_t granted = 0;
  for (unsigned p = 0; p < 4; ++p) {  // 4 (sensitive) is never granted by TCF
    uint32_t required = m.required[p] & kPurposeMask;
    if (required == 0) continue;
    uint32_t li = m.legitimateInterest[p] & ~kTcfNoLegitimateInterest;
    bool all = true;
    for (unsigned id = 1; id <= kTcfPurposeCount && all; ++id) {
      if (required & tcfBit(id)) all = tcfPurposeGranted(c, id, (li & tcfBit(id)) != 0, vendorId);
    }
    if (all) granted = static_cast<uint8_t>(granted | (1u << p));
  }
  return granted;
}

void writeTcfJson(const TcfConsent& c, uint8_t mappedPurposes, std::string& out) {
  writeJson(c, mappedPurposes, -1, out);
}

bool describeTcString(std::string_view tc, double vendorId, const TcfMapping& m, std::string& out) {
  std::string error;
  if (!(vendorId >= 0 && vendorId <= 0xFFFF && vendorId == std::floor(vendorId))) {
    // Spelled as JavaScript prints the number the caller passed.
    char number[kNumberTextCapacity];
    if (std::isnan(vendorId)) {
      error = "vendor id NaN";
    } else if (std::isinf(vendorId)) {
      error = vendorId > 0 ? "vendor id Infinity" : "vendor id -Infinity";
    } else {
      error = "vendor id ";
      error.append(number, formatNumber(vendorId, number));
    }
    error += " is not an integer in 0..65535";
  } else {
    TcfConsent c;
    if (decodeTcString(tc, c, error)) {
      uint16_t vendor = static_cast<uint16_t>(vendorId);
      writeJson(c, mapTcfPurposes(c, m, vendor), vendor, out);
      return true;
    }
  }
  out += "{\"error\":";
  writeJsonString(error, out);
  out += '}';
  return false;
}

}  // namespace attune
