// IAB TCF v2.2 TC strings (runtime/tcf.h): the shared vectors (made with @iabtcf/core),
// hand-built malformed strings bit by bit, and the purpose mapping of SPEC §7.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "allocation_counter.h"
#include "tcf.h"
#include "vector_support.h"

using attune::Doc;
using attune::kNoNode;
using attune::NodeId;
using attune::tcfBit;
using attune::TcfConsent;
using attune::TcfMapping;
using attune::TcfRestriction;

namespace {

constexpr uint8_t kStorage = 1u << 0;
constexpr uint8_t kPersonalization = 1u << 1;
constexpr uint8_t kMeasurement = 1u << 2;
constexpr uint8_t kMarketing = 1u << 3;
constexpr uint8_t kSensitive = 1u << 4;

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Big-endian bit fields into base64url, zero-padded to whole characters.
class BitWriter {
 public:
  BitWriter& put(uint64_t value, unsigned width) {
    for (unsigned i = width; i-- > 0;) bits_ += ((value >> i) & 1u) ? '1' : '0';
    return *this;
  }
  BitWriter& flag(bool on) { return put(on ? 1 : 0, 1); }
  size_t size() const { return bits_.size(); }
  void truncate(size_t n) { bits_.resize(n); }
  std::string base64Url() const {
    std::string padded = bits_;
    while (padded.size() % 6) padded += '0';
    std::string out;
    for (size_t i = 0; i < padded.size(); i += 6) {
      out += kAlphabet[std::stoi(padded.substr(i, 6), nullptr, 2)];
    }
    return out;
  }

