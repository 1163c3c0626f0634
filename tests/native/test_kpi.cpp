// KPIs (runtime/kpi.h): the shared vectors (expectations computed independently with
// mpmath by the reference script described in docs/KPI.md), published interval values,
// edge cases, coverage of the 95% intervals over simulated experiments, bounded memory
// over 10 million events, and determinism.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "kpi.h"
#include "vector_support.h"

using attune::Doc;
using attune::kNoNode;
using attune::KpiAccumulator;
using attune::KpiAddStatus;
using attune::KpiCellSummary;
using attune::KpiEvent;
using attune::KpiEventType;
using attune::KpiLimits;
using attune::KpiReport;
using attune::NodeId;
using attune::Type;
namespace stats = attune::kpi_stats;

namespace {

// Subset comparison: every member of `expected` must be in `got`; numbers within `tolerance`
// (absolute, plus 1e-12 relative for large sums). `why` names the first difference.
bool matches(const Doc& got, NodeId g, const Doc& exp, NodeId e, const std::string& path,
             double tolerance, std::string& why) {
  if (g == kNoNode) {
    why = path + ": missing";
    return false;
  }
  Type t = exp.type(e);
  if (t == Type::Number) {
    double want = exp.node(e).number;
    if (got.type(g) != Type::Number ||
        std::fabs(got.node(g).number - want) > tolerance + 1e-12 * std::fabs(want)) {
      why = path + ": got " + attune_test::json(got, g) + ", expected " + attune_test::json(exp, e);
      return false;
    }
    return true;
  }
  if (t == Type::Object) {
    if (got.type(g) != Type::Object) {
      why = path + ": got " + attune_test::json(got, g);
      return false;
    }
    for (NodeId m = exp.node(e).firstChild; m != kNoNode; m = exp.node(m).next) {
      std::string key(exp.key(m));
      if (!matches(got, got.member(g, key), exp, m, path + "." + key, tolerance, why)) {
        return false;
      }
    }
    return true;
  }
  if (t == Type::Array) {
    if (got.type(g) != Type::Array || got.node(g).count != exp.node(e).count) {
      why = path + ": got " + attune_test::json(got, g);
      return false;
    }
    for (uint32_t i = 0; i < exp.node(e).count; ++i) {
      if (!matches(got, got.element(g, i), exp, exp.element(e, i),
                   path + "[" + std::to_string(i) + "]", tolerance, why)) {
        return false;
      }
    }
    return true;
  }
  if (!Doc::equal(got, g, exp, e)) {
    why = path + ": got " + attune_test::json(got, g) + ", expected " + attune_test::json(exp, e);
    return false;
  }
  return true;
}

Doc parsed(const std::string& text) {
  Doc doc;
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 64u << 20;
  limits.maxNodes = 10000000;
  REQUIRE(doc.parse(text, err, limits));
  return doc;
}

std::string reportJson(const KpiAccumulator& acc) {
  KpiReport report;
  acc.report(report);
  std::string out;
  attune::writeKpiJson(report, out);
  return out;
}

KpiEvent event(std::string_view visitor, std::string_view campaign, std::string_view variant,
               KpiEventType type, double value = 0) {
  KpiEvent e;
  e.visitor = visitor;
  e.campaign = campaign;
  e.variant = variant;
  e.holdout = variant.empty();
  e.type = type;
  e.value = value;
  return e;
}

// A deterministic PRNG (splitmix64), so every platform simulates the same experiments.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }

 private:
  uint64_t state_;
};

struct Arm {
  const char* variant;  // "" for the holdout
  double conversionRate;
  double meanOrder;  // a converter spends Exp(meanOrder)
};

// One experiment: `n` visitors per arm, each with an impression, some a click, converters a
// conversion (a fifth of them a second one). Returns the report.
KpiReport simulate(uint64_t seed, uint32_t n, const Arm& treatment, const Arm& holdout,
                   KpiAccumulator& acc) {
  acc.clear();
  Rng rng(seed);
  char id[48];
  for (const Arm* arm : {&holdout, &treatment}) {
    for (uint32_t i = 0; i < n; ++i) {
      std::snprintf(id, sizeof id, "s%llu-%s-%u", static_cast<unsigned long long>(seed),
                    arm->variant, i);
      acc.add(event(id, "sim", arm->variant, KpiEventType::Impression));
      if (rng.uniform() < 0.3) acc.add(event(id, "sim", arm->variant, KpiEventType::Click));
      if (rng.uniform() < arm->conversionRate) {
        // Two orders of Exp(mean / 1.2 each) one time in five keep a converter's mean spend
        // at meanOrder: 0.8 m/1.2 + 0.2 × 2 m/1.2 = m.
        bool twice = rng.uniform() < 0.2;
        double each = arm->meanOrder / 1.2;
        acc.add(event(id, "sim", arm->variant, KpiEventType::Conversion, rng.exponential(each)));
        if (twice) {
          acc.add(event(id, "sim", arm->variant, KpiEventType::Conversion, rng.exponential(each)));
        }
      }
    }
  }
  KpiReport report;
  acc.report(report);
  return report;
}

