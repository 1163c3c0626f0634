#include "kpi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "utf8.h"

namespace attune {

namespace {

constexpr uint32_t kEmptyCell = 0xFFFFFFFFu;
constexpr uint64_t kConvertedBit = 1;
constexpr uint64_t kOccupiedBit = 2;
constexpr uint64_t kHashBits = ~uint64_t{3};
constexpr uint32_t kMaxLevel = 64;  // sample rate 2^-64: nobody is sampled any more
constexpr size_t kMinSlots = 16;
constexpr double kMaxExactCount = 9007199254740992.0;  // 2^53

// splitmix64's finaliser: FNV-1a alone leaves the high bits, which choose the sample,
// poorly mixed for short ids that differ only in their last characters.
uint64_t mix64(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

uint64_t fnv1a64(uint64_t h, std::string_view s) {
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;

uint64_t visitorHash(std::string_view visitor) {
  return mix64(fnv1a64(kFnvOffset, visitor)) & kHashBits;
}

uint64_t cellHash(std::string_view campaign, std::string_view variant, bool holdout) {
  // 0xFF never occurs in UTF-8, so ("ab", "c") and ("a", "bc") hash apart.
  uint64_t h = fnv1a64(kFnvOffset, campaign);
  h = fnv1a64(h, "\xFF");
  h = fnv1a64(h, variant);
  h = fnv1a64(h, holdout ? "\x01" : "\x00");
  return mix64(h);
}

// A visitor belongs to a sample of level k when the top k bits of its hash are zero.
bool inSample(uint64_t hash, uint32_t level) {
  if (level == 0) return true;
  if (level >= kMaxLevel) return false;
  return (hash >> (64 - level)) == 0;
}

size_t slotCapacityFor(size_t count) {
  size_t cap = kMinSlots;
  while (cap * 3 < count * 4 + 4) cap *= 2;  // load stays at most 3/4
  return cap;
}

std::optional<double> finite(double v) {
  if (std::isfinite(v)) return v;
  return std::nullopt;
}

}  // namespace

const char* kpiAddStatusMessage(KpiAddStatus status) {
  switch (status) {
    case KpiAddStatus::Added:
      return "";
    case KpiAddStatus::EmptyVisitor:
      return "visitor: must be a non-empty string";
    case KpiAddStatus::EmptyCampaign:
      return "campaign: must be a non-empty string";
    case KpiAddStatus::MissingVariant:
      return "variant: required unless the event is a holdout event";
    case KpiAddStatus::VariantOnHoldout:
      return "variant: must be null for a holdout event";
    case KpiAddStatus::KeyTooLong:
      return "visitor, campaign or variant: longer than the key limit";
    case KpiAddStatus::InvalidUtf8:
      return "campaign or variant: invalid UTF-8";
    case KpiAddStatus::BadValue:
      return "value: must be a finite number between 0 and the conversion value limit";
    case KpiAddStatus::TooManyCells:
      return "campaign/variant: the campaign×variant cell limit is reached";
  }
  return "unknown status";
}

bool kpiEventTypeFromName(std::string_view name, KpiEventType& out) {
  static const std::pair<const char*, KpiEventType> kNames[] = {
      {"impression", KpiEventType::Impression},
      {"click", KpiEventType::Click},
      {"dismiss", KpiEventType::Dismiss},
      {"conversion", KpiEventType::Conversion},
  };
  for (const auto& n : kNames) {
    if (name == n.first) {
      out = n.second;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The accumulator

KpiAccumulator::KpiAccumulator(const KpiLimits& limits) : limits_(limits) {
  // A zero budget would leave nowhere to put the first visitor; one slot still samples.
  limits_.maxSampledVisitorsPerCell = std::max<uint32_t>(limits_.maxSampledVisitorsPerCell, 1);
  limits_.maxSampledVisitors = std::max<uint32_t>(limits_.maxSampledVisitors, 1);
  size_t tableSize = 16;
  while (tableSize < size_t{limits_.maxCells} * 2) tableSize *= 2;
  cellTable_.assign(tableSize, kEmptyCell);
}

void KpiAccumulator::clear() {
  cells_.clear();
  std::fill(cellTable_.begin(), cellTable_.end(), kEmptyCell);
  sampledTotal_ = 0;
  accepted_ = 0;
  rejected_ = 0;
}

size_t KpiAccumulator::memoryBytes() const {
  size_t bytes = cellTable_.capacity() * sizeof(uint32_t) + cells_.capacity() * sizeof(Cell);
  for (const Cell& c : cells_) {
    bytes += c.slots.capacity() * sizeof(Slot);
    if (c.campaign.capacity() > 15) bytes += c.campaign.capacity() + 1;
    if (c.variant.capacity() > 15) bytes += c.variant.capacity() + 1;
  }
  return bytes;
}

uint32_t KpiAccumulator::findCell(const KpiEvent& e, uint64_t hash, size_t& tableSlot) const {
  size_t mask = cellTable_.size() - 1;
  for (tableSlot = hash & mask;; tableSlot = (tableSlot + 1) & mask) {
    uint32_t index = cellTable_[tableSlot];
    if (index == kEmptyCell) return kEmptyCell;
    const Cell& c = cells_[index];
    if (c.hash == hash && c.holdout == e.holdout && c.campaign == e.campaign &&
        c.variant == e.variant) {
      return index;
    }
  }
}

uint32_t KpiAccumulator::addCell(const KpiEvent& e, uint64_t hash, size_t tableSlot) {
  Cell cell;
  cell.campaign.assign(e.campaign);
  cell.variant.assign(e.variant);
  cell.holdout = e.holdout;
  cell.hash = hash;
  cells_.push_back(std::move(cell));
  cellTable_[tableSlot] = static_cast<uint32_t>(cells_.size() - 1);
  return cellTable_[tableSlot];
}

KpiAccumulator::Slot* KpiAccumulator::findSlot(Cell& cell, uint64_t visitorHash) {
  if (cell.slots.empty()) return nullptr;
  size_t mask = cell.slots.size() - 1;
  for (size_t i = (visitorHash >> 2) & mask;; i = (i + 1) & mask) {
    Slot& s = cell.slots[i];
    if (!(s.key & kOccupiedBit)) return nullptr;
    if ((s.key & kHashBits) == visitorHash) return &s;
  }
}

KpiAccumulator::Slot* KpiAccumulator::insertSlot(Cell& cell, uint64_t visitorHash) {
  if (cell.slots.size() * 3 < (size_t{cell.count} + 1) * 4) {
    rebuild(cell, cell.level);
  }
  size_t mask = cell.slots.size() - 1;
  size_t i = (visitorHash >> 2) & mask;
  while (cell.slots[i].key & kOccupiedBit) i = (i + 1) & mask;
  cell.slots[i].key = visitorHash | kOccupiedBit;
  cell.slots[i].revenue = 0;
  ++cell.count;
  ++sampledTotal_;
  return &cell.slots[i];
}

// Re-hashes the visitors still sampled at `level` into a table sized for them plus room
// to grow: growing doubles the table, sampling down shrinks it with the sample, so a table
// stays between 3/8 and 3/4 full (at most about 2.7 slots per sampled visitor).
void KpiAccumulator::rebuild(Cell& cell, uint32_t level) {
  size_t kept = 0;
  for (const Slot& s : cell.slots) {
    if ((s.key & kOccupiedBit) && inSample(s.key, level)) ++kept;
  }
  size_t cap = slotCapacityFor(kept + 1);
  if (level == cell.level && cap <= cell.slots.size()) cap = cell.slots.size() * 2;
  std::vector<Slot> next(cap);
  size_t mask = cap - 1;
  for (const Slot& s : cell.slots) {
    if (!(s.key & kOccupiedBit) || !inSample(s.key, level)) continue;
    size_t i = ((s.key & kHashBits) >> 2) & mask;
    while (next[i].key & kOccupiedBit) i = (i + 1) & mask;
    next[i] = s;
  }
  sampledTotal_ -= cell.count - kept;
  cell.count = static_cast<uint32_t>(kept);
  cell.level = level;
  cell.slots.swap(next);
}

void KpiAccumulator::downsample(Cell& cell) {
  if (cell.level < kMaxLevel) rebuild(cell, cell.level + 1);
}

// Before a new visitor enters `cellIndex`: halves that cell's sample while it is full, then
// the largest cell's while all cells together are. False when the new visitor has fallen
// out of its own cell's sample on the way.
bool KpiAccumulator::makeRoomFor(uint32_t cellIndex) {
  while (cells_[cellIndex].count >= limits_.maxSampledVisitorsPerCell) {
    if (cells_[cellIndex].level >= kMaxLevel) return false;
    downsample(cells_[cellIndex]);
  }
  while (sampledTotal_ >= limits_.maxSampledVisitors) {
    size_t largest = 0;
    for (size_t i = 1; i < cells_.size(); ++i) {
      if (cells_[i].count > cells_[largest].count) largest = i;
    }
    downsample(cells_[largest]);
  }
  return true;
}

KpiAddStatus KpiAccumulator::add(const KpiEvent& e) {
  KpiAddStatus status = KpiAddStatus::Added;
  size_t maxKey = limits_.maxKeyBytes;
  if (e.visitor.empty()) {
    status = KpiAddStatus::EmptyVisitor;
  } else if (e.campaign.empty()) {
    status = KpiAddStatus::EmptyCampaign;
  } else if (e.holdout && !e.variant.empty()) {
    status = KpiAddStatus::VariantOnHoldout;
  } else if (!e.holdout && e.variant.empty()) {
    status = KpiAddStatus::MissingVariant;
  } else if (e.visitor.size() > maxKey || e.campaign.size() > maxKey || e.variant.size() > maxKey) {
    status = KpiAddStatus::KeyTooLong;
  } else if (!(e.value >= 0 && e.value <= limits_.maxConversionValue)) {
    status = KpiAddStatus::BadValue;  // also NaN
  }
  uint32_t index = kEmptyCell;
  if (status == KpiAddStatus::Added) {
    uint64_t hash = cellHash(e.campaign, e.variant, e.holdout);
    size_t tableSlot = 0;
    index = findCell(e, hash, tableSlot);
    // Strings are checked once, when their cell is created; later events match it exactly.
    if (index == kEmptyCell) {
      if (!isValidUtf8(e.campaign) || !isValidUtf8(e.variant)) {
        status = KpiAddStatus::InvalidUtf8;
      } else if (cells_.size() >= limits_.maxCells) {
        status = KpiAddStatus::TooManyCells;
      } else {
        index = addCell(e, hash, tableSlot);
      }
    }
  }
  if (status != KpiAddStatus::Added) {
    ++rejected_;
    return status;
  }
  ++accepted_;
  Cell& cell = cells_[index];
  switch (e.type) {
    case KpiEventType::Impression:
      ++cell.impressions;
      break;
    case KpiEventType::Click:
      ++cell.clicks;
      break;
    case KpiEventType::Dismiss:
      ++cell.dismissals;
      break;
    case KpiEventType::Conversion:
      ++cell.conversions;
      cell.revenue += e.value;
      break;
  }
  uint64_t visitor = visitorHash(e.visitor);
  if (!inSample(visitor, cell.level)) return status;
  Slot* slot = findSlot(cell, visitor);
  if (!slot) {
    if (!makeRoomFor(index) || !inSample(visitor, cells_[index].level)) return status;
    slot = insertSlot(cells_[index], visitor);
  }
  if (e.type == KpiEventType::Conversion) {
    slot->key |= kConvertedBit;
    slot->revenue += e.value;
  }
  return status;
}

void KpiAccumulator::summarize(std::vector<KpiCellSummary>& out) const {
  out.clear();
  out.reserve(cells_.size());
  for (const Cell& c : cells_) {
    KpiCellSummary s;
    s.campaign = c.campaign;
    s.variant = c.variant;
    s.holdout = c.holdout;
    s.impressions = c.impressions;
    s.clicks = c.clicks;
    s.dismissals = c.dismissals;
    s.conversions = c.conversions;
    s.revenue = c.revenue;
    s.visitorSampleRate = c.level >= kMaxLevel ? 0 : std::ldexp(1.0, -static_cast<int>(c.level));
    for (const Slot& slot : c.slots) {
      if (!(slot.key & kOccupiedBit)) continue;
      ++s.sampledVisitors;
      if (slot.key & kConvertedBit) ++s.sampledConverted;
      s.sampledRevenue += slot.revenue;
    }
    // Two passes: the squared deviations come out exact where sum-of-squares would cancel.
    if (s.sampledVisitors > 0) {
      double mean = s.sampledRevenue / static_cast<double>(s.sampledVisitors);
      for (const Slot& slot : c.slots) {
        if (!(slot.key & kOccupiedBit)) continue;
        double d = slot.revenue - mean;
        s.sampledRevenueM2 += d * d;
      }
    }
    out.push_back(std::move(s));
  }
}

void KpiAccumulator::report(KpiReport& out) const {
  std::vector<KpiCellSummary> cells;
  summarize(cells);
  buildKpiReport(cells, accepted_, rejected_, out);
}

// ---------------------------------------------------------------------------------------
// Statistics

namespace kpi_stats {

namespace {

// The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a+1)/(a+b+2).
double betaContinuedFraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return h;
}

double normalQuantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

// P(T > t) for t >= 0.
double studentUpperTail(double t, double df) {
  return 0.5 * incompleteBeta(df / (df + t * t), 0.5 * df, 0.5);
}

}  // namespace

double incompleteBeta(double x, double a, double b) {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                          b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * betaContinuedFraction(x, a, b) / a;
  return 1 - front * betaContinuedFraction(1 - x, b, a) / b;
}

double studentTQuantile(double p, double df) {
  if (!(p > 0.5 && p < 1) || !(df >= 1)) return NAN;
  if (df > 1e5) {
    // Cornish–Fisher (Abramowitz & Stegun 26.7.5): past 1e5 degrees of freedom its
    // remainder is below 1e-20, and the continued fraction would need thousands of terms.
    double z = normalQuantile(p), z2 = z * z;
    double g1 = (z2 + 1) * z / 4;
    double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    return z + g1 / df + g2 / (df * df) + g3 / (df * df * df);
  }
  double tail = 1 - p;
  double lo = 0, hi = 2;
  while (studentUpperTail(hi, df) > tail) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    double mid = 0.5 * (lo + hi);
    if (studentUpperTail(mid, df) > tail)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

Interval wilson(uint64_t successes, uint64_t trials) {
  double n = static_cast<double>(trials);
  double p = static_cast<double>(successes) / n;
  double z2 = kZ975 * kZ975;
  double denom = 1 + z2 / n;
  double center = (p + z2 / (2 * n)) / denom;
  double half = kZ975 * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
  Interval w;
  w.low = std::max(0.0, center - half);
  w.high = std::min(1.0, center + half);
  if (successes == 0) w.low = 0;  // exactly: center == half at p = 0
  if (successes == trials) w.high = 1;
  return w;
}

Interval newcombeDifference(uint64_t successes1, uint64_t trials1, uint64_t successes0,
                            uint64_t trials0) {
  double p1 = static_cast<double>(successes1) / static_cast<double>(trials1);
  double p0 = static_cast<double>(successes0) / static_cast<double>(trials0);
  Interval w1 = wilson(successes1, trials1), w0 = wilson(successes0, trials0);
  double d = p1 - p0;
  Interval out;
  out.low = d - std::hypot(p1 - w1.low, w0.high - p0);
  out.high = d + std::hypot(w1.high - p1, p0 - w0.low);
  return out;
}

}  // namespace kpi_stats

// ---------------------------------------------------------------------------------------
// The report

namespace {

uint64_t estimateCount(uint64_t sampled, double rate) {
  if (rate >= 1) return sampled;
  if (!(rate > 0)) return 0;
  return static_cast<uint64_t>(std::min(std::round(sampled / rate), kMaxExactCount));
}

KpiVariantRow rowFrom(const KpiCellSummary& c) {
  KpiVariantRow r;
  r.variant = c.variant;
  r.holdout = c.holdout;
  r.impressions = c.impressions;
  r.clicks = c.clicks;
  r.dismissals = c.dismissals;
  r.conversions = c.conversions;
  r.exposedVisitors = estimateCount(c.sampledVisitors, c.visitorSampleRate);
  r.convertedVisitors = estimateCount(c.sampledConverted, c.visitorSampleRate);
  if (c.impressions > 0) r.ctr = finite(double(c.clicks) / double(c.impressions));
  if (c.sampledVisitors > 0) {
    double n = static_cast<double>(c.sampledVisitors);
    r.conversionRate = finite(double(c.sampledConverted) / n);
    r.revenuePerVisitor = finite(c.sampledRevenue / n);
  }
  r.revenue = c.revenue;  // written as null if a hand-built summary made it non-finite
  r.visitorSampleRate = c.visitorSampleRate;
  return r;
}

KpiUplift upliftOf(const KpiCellSummary& v, const KpiCellSummary& h) {
  KpiUplift u;
  if (v.sampledVisitors == 0 || h.sampledVisitors == 0) return u;
  double n1 = static_cast<double>(v.sampledVisitors), n0 = static_cast<double>(h.sampledVisitors);
  double p1 = double(v.sampledConverted) / n1, p0 = double(h.sampledConverted) / n0;
  u.conversionAbsolute = finite(p1 - p0);
  kpi_stats::Interval ci = kpi_stats::newcombeDifference(v.sampledConverted, v.sampledVisitors,
                                                         h.sampledConverted, h.sampledVisitors);
  u.conversionLow = finite(ci.low);
  u.conversionHigh = finite(ci.high);
  if (p0 > 0) u.conversionRelative = finite((p1 - p0) / p0);

  double m1 = v.sampledRevenue / n1, m0 = h.sampledRevenue / n0;
  u.revenueAbsolute = finite(m1 - m0);
  if (n1 < 2 || n0 < 2) return u;
  double se1 = v.sampledRevenueM2 / (n1 - 1) / n1;  // squared standard errors of the means
  double se0 = h.sampledRevenueM2 / (n0 - 1) / n0;
  double se = std::sqrt(se1 + se0);
  // No spread in either group: Welch's interval is undefined, not zero-width.
  if (!(se > 0) || !std::isfinite(se)) return u;
  double df = (se1 + se0) * (se1 + se0) / (se1 * se1 / (n1 - 1) + se0 * se0 / (n0 - 1));
  df = std::max(1.0, df);  // Welch's df lies between min(n) - 1 and n1 + n0 - 2
  double t = kpi_stats::studentTQuantile(0.975, df);
  if (u.revenueAbsolute) {
    u.revenueLow = finite(*u.revenueAbsolute - t * se);
    u.revenueHigh = finite(*u.revenueAbsolute + t * se);
  }
  return u;
}

// Campaign id, then the holdout row, then variant ids (all by bytes).
bool cellBefore(const KpiCellSummary* a, const KpiCellSummary* b) {
  if (int c = a->campaign.compare(b->campaign)) return c < 0;
  if (a->holdout != b->holdout) return a->holdout;
  return a->variant < b->variant;
}

void writeKey(const char* key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

void writeOptional(const std::optional<double>& v, std::string& out) {
  if (v && std::isfinite(*v))
    writeJsonNumber(*v, out);
  else
    out += "null";
}

void writeCount(uint64_t v, std::string& out) {
  writeJsonNumber(static_cast<double>(v), out);
}

void writeRow(const KpiVariantRow& r, std::string& out) {
  out += "{\"variant\":";
  if (r.holdout)
    out += "null";
  else
    writeJsonString(r.variant, out);
  out += r.holdout ? ",\"holdout\":true," : ",\"holdout\":false,";
  writeKey("impressions", out);
  writeCount(r.impressions, out);
  out += ',';
  writeKey("clicks", out);
  writeCount(r.clicks, out);
  out += ',';
  writeKey("dismissals", out);
  writeCount(r.dismissals, out);
  out += ',';
  writeKey("conversions", out);
  writeCount(r.conversions, out);
  out += ',';
  writeKey("exposedVisitors", out);
  writeCount(r.exposedVisitors, out);
  out += ',';
  writeKey("convertedVisitors", out);
  writeCount(r.convertedVisitors, out);
  out += ',';
  writeKey("ctr", out);
  writeOptional(r.ctr, out);
  out += ',';
  writeKey("conversionRate", out);
  writeOptional(r.conversionRate, out);
  out += ',';
  writeKey("revenue", out);
  writeOptional(r.revenue, out);
  out += ',';
  writeKey("revenuePerVisitor", out);
  writeOptional(r.revenuePerVisitor, out);
  out += ',';
  writeKey("visitorSampleRate", out);
  writeOptional(r.visitorSampleRate, out);
  out += r.visitorSampleRate < 1 ? ",\"approximate\":true," : ",\"approximate\":false,";
  writeKey("uplift", out);
  if (!r.uplift) {
    out += "null}";
    return;
  }
  const KpiUplift& u = *r.uplift;
  out += "{\"conversionRate\":{\"absolute\":";
  writeOptional(u.conversionAbsolute, out);
  out += ",\"low\":";
  writeOptional(u.conversionLow, out);
  out += ",\"high\":";
  writeOptional(u.conversionHigh, out);
  out += ",\"relative\":";
  writeOptional(u.conversionRelative, out);
  out += "},\"revenuePerVisitor\":{\"absolute\":";
  writeOptional(u.revenueAbsolute, out);
  out += ",\"low\":";
  writeOptional(u.revenueLow, out);
  out += ",\"high\":";
  writeOptional(u.revenueHigh, out);
  out += "}}}";
}

}  // namespace

void buildKpiReport(const std::vector<KpiCellSummary>& cells, uint64_t acceptedEvents,
                    uint64_t rejectedEvents, KpiReport& out) {
  out.campaigns.clear();
  out.acceptedEvents = acceptedEvents;
  out.rejectedEvents = rejectedEvents;
  std::vector<const KpiCellSummary*> order;
  order.reserve(cells.size());
  for (const KpiCellSummary& c : cells) order.push_back(&c);
  std::sort(order.begin(), order.end(), cellBefore);
  for (size_t i = 0; i < order.size();) {
    size_t end = i;
    while (end < order.size() && order[end]->campaign == order[i]->campaign) ++end;
    const KpiCellSummary* holdout = order[i]->holdout ? order[i] : nullptr;
    KpiCampaignRow campaign;
    campaign.campaign = order[i]->campaign;
    for (size_t k = i; k < end; ++k) {
      KpiVariantRow row = rowFrom(*order[k]);
      if (holdout && !order[k]->holdout) row.uplift = upliftOf(*order[k], *holdout);
      campaign.variants.push_back(std::move(row));
    }
    out.campaigns.push_back(std::move(campaign));
    i = end;
  }
}

void writeKpiJson(const KpiReport& report, std::string& out) {
  out += "{\"campaigns\":[";
  for (size_t i = 0; i < report.campaigns.size(); ++i) {
    const KpiCampaignRow& c = report.campaigns[i];
    if (i) out += ',';
    out += "{\"campaign\":";
    writeJsonString(c.campaign, out);
    out += ",\"variants\":[";
    for (size_t k = 0; k < c.variants.size(); ++k) {
      if (k) out += ',';
      writeRow(c.variants[k], out);
    }
    out += "]}";
  }
  out += "],\"acceptedEvents\":";
  writeCount(report.acceptedEvents, out);
  out += ",\"rejectedEvents\":";
  writeCount(report.rejectedEvents, out);
  out += '}';
}

// ---------------------------------------------------------------------------------------
// JSON input

bool readKpiEvent(const Doc& doc, NodeId node, KpiEvent& event, std::string& error) {
  event = KpiEvent();
  if (node == kNoNode || doc.type(node) != Type::Object) {
    error = "must be an object";
    return false;
  }
  static const char* const kFields[] = {"visitor", "campaign", "variant",
                                        "holdout", "type",     "value"};
  unsigned seen = 0;
  for (NodeId m = doc.node(node).firstChild; m != kNoNode; m = doc.node(m).next) {
    std::string_view key = doc.key(m);
    unsigned field = 0;
    while (field < 6 && key != kFields[field]) ++field;
    if (field == 6) {
      // A hostile key could be megabytes long: the message names its start only.
      size_t keep = std::min<size_t>(key.size(), 64);
      while (keep < key.size() && keep > 0 && (key[keep] & 0xC0) == 0x80) --keep;
      error.assign(key.substr(0, keep));
      if (keep < key.size()) error += "…";
      error += ": unknown property";
      return false;
    }
    std::string name = kFields[field];
    if (seen & (1u << field)) {
      error = name + ": repeated property";
      return false;
    }
    seen |= 1u << field;
    Type t = doc.type(m);
    switch (field) {
      case 0:
      case 1:
      case 4:
        if (t != Type::String) {
          error = name + ": must be a string";
          return false;
        }
        if (field == 0) event.visitor = doc.str(m);
        if (field == 1) event.campaign = doc.str(m);
        if (field == 4 && !kpiEventTypeFromName(doc.str(m), event.type)) {
          error = "type: must be impression, click, dismiss or conversion";
          return false;
        }
        break;
      case 2:
        if (t != Type::String && t != Type::Null) {
          error = "variant: must be a string or null";
          return false;
        }
        if (t == Type::String) {
          event.variant = doc.str(m);
          if (event.variant.empty()) {
            error = "variant: must not be empty (null marks a holdout event)";
            return false;
          }
        }
        break;
      case 3:
        if (t != Type::Bool) {
          error = "holdout: must be a boolean";
          return false;
        }
        event.holdout = doc.node(m).boolean;
        break;
      case 5:
        if (t != Type::Number) {
          error = "value: must be a number";
          return false;
        }
        event.value = doc.node(m).number;
        break;
    }
  }
  for (unsigned required : {0u, 1u, 4u}) {
    if (!(seen & (1u << required))) {
      error = std::string(kFields[required]) + ": required";
      return false;
    }
  }
  return true;
}

bool addKpiEventsJson(KpiAccumulator& acc, std::string_view eventsJson, Doc& doc,
                      std::string& error) {
  ParseError parseError;
  ParseLimits parseLimits;
  parseLimits.maxDepth = 8;
  parseLimits.maxBytes = 8u << 20;
  parseLimits.maxNodes = 1000000;
  if (!doc.parse(eventsJson, parseError, parseLimits)) {
    error = "events: " + parseError.message + " at offset " + std::to_string(parseError.offset);
    return false;
  }
  if (doc.type(0) != Type::Array) {
    error = "events: must be an array";
    return false;
  }
  uint32_t index = 0;
  for (NodeId e = doc.node(0).firstChild; e != kNoNode; e = doc.node(e).next, ++index) {
    KpiEvent event;
    std::string message;
    if (doc.type(e) != Type::Object) {
      error = "events[" + std::to_string(index) + "]: must be an object";
      return false;
    }
    if (!readKpiEvent(doc, e, event, message)) {
      error = "events[" + std::to_string(index) + "]." + message;
      return false;
    }
    KpiAddStatus status = acc.add(event);
    if (status != KpiAddStatus::Added) {
      error = "events[" + std::to_string(index) + "]." + kpiAddStatusMessage(status);
      return false;
    }
  }
  return true;
}

void kpiReportJson(std::string_view eventsJson, std::string& out, const KpiLimits& limits) {
  out.clear();
  Doc doc;
  std::string error;
  KpiAccumulator acc(limits);
  if (!addKpiEventsJson(acc, eventsJson, doc, error)) {
    out = "{\"error\":";
    writeJsonString(error, out);
    out += '}';
    return;
  }
  KpiReport report;
  acc.report(report);
  writeKpiJson(report, out);
}

}  // namespace attune