 private:
  std::string bits_;
};

struct Range {
  uint32_t start, end;
};

// A vendor section as written: a bitfield over 1..maxId, or range entries.
struct VendorSection {
  uint32_t maxId = 0;
  bool ranges = false;
  std::vector<uint32_t> ids;   // bitfield
  std::vector<Range> entries;  // ranges
};

struct Restriction {
  uint32_t purpose, type;
  std::vector<Range> entries;
};

struct CoreSpec {
  uint32_t version = 2;
  uint64_t createdDs = 17145648000ull;  // 2024-05-01T12:00:00Z in deciseconds
  uint64_t updatedDs = 17146386000ull;  // 2024-05-02T08:30:00Z
  uint32_t cmpId = 300, cmpVersion = 2, consentScreen = 1;
  uint32_t language[2] = {4, 13};  // "EN"
  uint32_t vendorListVersion = 200, policyVersion = 4;
  bool serviceSpecific = true, nonStandardTexts = false;
  std::vector<uint32_t> specialFeatures, purposes, purposesLi;
  bool purposeOneTreatment = false;
  uint32_t country[2] = {3, 4};  // "DE"
  VendorSection consents, legitimateInterests;
  std::vector<Restriction> restrictions;
};

bool contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void writeRanges(BitWriter& w, const std::vector<Range>& entries) {
  w.put(entries.size(), 12);
  for (const Range& r : entries) {
    w.flag(r.start != r.end).put(r.start, 16);
    if (r.start != r.end) w.put(r.end, 16);
  }
}

void writeVendors(BitWriter& w, const VendorSection& s) {
  w.put(s.maxId, 16).flag(s.ranges);
  if (s.ranges) {
    writeRanges(w, s.entries);
  } else {
    for (uint32_t id = 1; id <= s.maxId; ++id) w.flag(contains(s.ids, id));
  }
}

BitWriter coreBits(const CoreSpec& s) {
  BitWriter w;
  w.put(s.version, 6).put(s.createdDs, 36).put(s.updatedDs, 36);
  w.put(s.cmpId, 12).put(s.cmpVersion, 12).put(s.consentScreen, 6);
  w.put(s.language[0], 6).put(s.language[1], 6);
  w.put(s.vendorListVersion, 12).put(s.policyVersion, 6);
  w.flag(s.serviceSpecific).flag(s.nonStandardTexts);
  for (uint32_t i = 1; i <= 12; ++i) w.flag(contains(s.specialFeatures, i));
  for (uint32_t i = 1; i <= 24; ++i) w.flag(contains(s.purposes, i));
  for (uint32_t i = 1; i <= 24; ++i) w.flag(contains(s.purposesLi, i));
  w.flag(s.purposeOneTreatment);
  w.put(s.country[0], 6).put(s.country[1], 6);
  writeVendors(w, s.consents);
  writeVendors(w, s.legitimateInterests);
  w.put(s.restrictions.size(), 12);
  for (const Restriction& r : s.restrictions) {
    w.put(r.purpose, 6).put(r.type, 2);
    writeRanges(w, r.entries);
  }
  return w;
}

std::string core(const CoreSpec& s) {
  return coreBits(s).base64Url();
}

std::string decodeError(std::string_view tc) {
  TcfConsent c;
  std::string error;
  if (attune::decodeTcString(tc, c, error)) return "(decoded)";
  return error;
}

std::string describe(std::string_view tc, double vendorId = 0) {
  std::string out;
  attune::describeTcString(tc, vendorId, TcfMapping{}, out);
  return out;
}

// A consent built field by field, for the mapping rules.
TcfConsent consentWith(std::initializer_list<unsigned> purposes,
                       std::initializer_list<unsigned> purposesLi,
                       std::initializer_list<uint16_t> vendors = {},
                       std::initializer_list<uint16_t> vendorsLi = {}) {
  TcfConsent c;
  for (unsigned p : purposes) c.purposeConsents |= tcfBit(p);
  for (unsigned p : purposesLi) c.purposeLegitimateInterests |= tcfBit(p);
  auto fill = [](attune::TcfVendorSet& set, std::initializer_list<uint16_t> ids) {
    set.maxVendorId = 0;
    for (uint16_t id : ids) set.maxVendorId = std::max(set.maxVendorId, id);
    set.bits.assign(set.maxVendorId / 64 + 1, 0);
    for (uint16_t id : ids) set.bits[id >> 6] |= uint64_t{1} << (id & 63);
  };
  fill(c.vendorConsents, vendors);
  fill(c.vendorLegitimateInterests, vendorsLi);
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The shared vectors

TEST_CASE("tcf: every vector of tests/vectors/tcf.json", "[tcf]") {
  Doc cases;
  std::string error;
  if (!attune_test::loadVectors("tcf.json", cases, error)) FAIL(error);
  size_t checked = 0, errors = 0;
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next) {
    std::string name(cases.str(cases.member(c, "name")));
    INFO(name);
    std::string_view tc = cases.str(cases.member(c, "tcString"));
    double vendorId = cases.node(cases.member(c, "vendorId")).number;
    std::string out = describe(tc, vendorId);
    Doc got;
    attune::ParseError parseError;
    REQUIRE(got.parse(out, parseError));
    NodeId expected = cases.member(c, "expected");
    if (cases.member(expected, "error") != kNoNode) {
      REQUIRE(got.member(0, "error") != kNoNode);
      CHECK(got.str(got.member(0, "error")) == cases.str(cases.member(c, "reason")));
      ++errors;
    } else {
      REQUIRE(got.member(0, "error") == kNoNode);
      for (NodeId e = cases.node(expected).firstChild; e != kNoNode; e = cases.node(e).next) {
        INFO(std::string(cases.key(e)) << ": expected " << attune_test::json(cases, e) << ", got "
                                       << attune_test::json(got, got.member(0, cases.key(e))));
        CHECK(attune_test::sameJson(cases, e, got, got.member(0, cases.key(e))));
      }
    }
    ++checked;
  }
  CHECK(checked >= 30);
  CHECK(errors >= 10);
}

// Each decodable vector, cut at every character: truncated until the last bit the decoder
// reads, then exactly the whole string's answer (the rest is padding).
TEST_CASE("tcf: vectors truncated at every character", "[tcf]") {
  Doc cases;
  std::string error;
  if (!attune_test::loadVectors("tcf.json", cases, error)) FAIL(error);
  size_t prefixes = 0;
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next) {
    if (cases.member(cases.member(c, "expected"), "error") != kNoNode) continue;
    std::string_view tc = cases.str(cases.member(c, "tcString"));
    std::string_view coreSegment = tc.substr(0, tc.find('.'));
    TcfConsent whole;
    REQUIRE(attune::decodeTcString(coreSegment, whole, error));
    std::string wholeJson;
    attune::writeTcfJson(whole, 0, wholeJson);
    for (size_t n = 1; n < coreSegment.size(); ++n) {
      INFO(coreSegment.substr(0, n));
      TcfConsent part;
      bool ok = attune::decodeTcString(coreSegment.substr(0, n), part, error);
      if (n * 6 < whole.coreBitLength) {
        CHECK_FALSE(ok);
        CHECK(error.rfind("truncated: ", 0) == 0);
      } else {
        REQUIRE(ok);
        std::string partJson;
        attune::writeTcfJson(part, 0, partJson);
        CHECK(partJson == wholeJson);
      }
      ++prefixes;
    }
  }
  CHECK(prefixes > 1000);
}

// ---------------------------------------------------------------------------------------
// Decoding, field by field