const attune::KpiVariantRow& rowOf(const KpiReport& r, const char* campaign, const char* variant,
                                   bool holdout = false) {
  for (const auto& c : r.campaigns) {
    if (c.campaign != campaign) continue;
    for (const auto& v : c.variants) {
      if (v.holdout == holdout && (holdout || v.variant == variant)) return v;
    }
  }
  FAIL("no row " << campaign << "/" << variant);
  return r.campaigns.front().variants.front();
}

bool verbose() {
  return std::getenv("ATTUNE_KPI_VERBOSE") != nullptr;
}

}  // namespace

TEST_CASE("kpi: shared vectors", "[kpi][vectors]") {
  Doc cases;
  std::string error;
  REQUIRE(attune_test::loadVectors("kpi.json", cases, error));
  REQUIRE(cases.type(0) == Type::Array);
  size_t n = 0, errors = 0;
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next, ++n) {
    std::string name(cases.str(cases.member(c, "name")));
    std::string answer;
    attune::kpiReportJson(attune_test::json(cases, cases.member(c, "events")), answer);
    INFO(name << ": " << answer);
    Doc got = parsed(answer);
    NodeId expected = cases.member(c, "expected");
    REQUIRE(expected != kNoNode);
    if (cases.member(expected, "error") != kNoNode) {
      ++errors;
      CHECK(got.member(0, "error") != kNoNode);
      CHECK(got.member(0, "campaigns") == kNoNode);
      continue;
    }
    std::string why;
    CHECK(matches(got, 0, cases, expected, "$", 1e-6, why));
    INFO(why);
    CHECK(why.empty());
  }
  CHECK(n >= 25);
  CHECK(errors >= 10);
}

TEST_CASE("kpi: Wilson and Newcombe match Newcombe (1998), method 10", "[kpi][stats]") {
  // Statistics in Medicine 17:873–890, Table II, method 10 (4 decimals).
  struct Case {
    uint64_t k1, n1, k0, n0;
    double low, high;
  } published[] = {
      {56, 70, 48, 80, 0.0524, 0.3339}, {9, 10, 3, 10, 0.1705, 0.8090},
      {6, 7, 2, 7, 0.0582, 0.8062},     {5, 56, 0, 29, -0.0381, 0.1926},
      {0, 10, 0, 20, -0.1611, 0.2775},  {0, 10, 0, 10, -0.2775, 0.2775},
      {10, 10, 0, 20, 0.6791, 1.0000},  {10, 10, 0, 10, 0.6075, 1.0000},
  };
  for (const Case& c : published) {
    stats::Interval d = stats::newcombeDifference(c.k1, c.n1, c.k0, c.n0);
    INFO(c.k1 << "/" << c.n1 << " - " << c.k0 << "/" << c.n0 << ": " << d.low << ", " << d.high);
    CHECK(d.low == Approx(c.low).margin(5e-5));
    CHECK(d.high == Approx(c.high).margin(5e-5));
  }
  // Wilson at the boundaries (mpmath: 0.27753279986…): exact 0 and 1, never outside [0, 1].
  stats::Interval none = stats::wilson(0, 10), all = stats::wilson(10, 10);
  CHECK(none.low == 0);
  CHECK(none.high == Approx(0.2775327998628).margin(1e-12));
  CHECK(all.high == 1);
  CHECK(all.low == Approx(1 - 0.2775327998628).margin(1e-12));
  stats::Interval one = stats::wilson(1, 1);
  CHECK(one.low == Approx(0.2065493143772).margin(1e-12));
  CHECK(one.high == 1);
}

TEST_CASE("kpi: Student t quantiles match mpmath", "[kpi][stats]") {
  // mpmath.findroot on betainc(df/2, 1/2, 0, df/(df+t²))/2 = 0.025, 50 digits.
  struct Case {
    double df, t;
  } table[] = {
      {1, 12.7062047361747},      {2, 4.30265272974946},      {3.7, 2.86752070719119},
      {10, 2.22813885198627},     {1000, 1.96233908082641},   {99999, 1.95998635218208},
      {100001, 1.95998630418052}, {200000, 1.95997584596677}, {1e9, 1.95996398646102},
  };
  for (const Case& c : table) {
    INFO("df " << c.df);
    CHECK(stats::studentTQuantile(0.975, c.df) == Approx(c.t).margin(1e-9));
  }
  CHECK(std::isnan(stats::studentTQuantile(0.975, 0.5)));
  CHECK(std::isnan(stats::studentTQuantile(0.4, 10)));
  CHECK(std::isnan(stats::studentTQuantile(NAN, 10)));
  CHECK(stats::incompleteBeta(0.5, 2, 2) == Approx(0.5).margin(1e-14));
  CHECK(stats::incompleteBeta(0.25, 1, 1) == Approx(0.25).margin(1e-14));
  CHECK(stats::incompleteBeta(0, 3, 4) == 0);
  CHECK(stats::incompleteBeta(1, 3, 4) == 1);
}

