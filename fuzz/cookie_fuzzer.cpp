// libFuzzer target for the cookie form of the visitor state (runtime/state_blob.h, SPEC §10):
// base64url text → state blob decode, then encode back within a byte budget (compacting).
//
// Input: two bytes (little-endian) choosing the budget, then the payload. The payload is
// loaded twice: as cookie text, and as a binary blob (checksums rewritten so mutations reach
// the structure, see fuzz_support.h) turned into cookie text, so that large, deep states
// reach the compaction code.
// Invariants for every state that loads: a cookie written within the budget is at most that
// long and loads back as ok; one that cannot fit is refused with empty text; when the full
// state fits, the cookie holds it exactly; when it was compacted, what compaction must keep
// is kept exactly (visitor id, consent record, contact history, totals and recency, the
// lifetimes of the built-in event types, cart lines, category purchases) and what it may drop
// is only dropped (custom counters and interests keep their order and values).
//
// Then what the edge worker does with a loaded cookie (web/edge/decide.mjs): a page decision
// for a fixed visitor over a fixed engine with every contact rule, trigger and profile
// condition, its impressions counted, the contact history pruned, an event tracked and the
// cookie written again. Pruning must not change any decision at or after the time it prunes
// at (runtime/contact.h), so the pruned state decides exactly like the full one.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config_compiler.h"
#include "contact.h"
#include "decider.h"
#include "doc.h"
#include "fuzz_support.h"
#include "state_blob.h"
#include "visitor_io.h"

namespace {

// Every kind of contact rule, every trigger, conditions and templates reading the profile.
constexpr std::string_view kConfig = R"({"version":1,"defaultLocale":"en",
"consent":{"policy":"optOut"},"behavior":{"sessionTimeout":"10m"},
"caps":[{"scope":"global","max":6,"per":"day"},{"scope":"channel","channel":"popup","max":2,"per":"week"}],
"capMultipliers":{"big":2.5},"quietHours":{"popup":{"from":"22:00","to":"08:00"}},
"segments":{"big":{"rfm.monetary":{"$gte":3}},"fan":{"interests.ski":{"$gt":0.5}}},
"placements":[{"id":"hero","channel":"web","default":{"en":{"h":"default"}}},
 {"id":"popup","channel":"popup"},{"id":"banner","channel":"web"}],
"campaigns":[
 {"id":"cart","placement":"popup","priority":9,"trigger":{"event":"cart_abandoned","within":"2d"},
  "caps":[{"max":1,"per":"session"}],"fatigue":{"impressions":2,"suppress":"1d"},
  "cooldownAfterDismiss":"2h","variants":[{"id":"a","content":{"en":{"h":"{{cart.count}} items, {{cart.value}}"}}}]},
 {"id":"lapsed","placement":"hero","priority":8,"trigger":{"event":"lapsed_return","within":"1d"},
  "audience":{"lifecycle":{"$in":["lapsed","dormant","active"]}},
  "variants":[{"id":"a","content":{"en":{"h":"back after {{behavior.daysSinceLastVisit}} days"}}}]},
 {"id":"ski","placement":"hero","priority":7,"trigger":{"event":"purchase","within":"30d","category":"ski"},
  "caps":[{"max":2,"per":"36h"},{"max":1,"per":"lifetime","count":"click"}],
  "variants":[{"id":"a","weight":1,"content":{"en":{"h":"{{rfm.tier}}"}}},{"id":"b","weight":1,"content":{"en":{"h":"b"}}}],"holdout":0.1},
 {"id":"birthday","placement":"banner","priority":6,"trigger":{"event":"birthday","within":"1d"},
  "variants":[{"id":"a","content":{"en":{"h":"happy birthday"}}}]},
 {"id":"mail","placement":"banner","priority":5,"trigger":{"event":"email_click","within":"12h"},
  "caps":[{"max":1,"per":"week"}],"variants":[{"id":"a","content":{"en":{"h":"mail"}}}]},
 {"id":"fans","placement":"hero","priority":4,"audience":{"segments":"fan",
  "behavior.counts.page_view.d7":{"$gte":1},"topInterests":{"$elemMatch":{"$eq":"ski"}}},
  "caps":[{"max":3,"per":"day"}],"fatigue":{"impressions":3,"suppress":"7d"},
  "variants":[{"id":"a","content":{"en":{"h":"{{behavior.sessions}} sessions"}}}]},
 {"id":"welcome","placement":"banner","priority":3,"trigger":{"event":"welcome","within":"1d"},
  "variants":[{"id":"a","content":{"en":{"h":"welcome"}}}]},
 {"id":"anyone","placement":"popup","priority":1,"caps":[{"max":1,"per":"90m"}],
  "variants":[{"id":"a","content":{"en":{"h":"anyone"}}}]}]})";