TEST_CASE("tcf: every core field lands where the layout puts it", "[tcf]") {
  CoreSpec s;
  s.createdDs = (uint64_t{1} << 36) - 1;
  s.updatedDs = 0;
  s.cmpId = 4095;
  s.cmpVersion = 1234;
  s.consentScreen = 63;
  s.language[0] = 25;  // Z
  s.language[1] = 0;   // A
  s.vendorListVersion = 4095;
  s.policyVersion = 5;
  s.serviceSpecific = false;
  s.nonStandardTexts = true;
  s.specialFeatures = {1, 2, 12};
  s.purposes = {1, 3, 24};
  s.purposesLi = {2, 7, 23};
  s.purposeOneTreatment = true;
  s.country[0] = 0;
  s.country[1] = 19;  // AT
  s.consents = {700, false, {1, 64, 65, 700}, {}};
  s.legitimateInterests = {3000, true, {}, {{5, 5}, {10, 2000}, {3000, 3000}}};
  s.restrictions = {{8, 1, {{1, 3}, {9, 9}}}, {1, 0, {{65535, 65535}}}};
  TcfConsent c;
  std::string error;
  REQUIRE(attune::decodeTcString(core(s), c, error));
  CHECK(c.version == 2);
  CHECK(c.createdMs == 6871947673500.0);
  CHECK(c.updatedMs == 0);
  CHECK(c.cmpId == 4095);
  CHECK(c.cmpVersion == 1234);
  CHECK(c.consentScreen == 63);
  CHECK(std::string(c.consentLanguage) == "ZA");
  CHECK(c.vendorListVersion == 4095);
  CHECK(c.tcfPolicyVersion == 5);
  CHECK_FALSE(c.isServiceSpecific);
  CHECK(c.useNonStandardTexts);
  CHECK(c.specialFeatureOptIns == (tcfBit(1) | tcfBit(2) | tcfBit(12)));
  CHECK(c.purposeConsents == (tcfBit(1) | tcfBit(3) | tcfBit(24)));
  CHECK(c.purposeLegitimateInterests == (tcfBit(2) | tcfBit(7) | tcfBit(23)));
  CHECK(c.purposeOneTreatment);
  CHECK(std::string(c.publisherCountryCode) == "AT");
  CHECK(c.vendorConsents.maxVendorId == 700);
  CHECK_FALSE(c.vendorConsents.rangeEncoded);
  CHECK(c.vendorConsents.count() == 4);
  for (uint16_t id : {1, 64, 65, 700}) CHECK(attune::vendorConsent(c, id));
  for (uint16_t id : {0, 2, 63, 66, 699, 701, 65535}) CHECK_FALSE(attune::vendorConsent(c, id));
  CHECK(c.vendorLegitimateInterests.rangeEncoded);
  CHECK(c.vendorLegitimateInterests.count() == 1 + 1991 + 1);
  CHECK(attune::vendorLegitimateInterest(c, 10));
  CHECK(attune::vendorLegitimateInterest(c, 2000));
  CHECK_FALSE(attune::vendorLegitimateInterest(c, 2001));
  CHECK_FALSE(attune::vendorLegitimateInterest(c, 9));
  REQUIRE(c.publisherRestrictions.size() == 3);
  CHECK(attune::hasPublisherRestriction(c, 8, 2, TcfRestriction::RequireConsent));
  CHECK_FALSE(attune::hasPublisherRestriction(c, 8, 4, TcfRestriction::RequireConsent));
  CHECK_FALSE(attune::hasPublisherRestriction(c, 8, 2, TcfRestriction::NotAllowed));
  CHECK(attune::hasPublisherRestriction(c, 1, 65535, TcfRestriction::NotAllowed));
  CHECK(c.coreBitLength == coreBits(s).size());

  std::string json;
  attune::writeTcfJson(c, kStorage | kMeasurement, json);
  Doc doc;
  attune::ParseError parseError;
  REQUIRE(doc.parse(json, parseError));
  CHECK(doc.str(doc.member(0, "created")) == "2187-10-06T10:21:13.500Z");
  CHECK(doc.str(doc.member(0, "lastUpdated")) == "1970-01-01T00:00:00.000Z");
  CHECK(attune_test::json(doc, doc.member(0, "specialFeatureOptins")) == "[1,2,12]");
  CHECK(attune_test::json(doc, doc.member(0, "purposeLegitimateInterests")) == "[2,7,23]");
  CHECK(attune_test::json(doc, doc.member(0, "vendorConsents")) == "[1,64,65,700]");
  CHECK(doc.str(doc.member(0, "vendorLegitimateInterestsEncoding")) == "range");
  CHECK(attune_test::json(doc, doc.member(0, "publisherRestrictions")) ==
        R"([{"purpose":8,"type":1,"start":1,"end":3},{"purpose":8,"type":1,"start":9,"end":9},)"
        R"({"purpose":1,"type":0,"start":65535,"end":65535}])");
  CHECK(attune_test::json(doc, doc.member(0, "purposes")) ==
        R"({"storage":true,"personalization":false,"measurement":true,"marketing":false,)"
        R"("sensitive":false})");
  CHECK(doc.member(0, "vendorId") == kNoNode);  // writeTcfJson does not know it
}