TEST_CASE("kpi: refused events name the field and change nothing", "[kpi][bad]") {
  KpiAccumulator acc;
  REQUIRE(acc.add(event("v1", "c", "a", KpiEventType::Impression)) == KpiAddStatus::Added);
  std::string before = reportJson(acc);
  std::string longKey(257, 'k');
  std::string invalidUtf8 = "camp\xC3\x28";
  struct Case {
    KpiEvent e;
    KpiAddStatus status;
    const char* message;
  } bad[] = {
      {event("", "c", "a", KpiEventType::Click), KpiAddStatus::EmptyVisitor, "visitor:"},
      {event("v", "", "a", KpiEventType::Click), KpiAddStatus::EmptyCampaign, "campaign:"},
      {event("v", longKey, "a", KpiEventType::Click), KpiAddStatus::KeyTooLong, "longer"},
      {event(longKey, "c", "a", KpiEventType::Click), KpiAddStatus::KeyTooLong, "longer"},
      {event("v", "c", longKey, KpiEventType::Click), KpiAddStatus::KeyTooLong, "longer"},
      {event("v", invalidUtf8, "a", KpiEventType::Click), KpiAddStatus::InvalidUtf8, "UTF-8"},
      {event("v", "c", "\xFF", KpiEventType::Click), KpiAddStatus::InvalidUtf8, "UTF-8"},
      {event("v", "c", "a", KpiEventType::Conversion, -0.01), KpiAddStatus::BadValue, "value:"},
      {event("v", "c", "a", KpiEventType::Conversion, NAN), KpiAddStatus::BadValue, "value:"},
      {event("v", "c", "a", KpiEventType::Conversion, INFINITY), KpiAddStatus::BadValue, "value:"},
      {event("v", "c", "a", KpiEventType::Click, 2e15), KpiAddStatus::BadValue, "value:"},
  };
  for (const Case& c : bad) {
    CHECK(acc.add(c.e) == c.status);
    CHECK(std::string(attune::kpiAddStatusMessage(c.status)).find(c.message) != std::string::npos);
  }
  KpiEvent variantOnHoldout = event("v", "c", "a", KpiEventType::Click);
  variantOnHoldout.holdout = true;
  CHECK(acc.add(variantOnHoldout) == KpiAddStatus::VariantOnHoldout);
  KpiEvent noVariant = event("v", "c", "", KpiEventType::Click);
  noVariant.holdout = false;
  CHECK(acc.add(noVariant) == KpiAddStatus::MissingVariant);
  CHECK(acc.rejectedEvents() == 13);
  CHECK(acc.acceptedEvents() == 1);
  CHECK(acc.cellCount() == 1);
  // The report differs only in the rejected count.
  std::string after = reportJson(acc);
  CHECK(after.substr(0, after.find("\"rejectedEvents\"")) ==
        before.substr(0, before.find("\"rejectedEvents\"")));
  CHECK(after.find("\"rejectedEvents\":13}") != std::string::npos);
  CHECK(std::string(attune::kpiAddStatusMessage(KpiAddStatus::Added)).empty());
}

