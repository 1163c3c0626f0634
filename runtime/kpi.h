// KPIs per campaign and variant from measurement events (SPEC §8, issue 6): counts, rates,
// revenue per visitor, and uplift against the campaign's holdout with 95% confidence
// intervals. docs/KPI.md gives every definition and formula.
//
// Events stream through a KpiAccumulator in bounded memory: at most `maxCells`
// campaign×variant cells, and a bounded per-visitor table per cell. Event counts and
// revenue are always exact. Visitor-level figures (exposed and converted visitors, rates,
// revenue per visitor and their intervals) are exact until a cell's table fills; then the
// cell keeps a uniform sample of its visitors chosen by visitor-id hash (rate 1/2, 1/4, …)
// and those figures are estimated from the sample, which keeps the intervals valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doc.h"

namespace attune {

enum class KpiEventType : uint8_t { Impression, Click, Dismiss, Conversion };

// One measurement event. The views must stay valid for the duration of add() only.
struct KpiEvent {
  std::string_view visitor;   // the visitor id: de-duplicates visitor-level figures
  std::string_view campaign;  // non-empty UTF-8
  std::string_view variant;   // non-empty UTF-8 for a variant; empty for a holdout event
  bool holdout = false;       // the visitor was held out (kept as control) of `campaign`
  KpiEventType type = KpiEventType::Impression;
  double value = 0;  // revenue of a conversion, >= 0; validated on every type, used by conversions
};

struct KpiLimits {
  uint32_t maxCells = 1000;                     // campaign×variant cells (holdout rows count)
  uint32_t maxSampledVisitorsPerCell = 100000;  // exact below this, sampled above
  uint32_t maxSampledVisitors = 1000000;        // over all cells together
  uint32_t maxKeyBytes = 256;                   // visitor, campaign and variant ids
  double maxConversionValue = 1e15;
};

enum class KpiAddStatus : uint8_t {
  Added,
  EmptyVisitor,
  EmptyCampaign,
  MissingVariant,    // not a holdout event, but no variant
  VariantOnHoldout,  // a holdout event naming a variant
  KeyTooLong,
  InvalidUtf8,  // campaign or variant
  BadValue,     // NaN, infinite, negative or above maxConversionValue
  TooManyCells,
};

// "variant: required unless the event is a holdout event" and so on; "" for Added.
const char* kpiAddStatusMessage(KpiAddStatus status);

bool kpiEventTypeFromName(std::string_view name, KpiEventType& out);

// What one cell holds when the stream ends; the input of buildKpiReport. Visitor-level
// fields describe the visitor sample (every visitor while visitorSampleRate is 1).
struct KpiCellSummary {
  std::string campaign;
  std::string variant;  // empty for the holdout row
  bool holdout = false;
  uint64_t impressions = 0;
  uint64_t clicks = 0;
  uint64_t dismissals = 0;
  uint64_t conversions = 0;
  double revenue = 0;            // every conversion's value, sampled visitor or not
  double visitorSampleRate = 1;  // 1, or 2^-k once the cell's visitor table filled up
  uint64_t sampledVisitors = 0;  // visitors with any event in this cell (in the sample)
  uint64_t sampledConverted = 0;
  double sampledRevenue = 0;    // sum over sampled visitors of their revenue
  double sampledRevenueM2 = 0;  // sum of squared deviations of per-visitor revenue from the mean
};

struct KpiUplift {
  // Conversion rate, variant minus holdout: Newcombe's hybrid score interval (Wilson).
  std::optional<double> conversionAbsolute, conversionLow, conversionHigh;
  std::optional<double> conversionRelative;  // absolute / holdout rate; null when that is 0
  // Revenue per visitor, variant minus holdout: Welch's t interval.
  std::optional<double> revenueAbsolute, revenueLow, revenueHigh;
};

struct KpiVariantRow {
  std::string variant;  // empty for the holdout row
  bool holdout = false;
  uint64_t impressions = 0, clicks = 0, dismissals = 0, conversions = 0;
  uint64_t exposedVisitors = 0;          // estimated when visitorSampleRate < 1
  uint64_t convertedVisitors = 0;        // estimated when visitorSampleRate < 1
  std::optional<double> ctr;             // clicks / impressions
  std::optional<double> conversionRate;  // converted / exposed visitors
  double revenue = 0;
  std::optional<double> revenuePerVisitor;  // revenue / exposed visitors
  double visitorSampleRate = 1;
  std::optional<KpiUplift> uplift;  // variants of a campaign with a holdout row only
};

struct KpiCampaignRow {
  std::string campaign;
  std::vector<KpiVariantRow> variants;  // the holdout row first, then variants by id bytes
};

struct KpiReport {
  std::vector<KpiCampaignRow> campaigns;  // by campaign id bytes
  uint64_t acceptedEvents = 0;
  uint64_t rejectedEvents = 0;
};

class KpiAccumulator {
 public:
  explicit KpiAccumulator(const KpiLimits& limits = {});