TEST_CASE("tcf: timestamps print as JavaScript's toISOString", "[tcf]") {
  struct Case {
    uint64_t ds;
    const char* iso;
  } cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {9466847999ull, "1999-12-31T23:59:59.900Z"},
      {9517824000ull, "2000-02-29T00:00:00.000Z"},
      {17092511999ull, "2024-02-29T23:59:59.900Z"},
      {17092944000ull, "2024-03-01T12:00:00.000Z"},
      {41075423999ull, "2100-02-28T23:59:59.900Z"},  // 2100 is not a leap year
      {41075424000ull, "2100-03-01T00:00:00.000Z"},
      {(uint64_t{1} << 36) - 1, "2187-10-06T10:21:13.500Z"},  // the last 36-bit time
  };
  for (const Case& k : cases) {
    CoreSpec s;
    s.createdDs = k.ds;
    TcfConsent c;
    std::string error, json;
    REQUIRE(attune::decodeTcString(core(s), c, error));
    attune::writeTcfJson(c, 0, json);
    CHECK(json.find(std::string("\"created\":\"") + k.iso + "\"") != std::string::npos);
  }
}

TEST_CASE("tcf: maxVendorId 0 and 65535 in both encodings", "[tcf]") {
  TcfConsent c;
  std::string error;
  CoreSpec empty;
  empty.consents = {0, true, {}, {}};
  REQUIRE(attune::decodeTcString(core(empty), c, error));
  CHECK(c.vendorConsents.count() == 0);
  CHECK_FALSE(attune::vendorConsent(c, 0));
  CHECK_FALSE(attune::vendorConsent(c, 1));

  CoreSpec fullRange;
  fullRange.consents = {65535, true, {}, {{1, 65535}}};
  REQUIRE(attune::decodeTcString(core(fullRange), c, error));
  CHECK(c.vendorConsents.count() == 65535);
  CHECK(attune::vendorConsent(c, 1));
  CHECK(attune::vendorConsent(c, 65535));

  CoreSpec fullBitfield;
  fullBitfield.legitimateInterests = {65535, false, {2, 65535}, {}};
  std::string tc = core(fullBitfield);
  CHECK(tc.size() > 10900);
  REQUIRE(attune::decodeTcString(tc, c, error));
  CHECK(c.vendorLegitimateInterests.count() == 2);
  CHECK(attune::vendorLegitimateInterest(c, 65535));
  CHECK_FALSE(attune::vendorLegitimateInterest(c, 65534));
}

TEST_CASE("tcf: other segments are checked for their type, then skipped", "[tcf]") {
  std::string base = core(CoreSpec{});
  auto segment = [](unsigned type) {
    BitWriter w;
    w.put(type, 3).put(0, 21);
    return w.base64Url();
  };
  TcfConsent c;
  std::string error;
  REQUIRE(attune::decodeTcString(base + "." + segment(1) + "." + segment(3), c, error));
  CHECK(c.otherSegments == (attune::kTcfVendorsDisclosed | attune::kTcfPublisherTc));
  REQUIRE(attune::decodeTcString(base + "." + segment(2), c, error));
  CHECK(c.otherSegments == attune::kTcfVendorsAllowed);
  CHECK(decodeError(base + "." + segment(0)) == "segment 2 is a second core segment");
  CHECK(decodeError(base + "." + segment(1) + "." + segment(6)) ==
        "segment 3: unknown segment type 6");
  CHECK(decodeError(base + ".") == "segment 2 is empty");
  CHECK(decodeError(base + ".." + segment(1)) == "segment 2 is empty");
  CHECK(decodeError(segment(3) + "." + base) ==
        "the first segment is not the core segment (segment type 3)");
}

// ---------------------------------------------------------------------------------------
// Malformed strings: a reason each, never a crash