TEST_CASE("kpi: the cell limit refuses new cells but keeps counting old ones", "[kpi][bounds]") {
  KpiLimits limits;
  limits.maxCells = 3;
  KpiAccumulator acc(limits);
  CHECK(acc.add(event("v", "c", "a", KpiEventType::Impression)) == KpiAddStatus::Added);
  CHECK(acc.add(event("v", "c", "b", KpiEventType::Impression)) == KpiAddStatus::Added);
  CHECK(acc.add(event("v", "c", "", KpiEventType::Impression)) == KpiAddStatus::Added);
  CHECK(acc.add(event("v", "d", "a", KpiEventType::Impression)) == KpiAddStatus::TooManyCells);
  CHECK(acc.add(event("w", "c", "a", KpiEventType::Click)) == KpiAddStatus::Added);
  CHECK(acc.cellCount() == 3);
  KpiReport r;
  acc.report(r);
  REQUIRE(r.campaigns.size() == 1);
  CHECK(rowOf(r, "c", "a").clicks == 1);
  CHECK(rowOf(r, "c", "a").exposedVisitors == 2);

  KpiLimits none;
  none.maxCells = 0;
  KpiAccumulator empty(none);
  CHECK(empty.add(event("v", "c", "a", KpiEventType::Impression)) == KpiAddStatus::TooManyCells);
  // A variant named like a holdout is still a variant; the holdout is the flag.
  KpiAccumulator named;
  named.add(event("v", "c", "holdout", KpiEventType::Impression));
  named.add(event("w", "c", "", KpiEventType::Impression));
  KpiReport nr;
  named.report(nr);
  REQUIRE(nr.campaigns.at(0).variants.size() == 2);
  CHECK(nr.campaigns[0].variants[0].holdout);
  CHECK(nr.campaigns[0].variants[1].variant == "holdout");
  CHECK(nr.campaigns[0].variants[1].uplift.has_value());
}

TEST_CASE("kpi: JSON input errors name the event and the field", "[kpi][bad]") {
  struct Case {
    const char* input;
    const char* message;
  } bad[] = {
      {"", "events: "},
      {"{}", "events: must be an array"},
      {"[null]", "events[0]: must be an object"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"click"},
           {"visitor":"a","campaign":"c","variant":"v","type":"view"}])",
       "events[1].type: must be impression, click, dismiss or conversion"},
      {R"([{"visitor":"a","campaign":"c","variant":"v"}])", "events[0].type: required"},
      {R"([{"visitor":1,"campaign":"c","variant":"v","type":"click"}])",
       "events[0].visitor: must be a string"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"click","type":"click"}])",
       "events[0].type: repeated property"},
      {R"([{"visitor":"a","campaign":"c","variant":7,"type":"click"}])",
       "events[0].variant: must be a string or null"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"click","value":"1"}])",
       "events[0].value: must be a number"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"click","holdout":1}])",
       "events[0].holdout: must be a boolean"},
      {R"([{"visitor":"a","campaign":"c","variant":null,"type":"click"}])",
       "events[0].variant: required unless the event is a holdout event"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","holdout":true,"type":"click"}])",
       "events[0].variant: must be null for a holdout event"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"conversion","value":-5}])",
       "events[0].value: must be a finite number"},
      {R"([{"visitor":"a","campaign":"c","variant":"v","type":"click","token":"t"}])",
       "events[0].token: unknown property"},
      {"[{\"visitor\":\"a\",\"campaign\":\"c\xC3\x28\",\"variant\":\"v\",\"type\":\"click\"}]",
       "events: "},
  };
  for (const Case& c : bad) {
    std::string out;
    attune::kpiReportJson(c.input, out);
    INFO(c.input << " -> " << out);
    Doc got = parsed(out);
    REQUIRE(got.member(0, "error") != kNoNode);
    CHECK(std::string(got.str(got.member(0, "error"))).find(c.message) == 0);
  }
  // A hostile key: the message names only its start.
  std::string hugeKey(100000, 'x');
  std::string out;
  attune::kpiReportJson("[{\"" + hugeKey + "\":1}]", out);
  Doc got = parsed(out);
  REQUIRE(got.member(0, "error") != kNoNode);
  CHECK(got.str(got.member(0, "error")).size() < 200);
  // Deep nesting and oversized input are refused by the parser limits, not by a crash.
  attune::kpiReportJson(std::string(10000, '[') + std::string(10000, ']'), out);
  CHECK(parsed(out).member(0, "error") != kNoNode);
  attune::kpiReportJson("[" + std::string(9u << 20, ' ') + "]", out);
  CHECK(parsed(out).member(0, "error") != kNoNode);
  attune::kpiReportJson("[]", out);
  CHECK(out == "{\"campaigns\":[],\"acceptedEvents\":0,\"rejectedEvents\":0}");
}

TEST_CASE("kpi: hostile ids come out as valid JSON", "[kpi][bad]") {
  KpiAccumulator acc;
  std::string nul("nul\0byte", 8);
  const char* names[] = {"quote\"and\\backslash", "line\nbreak\ttab\x01", "</script>",
                         "emoji 🎿 ski", "\xE2\x80\xAE rtl override"};
  for (const char* name : names) {
    CHECK(acc.add(event("v", name, name, KpiEventType::Impression)) == KpiAddStatus::Added);
  }
  CHECK(acc.add(event("v", nul, "a", KpiEventType::Impression)) == KpiAddStatus::Added);
  Doc got = parsed(reportJson(acc));
  NodeId campaigns = got.member(0, "campaigns");
  REQUIRE(got.node(campaigns).count == 6);
  std::vector<std::string> seen;
  for (NodeId c = got.node(campaigns).firstChild; c != kNoNode; c = got.node(c).next) {
    seen.emplace_back(got.str(got.member(c, "campaign")));
  }
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::find(seen.begin(), seen.end(), nul) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), "quote\"and\\backslash") != seen.end());
}

