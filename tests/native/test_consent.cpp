// Consent (SPEC §7): defaults, precedence, GPC, withdrawal erasing the profile, forget(),
// and what is left in the stored bytes.
#include <catch2/catch.hpp>

#include "config_compiler.h"
#include "consent.h"
#include "decider.h"
#include "visitor_io.h"

namespace {

constexpr double kNow = 1764064800000.0;  // 2025-11-25T10:00:00Z

std::unique_ptr<attune::Engine> engine(const char* policy) {
  std::string json =
      std::string(R"({"version": 1, "sensitiveInterests": ["health"], "consent": {"policy": ")") +
      policy + R"(", "policyVersion": 2}, "placements": [{"id": "p"}]})";
  attune::CompileResult r = attune::compileConfig(json);
  REQUIRE(r.engine);
  return std::move(r.engine);
}

uint8_t bits(const attune::ConsentGate& g) {
  uint8_t b = 0;
  for (int p = 0; p < 5; ++p) b |= static_cast<uint8_t>(g.granted[p] << p);
  return b;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void track(attune::VisitorState& s, const attune::Engine& e, const char* type, const char* props) {
  attune::Doc scratch;
  std::string error;
  attune::ConsentGate gate = attune::effectiveConsent(e.consentPolicy, s.consent, {});
  REQUIRE(attune::trackJson(s, e, gate, type, props, kNow, scratch, error));
}

std::string setConsent(attune::VisitorState& s, const attune::Engine& e, const char* json) {
  attune::Doc scratch;
  std::string out;
  attune::setConsentJson(s, e, json, "banner", kNow, scratch, out);
  return out;
}

}  // namespace

TEST_CASE("consent: policy defaults and precedence", "[consent]") {
  attune::ConsentPolicy optIn, optOut;
  optOut.optIn = false;
  attune::ConsentRecord none;
  CHECK(bits(attune::effectiveConsent(optIn, none, {})) == 0);
  CHECK(bits(attune::effectiveConsent(optOut, none, {})) == attune::kOptOutDefault);
  attune::ConsentInputs flags;
  flags.flags[1] = 1;  // personalization
  flags.flags[3] = 1;  // marketing
  CHECK(bits(attune::effectiveConsent(optIn, none, flags)) == 0x0A);
  flags.gpc = true;  // GPC: no marketing, whatever else says
  CHECK(bits(attune::effectiveConsent(optIn, none, flags)) == 0x02);
  attune::ConsentRecord stored;
  stored.present = true;
  stored.purposes = 0x01;
  stored.policyVersion = 1;
  CHECK(bits(attune::effectiveConsent(optIn, stored, {})) == 0x01);
  attune::ConsentPolicy newer = optIn;
  newer.policyVersion = 2;  // consent given under an older notice no longer counts
  CHECK(bits(attune::effectiveConsent(newer, stored, {})) == 0);
  attune::ConsentInputs badTcf;
  badTcf.tcString = "not a TC string";
  CHECK(bits(attune::effectiveConsent(optOut, none, badTcf)) == attune::kOptOutDefault);
}

TEST_CASE("consent: under optIn nothing is recorded until personalization is granted",
          "[consent]") {
  auto e = engine("optIn");
  attune::VisitorState s;
  track(s, *e, "page_view", R"({"categories": ["ski"]})");
  CHECK(s.profile.empty());
  std::string record = setConsent(s, *e, R"({"storage": true, "personalization": true})");
  CHECK(contains(record, R"("personalization":true)"));
  CHECK(contains(record, R"("source":"banner")"));
  CHECK(contains(record, R"("policyVersion":2)"));
  track(s, *e, "page_view", R"({"categories": ["ski"]})");
  CHECK_FALSE(s.profile.empty());
}