TEST_CASE("tcf: malformed strings are refused with a precise reason", "[tcf]") {
  CHECK(decodeError("") == "TC string is empty");
  CHECK(decodeError(".") == "segment 1 is empty");
  CHECK(decodeError("B") == "version 1 TC strings are not supported");
  CHECK(decodeError("D") == "version 3 TC strings are not supported");
  CHECK(decodeError("C") == "truncated: core fields (6 bits, 213 needed)");

  std::string valid = core(CoreSpec{});
  for (int byte = 0; byte < 256; ++byte) {
    char ch = static_cast<char>(byte);
    if (std::string_view(kAlphabet).find(ch) != std::string_view::npos || ch == '.') continue;
    std::string tc = valid;
    tc[12] = ch;
    char expected[64];
    std::snprintf(expected, sizeof expected, "not base64url at offset 12 (byte 0x%02X)", byte);
    CHECK(decodeError(tc) == expected);
  }

  CoreSpec s;
  s.consents = {100, true, {}, {{10, 20}, {30, 40}, {50, 40}}};
  CHECK(decodeError(core(s)) == "vendor consent section: range entry 3: end 40 before start 50");
  s.consents = {100, true, {}, {{10, 20}, {20, 40}}};
  CHECK(decodeError(core(s)) ==
        "vendor consent section: range entry 2: starts at 20, not after the previous entry's "
        "end 20");
  s.consents = {100, true, {}, {{50, 60}, {10, 20}}};
  CHECK(decodeError(core(s)) ==
        "vendor consent section: range entry 2: starts at 10, not after the previous entry's "
        "end 60");
  s.consents = {100, true, {}, {{0, 5}}};
  CHECK(decodeError(core(s)) == "vendor consent section: vendor id 0 in range entry 1");
  s.consents = {100, true, {}, {{0, 0}}};
  CHECK(decodeError(core(s)) == "vendor consent section: vendor id 0 in range entry 1");
  s.consents = {0, true, {}, {{1, 1}}};
  CHECK(decodeError(core(s)) ==
        "vendor consent section: range entry 1: vendor 1 above maxVendorId 0");
  s.consents = {100, true, {}, {{90, 101}}};
  CHECK(decodeError(core(s)) ==
        "vendor consent section: range entry 1: vendor 101 above maxVendorId 100");

  CoreSpec li;
  li.legitimateInterests = {9, true, {}, {{3, 4}, {2, 2}}};
  CHECK(decodeError(core(li)) ==
        "vendor legitimate interest section: range entry 2: starts at 2, not after the previous "
        "entry's end 4");

  CoreSpec r;
  r.restrictions = {{2, 0, {{5, 5}}}, {0, 1, {{5, 5}}}};
  CHECK(decodeError(core(r)) == "publisher restriction 2: purpose id 0");
  r.restrictions = {{2, 3, {{5, 5}}}};
  CHECK(decodeError(core(r)) == "publisher restriction 1: restriction type 3 is undefined");
  r.restrictions = {{2, 0, {{9, 5}}}};
  CHECK(decodeError(core(r)) == "publisher restriction 1: range entry 1: end 5 before start 9");
  r.restrictions = {{2, 0, {{5, 9}, {7, 12}}}};
  CHECK(decodeError(core(r)) ==
        "publisher restriction 1: range entry 2: starts at 7, not after the previous entry's "
        "end 9");
  r.restrictions = {{2, 0, {{0, 3}}}};
  CHECK(decodeError(core(r)) == "publisher restriction 1: vendor id 0 in range entry 1");

  CoreSpec letters;
  letters.language[1] = 26;
  CHECK(decodeError(core(letters)) == "consent language: letter 2 is not A-Z (value 26)");
  letters = CoreSpec{};
  letters.country[0] = 63;
  CHECK(decodeError(core(letters)) == "publisher country code: letter 1 is not A-Z (value 63)");

  // Truncated inside each section.
  CoreSpec t;
  t.consents = {300, false, {1, 300}, {}};
  t.legitimateInterests = {5, true, {}, {{1, 2}, {4, 5}}};
  t.restrictions = {{7, 2, {{1, 3}}}};
  BitWriter w = coreBits(t);
  size_t consentEnd = 213 + 17 + 300;
  size_t liEnd = consentEnd + 17 + 12 + 2 * 33;
  struct Cut {
    size_t bits;
    const char* reason;
  } cuts[] = {
      {212, "truncated: core fields (210 bits, 213 needed)"},  // whole characters
      {213 + 10, "truncated: vendor consent section"},
      {consentEnd - 1, "truncated: vendor consent section"},
      {consentEnd + 20, "truncated: vendor legitimate interest section"},
      {liEnd - 1, "truncated: vendor legitimate interest section"},
      {liEnd + 11, "truncated: publisher restrictions"},
      {liEnd + 12 + 19, "truncated: publisher restrictions"},
      {w.size() - 1, "truncated: publisher restrictions"},
  };
  REQUIRE(liEnd + 12 + 20 + 33 == w.size());
  for (const Cut& cut : cuts) {
    BitWriter part = w;
    part.truncate(cut.bits);
    // Whole characters only: a zero-padded tail could complete a field.
    std::string tc = part.base64Url().substr(0, cut.bits / 6);
    INFO(cut.bits);
    CHECK(decodeError(tc) == cut.reason);
  }
}