TEST_CASE("kpi: edge cases give null, never NaN", "[kpi][edge]") {
  SECTION("zero exposures in hand-built summaries") {
    KpiCellSummary hold, variant;
    hold.campaign = variant.campaign = "c";
    hold.holdout = true;
    variant.variant = "a";
    variant.impressions = 0;
    variant.conversions = 3;  // conversions counted while no visitor was sampled
    variant.revenue = 30;
    KpiReport r;
    attune::buildKpiReport({variant, hold}, 3, 0, r);
    const auto& row = rowOf(r, "c", "a");
    CHECK_FALSE(row.ctr);
    CHECK_FALSE(row.conversionRate);
    CHECK_FALSE(row.revenuePerVisitor);
    REQUIRE(row.uplift);
    CHECK_FALSE(row.uplift->conversionAbsolute);
    CHECK_FALSE(row.uplift->revenueAbsolute);
    std::string out;
    attune::writeKpiJson(r, out);
    CHECK(out.find("nan") == std::string::npos);
    CHECK(out.find("inf") == std::string::npos);
    CHECK(out.find("\"uplift\":{\"conversionRate\":{\"absolute\":null,\"low\":null,"
                   "\"high\":null,\"relative\":null},\"revenuePerVisitor\":{\"absolute\":"
                   "null,\"low\":null,\"high\":null}}") != std::string::npos);
    CHECK(out.find("\"ctr\":null,\"conversionRate\":null,\"revenue\":30,"
                   "\"revenuePerVisitor\":null") != std::string::npos);
  }
  SECTION("non-finite sums in a summary are reported as null") {
    KpiCellSummary hold, variant;
    hold.campaign = variant.campaign = "c";
    hold.holdout = true;
    hold.sampledVisitors = variant.sampledVisitors = 5;
    variant.variant = "a";
    variant.sampledRevenue = INFINITY;
    variant.sampledRevenueM2 = NAN;
    variant.revenue = NAN;
    KpiReport r;
    attune::buildKpiReport({variant, hold}, 0, 0, r);
    std::string out;
    attune::writeKpiJson(r, out);
    CHECK(out.find("nan") == std::string::npos);
    CHECK(out.find("inf") == std::string::npos);
    CHECK_FALSE(rowOf(r, "c", "a").revenuePerVisitor);
    CHECK_FALSE(rowOf(r, "c", "a").uplift->revenueLow);
    CHECK(rowOf(r, "c", "a").uplift->conversionLow);
  }
  SECTION("the largest values stay finite") {
    KpiAccumulator acc;
    for (int i = 0; i < 50; ++i) {
      std::string v = "v" + std::to_string(i), h = "h" + std::to_string(i);
      acc.add(event(v, "c", "a", KpiEventType::Conversion, 1e15));
      acc.add(event(v, "c", "a", KpiEventType::Conversion, 1e15));
      acc.add(event(h, "c", "", KpiEventType::Impression));
      if (i % 2) acc.add(event(h, "c", "", KpiEventType::Conversion, 1e15));
    }
    KpiReport r;
    acc.report(r);
    const auto& row = rowOf(r, "c", "a");
    CHECK(row.revenue == 1e17);
    CHECK(row.conversionRate == 1.0);
    REQUIRE(row.uplift->revenueLow);
    CHECK(*row.uplift->revenueLow < 1.5e15);
    CHECK(*row.uplift->revenueHigh > 1.5e15);
  }
  SECTION("an empty accumulator") {
    KpiAccumulator acc;
    CHECK(reportJson(acc) == "{\"campaigns\":[],\"acceptedEvents\":0,\"rejectedEvents\":0}");
  }
}