const attune::Engine& engine() {
  static const std::unique_ptr<attune::Engine> compiled = attune::compileConfig(kConfig).engine;
  FUZZ_CHECK(compiled != nullptr);
  return *compiled;
}

constexpr double kNowMs = 1795600800000.0;          // 2026-11-25T10:00:00Z
constexpr double kLatestNowMs = 253402300799000.0;  // 9999-12-31T23:59:59Z
constexpr size_t kCookieTokens = 64;  // as the edge binding keeps (bindings/engine_handle.h)

// The edge's visitor input (no id: the state's is used) at `nowMs`.
std::string visitorAt(double nowMs) {
  std::string out = "{\"now\":";
  attune::writeJsonNumber(nowMs, out);
  out += R"(,"utcOffsetMinutes":60,"acceptLanguage":"de-AT,en;q=0.5","geo":{"country":"AT"},)"
         R"("traits":{"birthday":"11-25","interests":["ski"]},"page":{"path":"/ski"}})";
  return out;
}

std::string decidePage(const attune::VisitorState& state, const std::string& visitor,
                       std::vector<attune::Decider::Shown>* shown = nullptr) {
  attune::Decider decider(engine());
  decider.seedTokenEntropy(1);
  decider.attach(&state);
  std::string out;
  decider.decidePageJson(visitor, true, out);
  FUZZ_CHECK(attune_fuzz::isJson(out));
  if (shown) *shown = decider.shown();
  return out;
}

// One edge request with the loaded state (see the file comment).
void edgeRequest(const attune::VisitorState& loaded) {
  attune::VisitorState state = loaded;
  if (state.visitorId.empty()) state.visitorId = "edge-visitor";
  const double latest = std::max(state.contacts.lastContactMs, state.profile.lastSeenMs);
  const double now = std::min(std::max(kNowMs, latest), kLatestNowMs);
  const std::string visitor = visitorAt(now);

  std::vector<attune::Decider::Shown> shown;
  const std::string decisions = decidePage(state, visitor, &shown);
  attune::VisitorState pruned = state;
  attune::pruneContacts(pruned.contacts, engine().contactRules, latest > 0 ? latest : now,
                        kCookieTokens);
  if (latest <= now) FUZZ_CHECK(decidePage(pruned, visitor) == decisions);

  attune::recordShown(state, engine(), shown, now);
  attune::Doc scratch;
  std::string error;
  attune::ConsentGate consent =
      attune::effectiveConsent(engine().consentPolicy, state.consent, attune::ConsentInputs());
  attune::trackJson(state, engine(), consent, "page_view", R"({"categories":["ski"]})", now,
                    scratch, error);
  attune::pruneContacts(state.contacts, engine().contactRules,
                        std::max(state.contacts.lastContactMs, state.profile.lastSeenMs),
                        kCookieTokens);
  std::string cookie;
  if (attune::encodeCookie(state, 4096, cookie)) {
    attune::VisitorState again;
    FUZZ_CHECK(attune::decodeCookie(cookie, again).status == attune::LoadStatus::Ok);
  }
}

const char* const kBuiltIn[] = {"page_view", "search",      "add_to_cart", "remove_from_cart",
                                "purchase",  "email_click", "signup",      "impression",
                                "click",     "dismiss",     "conversion"};

bool isBuiltIn(const std::string& type) {
  for (const char* b : kBuiltIn)
    if (type == b) return true;
  return false;
}

// Compares two parts of states through their encoding: a state holding only that part.
std::string encodedContacts(const attune::VisitorState& s) {
  attune::VisitorState only;
  only.contacts = s.contacts;
  std::string out;
  attune::encodeState(only, out);
  return out;
}