TEST_CASE("consent: withdrawal erases the profile at once, in memory and in the stored bytes",
          "[consent]") {
  auto e = engine("optIn");
  attune::VisitorState s;
  s.visitorId = "visitor-abc";
  setConsent(s, *e, R"({"storage": true, "personalization": true, "sensitive": true})");
  track(s, *e, "page_view", R"({"categories": ["skiing-holidays"]})");
  track(s, *e, "add_to_cart", R"({"sku": "boots-42", "price": 199})");
  track(s, *e, "purchase",
        R"({"amount": 20, "items": [{"sku": "vitamins", "categories": ["health"]}]})");
  track(s, *e, "newsletter_signup_custom", "");
  std::string before;
  attune::encodeState(s, before);
  CHECK(contains(before, "skiing-holidays"));
  CHECK(contains(before, "newsletter_signup_custom"));

  std::string record = setConsent(s, *e, R"({"personalization": false})");
  CHECK(contains(record, R"("personalization":false)"));
  CHECK(s.profile.empty());
  std::string after;
  attune::encodeState(s, after);
  for (const char* secret : {"skiing-holidays", "boots-42", "vitamins", "health",
                             "newsletter_signup_custom", "page_view", "purchase"}) {
    INFO(secret);
    CHECK_FALSE(contains(after, secret));
  }
  attune::VisitorState reloaded;
  REQUIRE(attune::decodeState(after, reloaded).status == attune::LoadStatus::Ok);
  CHECK(reloaded.consent.present);
  CHECK(reloaded.consent.source == "banner");
  CHECK(reloaded.consent.policyVersion == 2);
  CHECK(reloaded.profile.empty());
}

TEST_CASE("consent: withdrawing sensitive purges sensitive keys but keeps the rest", "[consent]") {
  auto e = engine("optOut");
  attune::VisitorState s;
  setConsent(s, *e, R"({"sensitive": true})");
  track(s, *e, "page_view", R"({"categories": ["health", "ski"]})");
  REQUIRE(s.profile.interests.size() == 2);
  setConsent(s, *e, R"({"sensitive": false})");
  REQUIRE(s.profile.interests.size() == 1);
  CHECK(s.profile.interests[0].key == "ski");
  std::string bytes;
  attune::encodeState(s, bytes);
  CHECK_FALSE(contains(bytes, "health"));
}

TEST_CASE("consent: forget erases profile and id, keeps the consent record", "[consent]") {
  auto e = engine("optOut");
  attune::VisitorState s;
  s.visitorId = "visitor-xyz";
  setConsent(s, *e, R"({"marketing": false})");
  track(s, *e, "page_view", R"({"categories": ["ski"]})");
  attune::forgetVisitor(s);
  CHECK(s.profile.empty());
  CHECK(s.visitorId.empty());
  CHECK(s.consent.present);
  std::string bytes;
  attune::encodeState(s, bytes);
  CHECK_FALSE(contains(bytes, "ski"));
  CHECK_FALSE(contains(bytes, "visitor-xyz"));
}

TEST_CASE("consent: bad consent input is refused and changes nothing", "[consent]") {
  auto e = engine("optIn");
  attune::VisitorState s;
  CHECK(contains(setConsent(s, *e, R"({"personalisation": true})"), "error"));
  CHECK(contains(setConsent(s, *e, R"({"storage": "yes"})"), "error"));
  CHECK(contains(setConsent(s, *e, R"({"tcString": "%%%"})"), "TC string refused"));
  CHECK(contains(setConsent(s, *e, "[]"), "error"));
  CHECK_FALSE(s.consent.present);
}

TEST_CASE(
    "consent: decisions report skipped purposes; the profile context is neutral without consent",
    "[consent]") {
  attune::CompileResult r = attune::compileConfig(R"({"version": 1, "placements": [{"id": "p"}],
    "campaigns": [{"id": "skier", "placement": "p", "priority": 2, "audience": {"traits.skier": true},
                   "variants": [{"id": "a", "content": {"en": {"t": "snow"}}}]},
                  {"id": "ad", "placement": "p", "priority": 1, "consent": ["marketing"],
                   "variants": [{"id": "a", "content": {"en": {"t": "ad"}}}]}]})");
  REQUIRE(r.engine);
  attune::VisitorState s;
  attune::Decider d(*r.engine);
  d.attach(&s);
  std::string out;
  d.decidePageJson(R"({"now": 1764064800000, "traits": {"skier": true}})", true, out);
  CHECK(contains(out,
                 R"({"campaign":"skier","result":"skipped","reason":"consent:personalization"})"));
  CHECK(contains(out, R"({"campaign":"ad","result":"skipped","reason":"consent:marketing"})"));
  out.clear();
  d.decidePageJson(R"({"now": 1764064800000, "consent": {"marketing": true}})", true, out);
  CHECK(contains(out, R"("campaign":"ad")"));
  out.clear();
  d.decidePageJson(R"({"now": 1764064800000, "consent": {"marketing": true, "gpc": true}})", true,
                   out);
  CHECK(contains(out, R"({"campaign":"ad","result":"skipped","reason":"consent:marketing"})"));
  out.clear();
  d.decidePageJson(R"({"now": 1764064800000, "consent": {"analytics": true}})", true, out);
  CHECK(contains(out, "visitor.consent.analytics"));
}
