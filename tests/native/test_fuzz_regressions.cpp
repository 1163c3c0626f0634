// Regression tests for what the fuzzers (fuzz/) found: one case per finding, each the minimal
// form of the reproducer that is also kept in fuzz/corpus/<target>/regression-*. Each would
// fail (or abort under ASan+UBSan, tests/native in build-asan) without its fix.
#include <catch2/catch.hpp>
#include <string>

#include "doc.h"
#include "profile.h"
#include "state_blob.h"
#include "utf8.h"

using attune::DayCount;
using attune::EventCounter;
using attune::LoadStatus;
using attune::VisitorState;

namespace {

constexpr double kDay = attune::kMsPerDay;

}  // namespace

// cookie_fuzzer: a blob may hold any finite last-seen time; folding day buckets for a cookie
// cast it to a day number, undefined behaviour past int64 (UBSan: "4.6e+109 is outside the
// range of representable values of type 'long'").
TEST_CASE("fuzz regression: cookie compaction with a last-seen time beyond every day number",
          "[fuzz_regression][cookie]") {
  VisitorState state;
  state.visitorId = "v1";
  state.profile.firstSeenMs = 20000 * kDay;
  state.profile.lastSeenMs = 4.6e117;  // finite, so the decoder accepts it
  state.profile.sessions = 1;
  EventCounter views;
  views.type = "page_view";
  views.lifetime = 200;
  views.firstMs = 20000 * kDay;
  views.lastMs = 20199 * kDay;
  for (int32_t d = 20000; d < 20200; d += 2) views.days.push_back(DayCount{d, 2});
  state.profile.counters.push_back(views);

  std::string full, cookie;
  attune::encodeState(state, full);
  attune::base64UrlEncode(full, cookie);
  const size_t budget = cookie.size() - 1;  // the full state does not fit: compaction runs
  REQUIRE(attune::encodeCookie(state, budget, cookie));
  REQUIRE(cookie.size() <= budget);
  VisitorState loaded;
  REQUIRE(attune::decodeCookie(cookie, loaded).status == LoadStatus::Ok);
  REQUIRE(loaded.profile.lastSeenMs == state.profile.lastSeenMs);
  REQUIRE(loaded.profile.counters.size() == 1);
  // Seen "today" that far ahead, every bucket is older than the longest window: all dropped,
  // the lifetime count stays.
  CHECK(loaded.profile.counters[0].days.empty());
  CHECK(loaded.profile.counters[0].lifetime == 200);
}

// cookie_fuzzer (the edge step: a loaded cookie, then track()): counting an event's day
// bucket cast the stored last-seen time to an int32 day number, undefined behaviour for a
// huge finite value (UBSan: "4.6e+109 is outside the range of representable values of type
// 'int'"), and "today - 90" could then overflow too. Day numbers are now clamped to ±1e9.
TEST_CASE("fuzz regression: tracking for a profile last seen beyond every day number",
          "[fuzz_regression][profile]") {
  attune::Profile profile;
  profile.firstSeenMs = 20000 * kDay;
  profile.lastSeenMs = 4.6e117;
  profile.sessions = 1;
  attune::Doc props;
  attune::ParseError err;
  REQUIRE(props.parse(R"({"categories":["ski"]})", err));
  std::string error;
  const double now = 20400 * kDay;
  REQUIRE(attune::trackEvent(profile, attune::ProfileSettings(), attune::ConsentGate(), "page_view",
                             props, 0, now, error));
  REQUIRE(profile.counters.size() == 1);
  CHECK(profile.counters[0].lifetime == 1);
  // "Today" is the far future, so the bucket for now is outside every window.
  CHECK(profile.counters[0].days.empty());
  // The context still builds: no day arithmetic overflows.
  attune::Doc ctx;
  attune::NodeId root = ctx.addObject();
  attune::writeProfileContext(profile, attune::ProfileSettings(), attune::ConsentGate(), now,
                              attune::kNoNode, ctx, root);
  std::string json;
  ctx.write(root, json);
  CHECK(json.find("\"behavior\"") != std::string::npos);
}

// template_fuzzer (normalising a name twice must change nothing): an emoji ZWJ sequence
// longer than kMaxNameClusterCodePoints kept the joiner before the first dropped code point,
// so the name ended a cluster with a joiner that joins nothing ("ZWJ/ZWNJ survive only
// between two visible characters", utf8.h), and a second pass removed it.
TEST_CASE("fuzz regression: a name cut at the cluster bound keeps no dangling joiner",
          "[fuzz_regression][utf8]") {
  const std::string woman = "\xF0\x9F\x91\xA9", zwj = "\xE2\x80\x8D";
  std::string family = woman;  // 8 joiners: 17 code points in one cluster
  for (int i = 0; i < 8; ++i) family += zwj + woman;
  std::string kept = woman;  // 16 allowed; the 16th is a joiner, so 15 remain
  for (int i = 0; i < 7; ++i) kept += zwj + woman;

  std::string name, again;
  attune::normalizeName(family + "\xE3\x80\x80x", name);  // then an ideographic space
  CHECK(name == kept + " x");
  attune::normalizeName(name, again);
  CHECK(again == name);
  attune::normalizeName(family, name);
  CHECK(name == kept);
}

// template_fuzzer (the same check): the cluster bound counted clusters of the input, but a
// dropped code point can merge what follows into the cut cluster: after a dropped consonant,
// the next consonant joins the virama before it (GB9c). The name then held one cluster of 17
// code points, over kMaxNameClusterCodePoints. Clusters are now those of the output.
TEST_CASE("fuzz regression: a name's clusters stay within the code point bound after a cut",
          "[fuzz_regression][utf8]") {
  const std::string ka = "\xE0\xA4\x95", virama = "\xE0\xA5\x8D";
  std::string conjunct;  // ka (virama ka) x 8: one cluster (GB9c) of 17 code points, then ka
  conjunct += ka;
  for (int i = 0; i < 8; ++i) conjunct += virama + ka;
  std::string input = conjunct + ka;
  std::string kept = ka;  // the first 16 code points; the 17th ka goes, and so does the 18th,
  for (int i = 0; i < 7; ++i) kept += virama + ka;  // which would join the virama before it
  kept += virama;

  std::string name, again;
  attune::normalizeName(input, name);
  CHECK(name == kept);
  CHECK(attune::countGraphemes(name) == 1);
  attune::normalizeName(name, again);
  CHECK(again == name);
  // A space ends the cluster: what follows it is kept.
  attune::normalizeName(input + " " + ka, name);
  CHECK(name == kept + " " + ka);
}