TEST_CASE("tcf: the 64 KB bound", "[tcf]") {
  // All-zero fields after the version decode; one byte more is refused before decoding.
  std::string atLimit = "C" + std::string(attune::kMaxTcStringBytes - 1, 'A');
  TcfConsent c;
  std::string error;
  CHECK(attune::decodeTcString(atLimit, c, error));
  CHECK(c.coreBitLength == 213 + 17 + 17 + 12);
  CHECK(decodeError(atLimit + "A") == "TC string is 65537 bytes; the limit is 65536");
  CHECK(decodeError(core(CoreSpec{}) + "." + std::string(70000, 'I')) ==
        "TC string is 70045 bytes; the limit is 65536");
  CHECK(decodeError(std::string(1 << 22, '.')) == "TC string is 4194304 bytes; the limit is 65536");
}

TEST_CASE("tcf: every bit-length prefix, zero-padded, decodes only within what it holds", "[tcf]") {
  CoreSpec s;
  s.purposes = {1, 2, 8};
  s.consents = {40, false, {3, 40}, {}};
  s.legitimateInterests = {900, true, {}, {{5, 9}, {800, 900}}};
  s.restrictions = {{8, 0, {{1, 3}, {7, 7}}}};
  BitWriter whole = coreBits(s);
  for (size_t n = 0; n <= whole.size(); ++n) {
    BitWriter part = whole;
    part.truncate(n);
    std::string tc = part.base64Url();
    TcfConsent c;
    std::string error;
    INFO(n);
    if (attune::decodeTcString(tc, c, error)) {
      CHECK(c.coreBitLength <= tc.size() * 6);
    } else {
      CHECK_FALSE(error.empty());
    }
    if (n == whole.size()) CHECK(error.empty());
  }
}