void checkKept(const attune::VisitorState& before, const attune::VisitorState& after) {
  FUZZ_CHECK(after.visitorId == before.visitorId);
  const attune::ConsentRecord &a = after.consent, &b = before.consent;
  FUZZ_CHECK(a.present == b.present && a.purposes == b.purposes && a.updatedMs == b.updatedMs &&
             a.source == b.source && a.policyVersion == b.policyVersion);
  FUZZ_CHECK(encodedContacts(after) == encodedContacts(before));

  const attune::Profile &p = after.profile, &q = before.profile;
  FUZZ_CHECK(p.firstSeenMs == q.firstSeenMs && p.lastSeenMs == q.lastSeenMs &&
             p.sessionStartMs == q.sessionStartMs && p.previousVisitMs == q.previousVisitMs &&
             p.lapsedReturnMs == q.lapsedReturnMs && p.sessions == q.sessions &&
             p.purchases == q.purchases && p.totalSpend == q.totalSpend &&
             p.lastPurchaseMs == q.lastPurchaseMs && p.cartUpdatedMs == q.cartUpdatedMs);

  // Counters: built-in ones all stay, custom ones may go; both keep their order and totals.
  size_t j = 0;
  for (const attune::EventCounter& c : q.counters) {
    if (j < p.counters.size() && p.counters[j].type == c.type) {
      const attune::EventCounter& k = p.counters[j++];
      FUZZ_CHECK(k.lifetime == c.lifetime && k.firstMs == c.firstMs && k.lastMs == c.lastMs);
      FUZZ_CHECK(k.days.size() <= c.days.size());
    } else {
      FUZZ_CHECK(!isBuiltIn(c.type));
    }
  }
  FUZZ_CHECK(j == p.counters.size());

  FUZZ_CHECK(p.cart.size() == q.cart.size());
  for (size_t i = 0; i < q.cart.size(); ++i) {
    FUZZ_CHECK(p.cart[i].sku == q.cart[i].sku && p.cart[i].quantity == q.cart[i].quantity &&
               p.cart[i].price == q.cart[i].price);
    FUZZ_CHECK(p.cart[i].categories.empty() || p.cart[i].categories == q.cart[i].categories);
  }
  FUZZ_CHECK(p.categoryPurchases.size() == q.categoryPurchases.size());
  for (size_t i = 0; i < q.categoryPurchases.size(); ++i)
    FUZZ_CHECK(p.categoryPurchases[i].category == q.categoryPurchases[i].category &&
               p.categoryPurchases[i].lastMs == q.categoryPurchases[i].lastMs);

  // Interests: a subsequence, values unchanged.
  j = 0;
  for (const attune::InterestScore& s : q.interests) {
    if (j < p.interests.size() && p.interests[j].key == s.key) {
      FUZZ_CHECK(p.interests[j].score == s.score && p.interests[j].updatedMs == s.updatedMs);
      ++j;
    }
  }
  FUZZ_CHECK(j == p.interests.size());
}

void exercise(std::string_view cookieText, size_t budget) {
  attune::VisitorState state;
  attune::LoadReport report = attune::decodeCookie(cookieText, state);
  if (report.status != attune::LoadStatus::Ok && report.status != attune::LoadStatus::Migrated) {
    FUZZ_CHECK(report.status == attune::LoadStatus::Empty || !report.reason.empty());
    return;
  }
  edgeRequest(state);
  std::string full, cookie;
  attune::encodeState(state, full);
  if (!attune::encodeCookie(state, budget, cookie)) {
    FUZZ_CHECK(cookie.empty());
    return;
  }
  FUZZ_CHECK(cookie.size() <= budget);
  attune::VisitorState loaded;
  FUZZ_CHECK(attune::decodeCookie(cookie, loaded).status == attune::LoadStatus::Ok);
  std::string fullText;
  attune::base64UrlEncode(full, fullText);
  if (fullText.size() <= budget) {  // it fits as it is: nothing may change
    FUZZ_CHECK(cookie == fullText);
    return;
  }
  checkKept(state, loaded);
  // Compacting again changes nothing more: the compacted state already fits.
  std::string again;
  FUZZ_CHECK(attune::encodeCookie(loaded, budget, again));
  FUZZ_CHECK(again.size() <= budget);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  engine();  // compiled (and checked) once
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // 0..4095 plus a little: compaction happens at every budget below the state's own size.
  const size_t budget = (static_cast<size_t>(data[0]) | static_cast<size_t>(data[1]) << 8) % 4200;
  std::string_view payload = attune_fuzz::asText(data + 2, size - 2);
  exercise(payload, budget);
  std::string text;
  attune::base64UrlEncode(attune_fuzz::resealedStateBlob(payload), text);
  exercise(text, budget);
  return 0;
}