  // Validates and counts one event; anything but Added leaves the figures unchanged.
  KpiAddStatus add(const KpiEvent& event);

  void summarize(std::vector<KpiCellSummary>& out) const;  // cells in creation order
  void report(KpiReport& out) const;
  void clear();

  uint64_t acceptedEvents() const { return accepted_; }
  uint64_t rejectedEvents() const { return rejected_; }
  size_t cellCount() const { return cells_.size(); }
  size_t sampledVisitors() const { return sampledTotal_; }
  // Heap bytes held now; stays below 64 × maxSampledVisitors + maxCells × 1 KB.
  size_t memoryBytes() const;

 private:
  struct Slot {
    uint64_t key = 0;  // visitor hash; bit 0: converted; bit 1: occupied
    double revenue = 0;
  };
  struct Cell {
    std::string campaign;
    std::string variant;
    bool holdout = false;
    uint64_t hash = 0;
    uint64_t impressions = 0, clicks = 0, dismissals = 0, conversions = 0;
    double revenue = 0;
    uint32_t level = 0;  // visitors sampled with probability 2^-level
    uint32_t count = 0;  // occupied slots
    std::vector<Slot> slots;
  };

  uint32_t findCell(const KpiEvent& event, uint64_t hash, size_t& tableSlot) const;
  uint32_t addCell(const KpiEvent& event, uint64_t hash, size_t tableSlot);
  Slot* findSlot(Cell& cell, uint64_t visitorHash);
  Slot* insertSlot(Cell& cell, uint64_t visitorHash);
  void rebuild(Cell& cell, uint32_t level);
  void downsample(Cell& cell);
  bool makeRoomFor(uint32_t cellIndex);

  KpiLimits limits_;
  std::vector<Cell> cells_;
  std::vector<uint32_t> cellTable_;  // open addressing over cells_ by hash; ~0u: empty
  size_t sampledTotal_ = 0;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
};

// Figures and uplifts from cell summaries (any order; output order is deterministic).
void buildKpiReport(const std::vector<KpiCellSummary>& cells, uint64_t acceptedEvents,
                    uint64_t rejectedEvents, KpiReport& out);

// {"campaigns": [{"campaign", "variants": [{"variant" (null for the holdout row), "holdout",
//  "impressions", "clicks", "dismissals", "conversions", "exposedVisitors",
//  "convertedVisitors", "ctr", "conversionRate", "revenue", "revenuePerVisitor",
//  "visitorSampleRate", "approximate", "uplift": {"conversionRate": {"absolute", "low",
//  "high", "relative"}, "revenuePerVisitor": {"absolute", "low", "high"}} | null}]}],
//  "acceptedEvents", "rejectedEvents"}. Undefined figures are null, never NaN.
void writeKpiJson(const KpiReport& report, std::string& out);

// Reads one event object {"visitor", "campaign", "variant"?: string | null, "holdout"?:
// bool, "type": "impression" | "click" | "dismiss" | "conversion", "value"?: number}. The
// views point into `doc`. False with a message naming the field on anything else.
bool readKpiEvent(const Doc& doc, NodeId node, KpiEvent& event, std::string& error);

// Adds a JSON array of events to `acc` (streaming hosts: a batch per call, e.g. the demo's
// traffic simulation), parsing into `scratch`. Events before a malformed or refused one are
// kept; false with "events[3].type: …" at the first problem.
bool addKpiEventsJson(KpiAccumulator& acc, std::string_view eventsJson, Doc& scratch,
                      std::string& error);

// One shot for hosts and vectors: a JSON array of events in, the report JSON out, or
// {"error": "events[3].type: …"} when any event is malformed or refused.
void kpiReportJson(std::string_view eventsJson, std::string& out, const KpiLimits& limits = {});

namespace kpi_stats {

constexpr double kZ975 = 1.959963984540054;  // the standard normal's 0.975 quantile

struct Interval {
  double low = 0, high = 0;
};

// Wilson score interval for `successes` out of `trials` (> 0) at 95%.
Interval wilson(uint64_t successes, uint64_t trials);
// Newcombe's hybrid score interval (his method 10) for p1 - p0; trials both > 0.
Interval newcombeDifference(uint64_t successes1, uint64_t trials1, uint64_t successes0,
                            uint64_t trials0);
// The p quantile (0.5 < p < 1) of Student's t with df >= 1 degrees of freedom (real).
double studentTQuantile(double p, double df);
// Regularised incomplete beta I_x(a, b).
double incompleteBeta(double x, double a, double b);

}  // namespace kpi_stats

}  // namespace attune