TEST_CASE("tcf: random bytes, random base64url and bit flips never crash", "[tcf]") {
  std::mt19937 rng(20261125);
  std::vector<std::string> seeds;
  Doc cases;
  std::string error;
  if (!attune_test::loadVectors("tcf.json", cases, error)) FAIL(error);
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next) {
    std::string tc(cases.str(cases.member(c, "tcString")));
    if (!tc.empty()) seeds.push_back(tc);
  }
  size_t decoded = 0, refused = 0;
  TcfConsent reused;
  for (int i = 0; i < 30000; ++i) {
    std::string tc;
    switch (i % 4) {
      case 0: {  // random bytes
        tc.resize(rng() % 200);
        for (char& ch : tc) ch = static_cast<char>(rng());
        break;
      }
      case 1: {  // random base64url, sometimes behind a version-2 header
        tc = (rng() % 2) ? "C" : "";
        for (size_t n = rng() % 400; n > 0; --n) tc += kAlphabet[rng() % 64];
        break;
      }
      default: {  // bit flips of a vector
        tc = seeds[rng() % seeds.size()];
        for (unsigned flips = 1 + rng() % 4; flips > 0; --flips) {
          size_t at = rng() % tc.size();
          const char* p = std::strchr(kAlphabet, tc[at]);
          if (tc[at] != '.' && p) tc[at] = kAlphabet[(p - kAlphabet) ^ (1u << (rng() % 6))];
        }
        if (rng() % 5 == 0) tc.resize(rng() % tc.size());
      }
    }
    bool ok = attune::decodeTcString(tc, reused, error);
    if (ok) {
      ++decoded;
      CHECK(error.empty());
      CHECK(reused.version == 2);
      CHECK(reused.coreBitLength <= tc.size() * 6);
      std::string json;
      attune::writeTcfJson(reused, attune::mapTcfPurposes(reused, TcfMapping{}, 0), json);
      Doc doc;
      attune::ParseError parseError;
      CHECK(doc.parse(json, parseError));
    } else {
      ++refused;
      CHECK_FALSE(error.empty());
      CHECK(reused.version == 0);  // nothing half-decoded is left behind
      CHECK(reused.publisherRestrictions.empty());
    }
  }
  CHECK(decoded > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("tcf: decoding again into the same consent allocates nothing", "[tcf]") {
  CoreSpec s;
  s.consents = {2000, false, {1, 1999}, {}};
  s.legitimateInterests = {3000, true, {}, {{1, 3000}}};
  s.restrictions = {{8, 0, {{1, 3}, {7, 7}}}, {2, 1, {{9, 90}}}};
  std::string tc = core(s);
  TcfConsent c;
  std::string error;
  error.reserve(256);
  REQUIRE(attune::decodeTcString(tc, c, error));
  attune_test::AllocationCounter counter;
  counter.start();
  bool ok = attune::decodeTcString(tc, c, error);
  uint8_t purposes = attune::mapTcfPurposes(c, TcfMapping{}, 7);
  uint64_t allocations = counter.stop();
  CHECK(ok);
  CHECK(purposes == 0);
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
}

// ---------------------------------------------------------------------------------------
// Mapping (SPEC §7)

TEST_CASE("tcf mapping: each Attune purpose from its TCF purposes, without a vendor", "[tcf]") {
  TcfMapping m;
  CHECK(attune::mapTcfPurposes(consentWith({}, {}), m, 0) == 0);
  CHECK(attune::mapTcfPurposes(consentWith({1}, {}), m, 0) == kStorage);
  CHECK(attune::mapTcfPurposes(consentWith({}, {1}), m, 0) == 0);  // purpose 1: consent only
  CHECK(attune::mapTcfPurposes(consentWith({5, 6}, {}), m, 0) == kPersonalization);
  CHECK(attune::mapTcfPurposes(consentWith({5}, {6}), m, 0) == 0);
  CHECK(attune::mapTcfPurposes(consentWith({6}, {}), m, 0) == 0);
  CHECK(attune::mapTcfPurposes(consentWith({3, 4}, {}), m, 0) == kMarketing);
  CHECK(attune::mapTcfPurposes(consentWith({3}, {4}), m, 0) == 0);
  CHECK(attune::mapTcfPurposes(consentWith({8}, {}), m, 0) == kMeasurement);
  CHECK(attune::mapTcfPurposes(consentWith({}, {8}), m, 0) == kMeasurement);
  CHECK(attune::mapTcfPurposes(consentWith({7, 9, 10, 11, 2}, {2, 7, 9, 10}), m, 0) == 0);
  // Everything TCF can say, in both bases: sensitive never follows.
  uint8_t all = attune::mapTcfPurposes(
      consentWith({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 7, 8, 9, 10, 11}), m, 0);
  CHECK(all == (kStorage | kPersonalization | kMeasurement | kMarketing));
  CHECK_FALSE(all & kSensitive);
}

TEST_CASE("tcf mapping: a configured vendor needs its own consent or LI", "[tcf]") {
  TcfMapping m;
  const uint16_t vendor = 755;
  auto everything = {1u, 3u, 4u, 5u, 6u, 8u};
  CHECK(attune::mapTcfPurposes(consentWith(everything, {}, {vendor}), m, vendor) ==
        (kStorage | kPersonalization | kMeasurement | kMarketing));
  CHECK(attune::mapTcfPurposes(consentWith(everything, {}, {754, 756}), m, vendor) == 0);
  // Vendor LI opens only the LI path, and only for measurement.
  CHECK(attune::mapTcfPurposes(consentWith(everything, {8}, {}, {vendor}), m, vendor) ==
        kMeasurement);
  CHECK(attune::mapTcfPurposes(consentWith({}, {1, 3, 4, 5, 6}, {vendor}, {vendor}), m, vendor) ==
        0);
  // Purpose consent + vendor LI (or purpose LI + vendor consent) is no basis.
  CHECK(attune::mapTcfPurposes(consentWith({8}, {}, {}, {vendor}), m, vendor) == 0);
  CHECK(attune::mapTcfPurposes(consentWith({}, {8}, {vendor}, {}), m, vendor) == 0);
  // The vendor check applies only when a vendor is configured.
  CHECK(attune::mapTcfPurposes(consentWith({1}, {}, {}, {}), m, 0) == kStorage);
  CHECK(attune::mapTcfPurposes(consentWith({1}, {}, {}, {}), m, vendor) == 0);
  // Sensitive never, whatever the vendor holds.
  CHECK_FALSE(attune::mapTcfPurposes(consentWith(everything, {8}, {vendor}, {vendor}), m, vendor) &
              kSensitive);
}

TEST_CASE("tcf mapping: publisher restrictions for the configured vendor", "[tcf]") {
  TcfMapping m;
  const uint16_t vendor = 40;
  auto restricted = [&](TcfRestriction type, uint8_t purpose, uint16_t start, uint16_t end) {
    TcfConsent c = consentWith({1, 8}, {8}, {vendor}, {vendor});
    c.publisherRestrictions.push_back({purpose, type, start, end});
    return c;
  };
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::NotAllowed, 8, 30, 50), m, vendor) ==
        kStorage);
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::NotAllowed, 1, 40, 40), m, vendor) ==
        kMeasurement);
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::NotAllowed, 8, 41, 50), m, vendor) ==
        (kStorage | kMeasurement));
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::NotAllowed, 8, 30, 50), m, 0) ==
        (kStorage | kMeasurement));
  // Require consent: consent still works, LI alone no longer does.
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::RequireConsent, 8, 40, 40), m, vendor) ==
        (kStorage | kMeasurement));
  TcfConsent liOnly = consentWith({}, {8}, {vendor}, {vendor});
  liOnly.publisherRestrictions.push_back({8, TcfRestriction::RequireConsent, 1, 100});
  CHECK(attune::mapTcfPurposes(liOnly, m, vendor) == 0);
  // Require LI: LI still works, consent alone no longer does.
  TcfConsent consentOnly = consentWith({8}, {}, {vendor}, {vendor});
  consentOnly.publisherRestrictions.push_back(
      {8, TcfRestriction::RequireLegitimateInterest, 40, 40});
  CHECK(attune::mapTcfPurposes(consentOnly, m, vendor) == 0);
  CHECK(attune::mapTcfPurposes(restricted(TcfRestriction::RequireLegitimateInterest, 8, 40, 40), m,
                               vendor) == (kStorage | kMeasurement));
}