TEST_CASE("kpi: 95% intervals cover the true difference about 95% of the time", "[kpi][coverage]") {
  struct Scenario {
    const char* name;
    uint32_t visitorsPerArm;
    Arm treatment, holdout;
  } scenarios[] = {
      {"10% vs 12%, 1,000 visitors per arm", 1000, {"t", 0.12, 55}, {"", 0.10, 50}},
      {"3% vs 5%, 400 visitors per arm", 400, {"t", 0.05, 40}, {"", 0.03, 40}},
  };
  KpiAccumulator acc;
  for (const Scenario& s : scenarios) {
    const int experiments = 1000;
    int conversionCovered = 0, revenueCovered = 0, revenueIntervals = 0;
    double trueConversion = s.treatment.conversionRate - s.holdout.conversionRate;
    double trueRevenue = s.treatment.conversionRate * s.treatment.meanOrder -
                         s.holdout.conversionRate * s.holdout.meanOrder;
    for (int i = 0; i < experiments; ++i) {
      KpiReport r = simulate(1000003ull * (i + 1), s.visitorsPerArm, s.treatment, s.holdout, acc);
      const auto& row = rowOf(r, "sim", "t");
      REQUIRE(row.exposedVisitors == s.visitorsPerArm);
      REQUIRE(row.uplift);
      const auto& u = *row.uplift;
      REQUIRE(u.conversionLow);
      if (*u.conversionLow <= trueConversion && trueConversion <= *u.conversionHigh) {
        ++conversionCovered;
      }
      if (u.revenueLow) {
        ++revenueIntervals;
        if (*u.revenueLow <= trueRevenue && trueRevenue <= *u.revenueHigh) ++revenueCovered;
      }
    }
    double conversionCoverage = double(conversionCovered) / experiments;
    double revenueCoverage = double(revenueCovered) / revenueIntervals;
    if (verbose()) {
      std::printf("coverage [%s]: conversion rate %.3f, revenue per visitor %.3f (%d intervals)\n",
                  s.name, conversionCoverage, revenueCoverage, revenueIntervals);
    }
    INFO(s.name << ": conversion " << conversionCoverage << ", revenue " << revenueCoverage);
    CHECK(revenueIntervals == experiments);
    CHECK(conversionCoverage >= 0.92);
    CHECK(conversionCoverage <= 0.98);
    CHECK(revenueCoverage >= 0.92);
    CHECK(revenueCoverage <= 0.98);
  }
}

TEST_CASE("kpi: a full cell switches to a visitor sample, flagged approximate", "[kpi][bounds]") {
  KpiLimits limits;
  limits.maxSampledVisitorsPerCell = 1000;
  KpiAccumulator acc(limits);
  char id[32];
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(id, sizeof id, "v%d", i);
    acc.add(event(id, "c", "a", KpiEventType::Impression));
    if (i % 4 == 0) acc.add(event(id, "c", "a", KpiEventType::Conversion, 10));
  }
  KpiReport exact;
  acc.report(exact);
  CHECK(rowOf(exact, "c", "a").visitorSampleRate == 1);
  CHECK(rowOf(exact, "c", "a").exposedVisitors == 1000);
  CHECK(rowOf(exact, "c", "a").convertedVisitors == 250);
  CHECK(reportJson(acc).find("\"approximate\":false") != std::string::npos);
  for (int i = 1000; i < 20000; ++i) {
    std::snprintf(id, sizeof id, "v%d", i);
    acc.add(event(id, "c", "a", KpiEventType::Impression));
    if (i % 4 == 0) acc.add(event(id, "c", "a", KpiEventType::Conversion, 10));
  }
  CHECK(acc.sampledVisitors() <= 1000);
  KpiReport sampled;
  acc.report(sampled);
  const auto& row = rowOf(sampled, "c", "a");
  CHECK(row.visitorSampleRate < 1);
  CHECK(row.impressions == 20000);  // event counts stay exact
  CHECK(row.conversions == 5000);
  CHECK(row.revenue == 50000);
  // A sample of 500–1,000 visitors: 4 standard errors.
  CHECK(std::fabs(double(row.exposedVisitors) - 20000) < 4 * 20000 / std::sqrt(500.0));
  CHECK(std::fabs(*row.conversionRate - 0.25) < 4 * std::sqrt(0.25 * 0.75 / 500));
  CHECK(std::fabs(*row.revenuePerVisitor - 2.5) < 4 * 10 * std::sqrt(0.25 * 0.75 / 500));
  CHECK(reportJson(acc).find("\"approximate\":true") != std::string::npos);
  // A visitor outside the sample changes counts only; one inside keeps its revenue exact.
  KpiAccumulator one(limits);
  one.add(event("only", "c", "a", KpiEventType::Conversion, 4));
  one.add(event("only", "c", "a", KpiEventType::Conversion, 6));
  KpiReport r1;
  one.report(r1);
  CHECK(rowOf(r1, "c", "a").convertedVisitors == 1);
  CHECK(rowOf(r1, "c", "a").revenuePerVisitor == 10.0);
}

