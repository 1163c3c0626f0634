// The visitor's memory (SPEC §3, §4): what track() records and what conditions read from it.
//
// A Profile is plain data: bounded vectors, no pointers, so it serialises into the state
// blob (state_blob.h) and compacts for a cookie. Time is always passed in (`nowMs`); nothing
// here reads a clock. Memory is bounded whatever the event volume: one counter per event
// type (at most kMaxEventTypes) holding at most kMaxDayBuckets day buckets, at most
// kMaxInterests inferred interests, kMaxCartItems cart lines, kMaxCategoryPurchases
// per-category purchase times.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "doc.h"

namespace attune {

constexpr double kMsPerDay = 86400000.0;
constexpr size_t kMaxEventTypes = 48;  // built-in types plus custom ones
constexpr size_t kMaxDayBuckets = 91;  // today and the 90 days before
constexpr size_t kMaxInterests = 64;
constexpr size_t kMaxCartItems = 50;
constexpr size_t kMaxCategoryPurchases = 32;
constexpr size_t kMaxKeyBytes = 64;     // event types, interest keys, categories, skus
constexpr size_t kMaxQueryBytes = 512;  // search queries (only their count is kept)

// Consent purposes (SPEC §7). The consent issue derives them from flags, TCF and GPC; the
// profile only asks the gate.
enum class Purpose : uint8_t { Storage = 0, Personalization, Measurement, Marketing, Sensitive };

struct ConsentGate {
  // Until the consent issue lands: everything but `sensitive` is allowed.
  bool granted[5] = {true, true, true, true, false};
  bool allows(Purpose p) const { return granted[static_cast<uint8_t>(p)]; }
};

// Behaviour settings compiled from the config (defaults in parentheses).
struct ProfileSettings {
  double interestHalfLifeMs = 14 * kMsPerDay;  // interestHalfLife ("14d")
  double sessionTimeoutMs = 30 * 60000.0;      // 30 min of inactivity ends a session
  double cartAbandonAfterMs = 60 * 60000.0;    // cartAbandonAfter ("1h")
  double lapsedReturnAfterDays = 30;           // lapsedReturnAfter ("30d")
  double lifecycleActiveDays = 30;             // lifecycle.activeDays
  double lifecycleLapsedDays = 90;             // lifecycle.lapsedDays (beyond: dormant)
  // RFM thresholds, ascending. Recency: days since last purchase <= recencyDays[0] → 5,
  // <= [1] → 4, <= [2] → 3, <= [3] → 2, else (or never) 1. Frequency (purchases) and
  // monetary (total spend): >= [3] → 5, >= [2] → 4, >= [1] → 3, >= [0] → 2, else 1.
  double rfmRecencyDays[4] = {7, 30, 90, 180};
  double rfmFrequency[4] = {2, 3, 5, 10};
  double rfmMonetary[4] = {50, 200, 500, 1000};
  double viewWeight = 1;                        // interest weight of a categorised page view
  double purchaseWeight = 5;                    // interest weight of a purchased item's category
  std::vector<std::string> sensitiveInterests;  // sorted; dropped without `sensitive`
};

struct DayCount {
  int32_t day = 0;  // UTC day number (floor(ms / kMsPerDay))
  uint32_t count = 0;
};

struct EventCounter {
  std::string type;
  uint64_t lifetime = 0;
  double firstMs = 0;
  double lastMs = 0;
  std::vector<DayCount> days;  // ascending day, at most kMaxDayBuckets, older ones dropped
};

struct InterestScore {
  std::string key;
  double score = 0;  // value at updatedMs; decays with the half-life after it
  double updatedMs = 0;
};

struct CartItem {
  std::string sku;
  uint32_t quantity = 0;
  double price = 0;                     // unit price
  std::vector<std::string> categories;  // at most 8
};

struct CategoryPurchase {
  std::string category;
  double lastMs = 0;
};

struct Profile {
  double firstSeenMs = 0;  // 0: never seen (no event tracked yet)
  double lastSeenMs = 0;   // last activity
  double sessionStartMs = 0;
  double previousVisitMs = 0;  // last activity before the current session (0: none)
  double lapsedReturnMs = 0;   // start of a session that followed >= lapsedReturnAfterDays away
  uint32_t sessions = 0;
  uint32_t purchases = 0;
  double totalSpend = 0;
  double lastPurchaseMs = 0;
  std::vector<EventCounter> counters;
  std::vector<InterestScore> interests;  // inferred only; declared interests come from traits
  std::vector<CartItem> cart;
  double cartUpdatedMs = 0;
  std::vector<CategoryPurchase> categoryPurchases;

  bool empty() const { return firstSeenMs == 0; }
};

// Records one event. `props` is an object node of `doc` (or kNoNode for none). On bad input
// returns false with a message naming the field ("purchase.amount: must be a non-negative
// number") and leaves the profile exactly as it was.
bool trackEvent(Profile& profile, const ProfileSettings& settings, const ConsentGate& consent,
                std::string_view type, const Doc& doc, NodeId props, double nowMs,
                std::string& error);

// Writes what conditions and templates read from the profile into `root` of `ctx`:
// interests {key: score now}, topInterests, declaredInterests (from `declared`, an array
// node of ctx or kNoNode; sensitive ones dropped without consent), behavior, cart, rfm,
// lifecycle. No allocation once ctx is warm.
void writeProfileContext(const Profile& profile, const ProfileSettings& settings,
                         const ConsentGate& consent, double nowMs, NodeId declared, Doc& ctx,
                         NodeId root);

// Built-in derived events and any tracked type, as campaign triggers see them.
struct TriggerSpec {
  std::string_view event;  // welcome, cart_abandoned, birthday, lapsed_return, purchase, or a type
  std::string_view category;  // purchase only: the category bought (empty: any)
};

// The instant the trigger's event happened (ms), or 0 when it has not. `birthday` is the
// trait (context path traits.birthday, "MM-DD" or "YYYY-MM-DD") at local midnight in the
// visitor's offset, this year or last. A visitor with no profile yet is on their first
// visit now (welcome = now).
double triggerEventMs(const Profile& profile, const ProfileSettings& settings,
                      const TriggerSpec& trigger, double nowMs, int utcOffsetMinutes,
                      const Doc& ctx, NodeId root);

}  // namespace attune