TEST_CASE("tcf mapping: overrides, and what TCF forbids stays forbidden", "[tcf]") {
  TcfMapping m;
  std::string error;
  CHECK(attune::validateTcfMapping(m, error));
  // personalization ⇐ purpose 2 by consent or LI, plus 7 (consent).
  m.required[1] = tcfBit(2) | tcfBit(7);
  m.legitimateInterest[1] = tcfBit(2);
  CHECK(attune::validateTcfMapping(m, error));
  CHECK(attune::mapTcfPurposes(consentWith({7}, {2}), m, 0) == kPersonalization);
  CHECK(attune::mapTcfPurposes(consentWith({2}, {7}), m, 0) == 0);
  // An empty requirement grants nothing (rather than everything).
  m.required[2] = 0;
  m.legitimateInterest[2] = 0;
  CHECK(attune::mapTcfPurposes(consentWith({8}, {8}), m, 0) == 0);

  TcfMapping bad;
  bad.legitimateInterest[0] = tcfBit(1);
  CHECK_FALSE(attune::validateTcfMapping(bad, error));
  CHECK(error ==
        "tcf mapping: storage allows legitimate interest for purpose 1; TCF v2.2 requires "
        "consent for purposes 1 and 3-6");
  // Even unvalidated, mapTcfPurposes never takes LI for purposes 1 and 3-6.
  CHECK(attune::mapTcfPurposes(consentWith({}, {1}), bad, 0) == 0);

  bad = TcfMapping{};
  bad.required[4] = tcfBit(9);
  CHECK_FALSE(attune::validateTcfMapping(bad, error));
  CHECK(error == "tcf mapping: sensitive is never granted by TCF, only by an explicit flag");
  CHECK_FALSE(attune::mapTcfPurposes(consentWith({9}, {}), bad, 0) & kSensitive);

  bad = TcfMapping{};
  bad.required[3] = tcfBit(12);
  CHECK_FALSE(attune::validateTcfMapping(bad, error));
  CHECK(error == "tcf mapping: marketing names TCF purpose 12; TCF v2.2 defines purposes 1-11");

  bad = TcfMapping{};
  bad.legitimateInterest[2] = tcfBit(9);
  CHECK_FALSE(attune::validateTcfMapping(bad, error));
  CHECK(error ==
        "tcf mapping: measurement allows legitimate interest for purpose 9, which it does not "
        "require");
}

TEST_CASE("tcf: describeTcString refuses vendor ids it cannot hold", "[tcf]") {
  std::string tc = core(CoreSpec{});
  CHECK(describe(tc, -1) == R"({"error":"vendor id -1 is not an integer in 0..65535"})");
  CHECK(describe(tc, 65536) == R"({"error":"vendor id 65536 is not an integer in 0..65535"})");
  CHECK(describe(tc, 2.5) == R"({"error":"vendor id 2.5 is not an integer in 0..65535"})");
  CHECK(describe(tc, std::nan("")) == R"({"error":"vendor id NaN is not an integer in 0..65535"})");
  CHECK(describe(tc, 65535).find(R"("vendorId":65535,)") != std::string::npos);
  CHECK(describe("") == R"({"error":"TC string is empty"})");
}