TEST_CASE("kpi: the global budget bounds many cells", "[kpi][bounds]") {
  KpiLimits limits;
  limits.maxSampledVisitors = 10000;
  limits.maxCells = 200;
  KpiAccumulator acc(limits);
  char id[32], campaign[16];
  size_t peak = 0;
  for (int i = 0; i < 1000000; ++i) {
    std::snprintf(id, sizeof id, "v%d", i / 2);
    std::snprintf(campaign, sizeof campaign, "c%d", (i / 2) % 100);
    acc.add(event(id, campaign, (i / 200) % 2 ? "a" : "", KpiEventType::Impression));
    if (i % 65536 == 0) peak = std::max(peak, acc.memoryBytes());
  }
  peak = std::max(peak, acc.memoryBytes());
  CHECK(acc.cellCount() == 200);
  CHECK(acc.sampledVisitors() <= 10000);
  CHECK(acc.sampledVisitors() >= 2500);
  CHECK(peak <= 64 * 10000 + 200 * 1024);
  KpiReport r;
  acc.report(r);
  uint64_t impressions = 0, exposed = 0;
  for (const auto& c : r.campaigns) {
    for (const auto& v : c.variants) {
      impressions += v.impressions;
      exposed += v.exposedVisitors;
    }
  }
  CHECK(impressions == 1000000);
  CHECK(std::fabs(double(exposed) - 500000) < 0.05 * 500000);

  // Budgets of zero are raised to one visitor, so the accumulator still terminates.
  KpiLimits tiny;
  tiny.maxSampledVisitors = 0;
  tiny.maxSampledVisitorsPerCell = 0;
  KpiAccumulator minimal(tiny);
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(id, sizeof id, "v%d", i);
    REQUIRE(minimal.add(event(id, i % 2 ? "x" : "y", "a", KpiEventType::Impression)) ==
            KpiAddStatus::Added);
  }
  CHECK(minimal.sampledVisitors() <= 1);
  std::string out = reportJson(minimal);
  CHECK(out.find("nan") == std::string::npos);
  CHECK(out.find("\"impressions\":500") != std::string::npos);
}

TEST_CASE("kpi: ten million events stream through in bounded memory", "[kpi][bounds]") {
  KpiAccumulator acc;  // default limits: 100,000 visitors per cell, 1,000,000 in all
  const uint32_t visitors = 2000000;
  char id[24], campaign[8];
  size_t peak = 0;
  uint64_t events = 0, trueConverted[10] = {};
  double trueRevenue[10] = {};
  for (uint32_t v = 0; v < visitors; ++v) {
    std::snprintf(id, sizeof id, "visitor-%u", v);
    uint32_t cell = v % 10;
    std::snprintf(campaign, sizeof campaign, "c%u", cell / 2);
    const char* variant = cell % 2 ? "a" : "";
    bool converts = (v * 2654435761u) % 10 == 0;
    acc.add(event(id, campaign, variant, KpiEventType::Impression));
    acc.add(event(id, campaign, variant, KpiEventType::Impression));
    acc.add(event(id, campaign, variant, v % 3 ? KpiEventType::Dismiss : KpiEventType::Click));
    if (converts) {
      acc.add(event(id, campaign, variant, KpiEventType::Conversion, 1 + v % 100));
      ++trueConverted[cell];
      trueRevenue[cell] += 1 + v % 100;
    } else {
      acc.add(event(id, campaign, variant, KpiEventType::Impression));
    }
    acc.add(event(id, campaign, variant, KpiEventType::Impression));
    events += 5;
    if (v % 50000 == 0) peak = std::max(peak, acc.memoryBytes());
  }
  peak = std::max(peak, acc.memoryBytes());
  if (verbose()) {
    std::printf("10M events: peak %zu bytes, %zu sampled visitors\n", peak, acc.sampledVisitors());
  }
  CHECK(events == 10000000);
  CHECK(acc.acceptedEvents() == events);
  CHECK(acc.sampledVisitors() <= 1000000);
  CHECK(peak <= 64 * 1000000 + 1000 * 1024);
  KpiReport r;
  acc.report(r);
  REQUIRE(r.campaigns.size() == 5);
  for (uint32_t cell = 0; cell < 10; ++cell) {
    std::string c = "c" + std::to_string(cell / 2);
    const auto& row = rowOf(r, c.c_str(), "a", cell % 2 == 0);
    INFO("cell " << cell);
    CHECK(row.visitorSampleRate < 1);
    CHECK(row.revenue == trueRevenue[cell]);  // sums of integers: exact
    double trueRate = double(trueConverted[cell]) / 200000;
    CHECK(std::fabs(double(row.exposedVisitors) - 200000) < 0.03 * 200000);
    CHECK(std::fabs(*row.conversionRate - trueRate) < 0.01);
    CHECK(row.clicks + row.dismissals == 200000);
  }
}

TEST_CASE("kpi: reports are deterministic", "[kpi][determinism]") {
  std::vector<std::string> ids;
  for (int i = 0; i < 400; ++i) ids.push_back("v" + std::to_string(i));
  struct Spec {
    int visitor;
    const char* campaign;
    const char* variant;
    KpiEventType type;
    double value;
  };
  std::vector<Spec> stream;
  Rng rng(7);
  const char* campaigns[] = {"zeta", "alpha", "Mid"};
  const char* variants[] = {"b", "a", ""};
  for (int i = 0; i < 3000; ++i) {
    Spec s{int(rng.next() % 400), campaigns[rng.next() % 3], variants[rng.next() % 3],
           KpiEventType(rng.next() % 4), 0};
    if (s.type == KpiEventType::Conversion) s.value = std::round(rng.exponential(30) * 100) / 100;
    stream.push_back(s);
  }
  auto run = [&](const std::vector<Spec>& events) {
    KpiAccumulator acc;
    for (const Spec& s : events) {
      acc.add(event(ids[s.visitor], s.campaign, s.variant, s.type, s.value));
    }
    return reportJson(acc);
  };
  std::string first = run(stream);
  CHECK(run(stream) == first);
  // Another order of the same events: the same counts, figures equal to rounding.
  std::vector<Spec> reversed(stream.rbegin(), stream.rend());
  std::string other = run(reversed);
  Doc a = parsed(first), b = parsed(other);
  std::string why;
  CHECK(matches(a, 0, b, 0, "$", 1e-9, why));
  INFO(why);
  CHECK(why.empty());
  CHECK(first.find("{\"campaigns\":[{\"campaign\":\"Mid\"") == 0);
  CHECK(first.find("\"campaign\":\"alpha\"") < first.find("\"campaign\":\"zeta\""));
}

TEST_CASE("kpi: events of known visitors allocate nothing", "[kpi][alloc]") {
  if (!attune_test::AllocationCounter::live()) return;
  KpiAccumulator acc;
  for (int i = 0; i < 100; ++i) {
    std::string id = "v" + std::to_string(i);
    acc.add(event(id, "c", i % 2 ? "a" : "", KpiEventType::Impression));
  }
  attune_test::AllocationCounter counter;
  counter.start();
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 100; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "v%d", i);
      acc.add(event(id, "c", i % 2 ? "a" : "", KpiEventType::Click));
      acc.add(event(id, "c", i % 2 ? "a" : "", KpiEventType::Conversion, 1));
    }
  }
  CHECK(counter.stop() == 0);
}

TEST_CASE("kpi: events streamed in batches give the one-shot report; a bad batch says where",
          "[kpi]") {
  std::string events = "[";
  for (int i = 0; i < 600; ++i) {
    if (i) events += ',';
    const char* type = i % 5 == 0 ? "click" : i % 7 == 0 ? "conversion" : "impression";
    events += "{\"visitor\":\"v" + std::to_string(i % 97) + "\",\"campaign\":\"c\",";
    events += i % 4 == 0 ? std::string("\"holdout\":true")
                         : "\"variant\":\"" + std::string(i % 2 ? "a" : "b") + "\"";
    events += ",\"type\":\"" + std::string(type) + "\",\"value\":" + std::to_string(i % 13) + "}";
  }
  events += "]";
  std::string oneShot;
  attune::kpiReportJson(events, oneShot);
  REQUIRE(oneShot.find("\"error\"") == std::string::npos);

  attune::Doc doc, scratch;
  attune::ParseError err;
  REQUIRE(doc.parse(events, err));
  attune::KpiAccumulator acc;
  std::string batch = "[";
  int inBatch = 0;
  std::string error;
  for (attune::NodeId e = doc.node(0).firstChild; e != attune::kNoNode; e = doc.node(e).next) {
    if (inBatch) batch += ',';
    doc.write(e, batch);
    if (++inBatch == 64) {
      REQUIRE(attune::addKpiEventsJson(acc, batch + "]", scratch, error));
      batch = "[";
      inBatch = 0;
    }
  }
  REQUIRE(attune::addKpiEventsJson(acc, batch + "]", scratch, error));
  attune::KpiReport report;
  acc.report(report);
  std::string streamed;
  attune::writeKpiJson(report, streamed);
  CHECK(streamed == oneShot);

  CHECK_FALSE(attune::addKpiEventsJson(
      acc,
      R"([{"visitor":"v","campaign":"c","variant":"a","type":"impression"},{"visitor":"v","campaign":"c","type":"wink"}])",
      scratch, error));
  CHECK(error.rfind("events[1].", 0) == 0);
  CHECK_FALSE(attune::addKpiEventsJson(acc, "{}", scratch, error));
  CHECK(error == "events: must be an array");
  CHECK_FALSE(attune::addKpiEventsJson(acc, "[", scratch, error));
  CHECK(error.rfind("events: ", 0) == 0);
}
