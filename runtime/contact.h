// Contact rules (SPEC §6): frequency caps, fatigue, cooldown after a dismissal and quiet
// hours, over a visitor's bounded contact history; and the decision tokens through which
// hosts report impressions, clicks, dismissals and conversions exactly once.
//
// Pure data and functions: no clock (time is passed in), no config parsing (the compiler
// fills ContactRules), no JSON. contactAllowed() runs on the decision path and never
// allocates; recording and encoding may.
//
// Semantics:
// - Caps at every scope apply at once; a candidate is blocked by the first full cap in the
//   order global → channel → placement → campaign (config order within a scope), then
//   fatigue, cooldown, quiet hours. That order only decides which reason is reported.
// - Windows. Rolling: contacts in (now − duration, now]; one exactly `duration` old no
//   longer counts. `day`: since local midnight in the visitor's UTC offset. `week`: since
//   local Monday 00:00 (ISO 8601 weeks). `session`: since the session started; a session
//   ends after sessionTimeoutMs (30 min) without any contact (impression, click or
//   dismissal) — a gap of exactly the timeout still continues it, as for the profile — so
//   after such a gap the count is 0 until the next contact starts a new session.
//   `lifetime`: lifetime counters, exact however few timestamps are kept. Contacts stamped
//   later than `now` (another device's clock, a tab replaying its queue) count in every
//   window: a cap errs on the side of showing less.
// - Multipliers: the caller passes the largest capMultiplier among the visitor's segments
//   (1 when none); every cap's max becomes max(max, floor(max × multiplier)), so a
//   multiplier never tightens a cap. Fatigue, cooldown and quiet hours are not multiplied.
// - Fatigue {N, suppress}: the impressions since the campaign's last click run in rounds of
//   N; the N-th of a round suppresses the campaign until `suppress` after it, then a new
//   round starts. A click ends the streak (and lifts a running suppression).
// - Cooldown: a dismissed campaign stays hidden until cooldownAfterDismiss after its
//   latest dismissal.
// - Quiet hours per channel, local time, [from, to); from > to crosses midnight.
// - Timestamps are kept only as far as the rules need them (keepPerCampaign): a windowed
//   cap added by a later config counts the contacts recorded from then on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attune {

constexpr size_t kMaxContactCampaigns = 256;   // campaigns one history remembers (LRU)
constexpr size_t kMaxKeptContacts = 128;       // timestamps per campaign and kind, at most
constexpr size_t kMaxUsedTokens = 512;         // token nonces remembered against replays
constexpr size_t kUsedTokenEvictBatch = 64;    // evicted at once when the list is full
constexpr double kMaxContactTimeMs = 8.64e15;  // JavaScript's largest Date
constexpr double kDefaultContactSessionMs = 30 * 60000.0;
constexpr size_t kContactWhyCapacity = 320;  // every reason whole, with 128-byte names
constexpr uint32_t kNoFamily = 0xFFFFFFFFu;  // a cap in no family (see ContactRules)

enum class CapScope : uint8_t { Global, Channel, Placement, Campaign };
enum class CapCount : uint8_t { Impression, Click };
enum class CapPeriod : uint8_t { Rolling, Day, Week, Session, Lifetime };
enum class ContactKind : uint8_t { Impression, Click, Dismiss, Conversion };

struct CapRule {
  CapScope scope = CapScope::Global;
  uint32_t target = 0;  // channel, placement or campaign index; ignored for Global
  uint32_t max = 1;
  CapCount count = CapCount::Impression;
  CapPeriod period = CapPeriod::Day;
  double rollingMs = 0;  // Rolling only
};

// What the rules know of one campaign (config order).
struct CampaignContactRules {
  uint32_t key = 0;  // contactKey(campaign id): how histories name it across config edits
  uint32_t placement = 0;
  uint32_t channel = 0xFFFFFFFFu;   // index into channelNames; 0xFFFFFFFF: none
  uint32_t fatigueImpressions = 0;  // 0: no fatigue rule
  double fatigueSuppressMs = 0;
  double cooldownAfterDismissMs = 0;  // 0: none
};

struct QuietHours {
  int32_t fromMinute = -1;  // local minute of day 0–1439; -1: none
  int32_t toMinute = -1;    // exclusive, 1–1440; < fromMinute crosses midnight
  bool active() const { return fromMinute >= 0 && toMinute >= 0 && fromMinute != toMinute; }
};

struct ContactRules {
  std::vector<CapRule> caps;  // finishContactRules orders them by scope (stable)
  std::vector<CampaignContactRules> campaigns;
  std::vector<std::string> channelNames;  // for reasons
  std::vector<QuietHours> quietHours;     // per channel (shorter: none for the rest)
  std::vector<std::string> placementNames;
  double sessionTimeoutMs = kDefaultContactSessionMs;
  // Set by finishContactRules:
  size_t keepPerCampaign = 0;   // timestamps each history keeps per campaign and kind
  std::vector<uint32_t> byKey;  // campaign indexes by ascending key
  // Campaign index by key, a hash table (open addressing, at most half full, empty slots
  // 0xFFFFFFFF): resolving a history's entries costs a probe or two each, not a search.
  std::vector<uint32_t> keySlots;
  uint32_t keyMask = 0;  // keySlots.size() − 1
  // The caps that apply to campaign i: capsOf[capsOfStart[i] .. capsOfStart[i + 1]), in
  // check order. A decision reads a handful, however many campaigns have their own caps.
  std::vector<uint32_t> capsOf;
  std::vector<uint32_t> capsOfStart;
  // Per campaign: how many of its caps are shared (global, channel, placement: they come
  // first, as in `caps`), and the smallest max among its own impression caps (UINT32_MAX:
  // none). A page skips every shared cap at once while even the fullest has more room than
  // the page can add, and a campaign's own caps while it has no history.
  std::vector<uint32_t> sharedCapCount;
  std::vector<uint32_t> ownImpressionCapMin;
  uint32_t sharedCaps = 0;  // caps[0 .. sharedCaps) are the shared ones
  // Channel and placement caps with the same scope, window and count form a family: one pass
  // over a history counts them all (per target). familyOf[cap] (kNoFamily for others);
  // familyCaps[familyStart[f] .. familyStart[f + 1]) lists family f.
  std::vector<uint32_t> familyOf;
  std::vector<uint32_t> familyCaps;
  std::vector<uint32_t> familyStart;
  bool any = false;  // some rule exists (else contactAllowed is one test)
};

// What a check needs of the instant, computed once per instant rather than per cap: the starts
// of the local day and ISO week, whether the session is still running, the local minute.
struct ContactInstant {
  double dayFrom = 0;
  double weekFrom = 0;
  double sessionFrom = 0;
  bool sessionEnded = true;
  int minuteOfDay = 0;  // 0–1439
};

// What the checks of one page decision share: one history, one instant. Shared caps (global,
// channel, placement) do not depend on the candidate, so each is counted once; the history's
// entries are resolved to campaigns once (both ways). Owned by the caller (a Decider) and
// filled by contactAllowed. Valid while the history, the time and the offset stay the same
// (a fingerprint of them is checked on every call); invalidate() when in doubt.
struct ContactMemo {
  void prepare(const ContactRules& rules);  // sizes everything (allocates)
  void invalidate();                        // the next check refreshes everything
  bool sizedFor(const ContactRules& rules) const;

  std::vector<uint32_t> generation;  // per cap: count[cap] holds when == current
  std::vector<uint64_t> count;       // per cap
  // Per campaign: current << 32 | its history entry, when it has one at this instant.
  std::vector<uint64_t> entryOf;
  std::vector<uint32_t> entryCampaign;  // per history entry: its campaign index (a prefix)
  std::vector<uint64_t> perTarget;      // scratch: one family's counts by channel/placement
  // Timestamps the history keeps, [2t] impressions and [2t + 1] clicks, for target t: every
  // channel, then every placement (from keptChannels on), then all. No windowed cap counts
  // more than its scope keeps, so a cap that far from full needs no counting at all.
  std::vector<uint64_t> kept;
  uint32_t keptChannels = 0;
  // How far the fullest shared cap is from full at most: its limit less what the history can
  // hold under it (the scope's kept timestamps for windowed caps, the count for lifetime ones).
  uint64_t sharedRoom = 0;
  bool planned = false;                // the rules carry the tables the shortcuts need
  std::vector<uint32_t> quietChannel;  // per channel: 1 in its quiet hours at this instant
  uint32_t current = 1;
  ContactInstant instant;
  // What the memo was filled for.
  const void* history = nullptr;
  const void* entries = nullptr;
  const void* entriesEnd = nullptr;
  // The rules' tables it was sized for (their bounds: cheaper to compare than sizes).
  const void* rulesCampaigns[2] = {nullptr, nullptr};
  const void* rulesCaps[2] = {nullptr, nullptr};
  const void* rulesChannels[2] = {nullptr, nullptr};
  const void* rulesPlacements[2] = {nullptr, nullptr};
  double nowMs = 0;
  int utcOffsetMinutes = 0;
  double multiplier = 1;
  uint64_t totalImpressions = 0, totalClicks = 0;
  double lastContactMs = 0, sessionStartMs = 0;
};

// Checks the rules (targets in range, max ≥ 1, rolling durations 1s–3650d, fatigue, quiet
// hours, distinct campaign keys), orders the caps and sets keepPerCampaign from the largest
// multiplier any segment can bring. Windowed caps and fatigue need their (multiplied) max
// kept per campaign, at most kMaxKeptContacts: a rule needing more is an error naming it
// ("caps[2]: max 100 with multiplier up to 200 needs more than 128 kept contacts per
// campaign; use a lower max or a lifetime cap"). Indexes in errors are those given.
bool finishContactRules(ContactRules& rules, double largestMultiplier, std::string& error);

// A campaign's key in contact histories: 32-bit FNV-1a of its id's bytes. Stable across
// config edits that keep the id; finishContactRules refuses two campaigns with one key.
uint32_t contactKey(std::string_view campaignId);

struct CampaignContacts {
  uint32_t key = 0;
  uint64_t lifetimeImpressions = 0;
  uint64_t lifetimeClicks = 0;
  uint64_t impressionsSinceClick = 0;  // the fatigue streak
  double lastMs = 0;                   // latest contact of any kind (LRU eviction)
  double lastDismissMs = 0;            // 0: never dismissed
  std::vector<double> impressions;     // most recent keepPerCampaign, ascending, whole ms
  std::vector<double> clicks;          // likewise
};

struct UsedToken {
  uint64_t nonce = 0;
  uint8_t kinds = 0;  // bit ContactKind: each kind of report counts once per token
};

// One visitor's contacts. Bounded: kMaxContactCampaigns campaigns (the least recently
// contacted is forgotten first), keepPerCampaign timestamps per campaign and kind,
// kMaxUsedTokens nonces. Every token at or below tokenFloor counts as used, so replay
// protection stays exact while the list is bounded.
struct ContactHistory {
  std::vector<CampaignContacts> campaigns;  // ascending key
  uint64_t totalImpressions = 0;            // every campaign's, forgotten ones included
  uint64_t totalClicks = 0;
  double sessionStartMs = 0;  // 0: no contact yet
  double lastContactMs = 0;
  std::vector<UsedToken> usedTokens;  // ascending nonce, all above tokenFloor
  uint64_t tokenFloor = 0;

  bool empty() const { return lastContactMs == 0 && usedTokens.empty() && tokenFloor == 0; }
  void clear();
};

struct ContactCheck {
  double nowMs = 0;
  int utcOffsetMinutes = 0;
  double multiplier = 1;  // largest capMultiplier among the visitor's segments; 1: none
  // Campaigns already chosen for other placements of the same page decision, not yet in the
  // history: each counts as one impression now toward the impression caps it falls under, so
  // one page never shows more than a cap allows.
  const uint32_t* pending = nullptr;
  size_t pendingCount = 0;
  ContactMemo* memo = nullptr;  // optional; sized by memo->prepare(rules)
};

// True when campaign index `campaign` may be shown now. Otherwise writes the reason into
// `why` (always NUL-terminated when whyCapacity > 0; cut at a UTF-8 boundary if too long):
//   cap:global day 5/5               cap:channel popup 12h 3/3
//   cap:placement hero week 2/2      cap:campaign session 1/1
//   cap:campaign lifetime clicks 1/1 fatigue 3/3
//   cooldown until 2026-11-27T10:00:00Z (UTC; ".500" when there are milliseconds)
//   quiet_hours 22:00–08:00          (an en dash)
// Rolling windows print in the largest whole unit (d, h, m, s; "7d", "90m"); click caps add
// "clicks"; the count is what the history holds (above max when contacts arrived
// concurrently), the max is after the multiplier. A campaign index out of range, or a time
// that is not finite, is refused with "contact: unknown campaign" / "contact: invalid
// time". Never allocates.
bool contactAllowed(const ContactHistory& history, const ContactRules& rules, uint32_t campaign,
                    const ContactCheck& check, char* why, size_t whyCapacity);

enum class RecordOutcome : uint8_t {
  Recorded,
  Replayed,         // this token already reported this kind: nothing changed
  Stale,            // older than the replay window (tokenFloor): nothing changed
  InvalidTime,      // not finite, or outside [1, kMaxContactTimeMs] once floored
  UnknownCampaign,  // index out of range
};
const char* recordOutcomeName(RecordOutcome outcome);

// What to do with a token at or below tokenFloor. Refuse for reports from hosts; Count when
// a tab re-applies its own queued, already accepted reports onto another tab's state (the
// other tab's traffic may have pushed the floor past them).
enum class StaleTokens : uint8_t { Refuse, Count };

// Records one report on campaign index `campaign` at `nowMs` (floored to whole ms).
// `tokenNonce` 0: no token (an untokenised report, or decide-time counting without one);
// otherwise the (nonce, kind) pair is remembered and a repeat is Replayed. Conversions only
// consume their token (so a replayed conversion can be refused); impressions and clicks
// count; a click ends the fatigue streak; a dismissal starts the cooldown. Every kind but
// conversion is a contact for sessions. Out-of-order times are fine (a tab replaying its
// queue): timestamps stay sorted and the most recent ones are kept. On anything but
// Recorded the history is unchanged.
RecordOutcome recordContact(ContactHistory& history, const ContactRules& rules, uint32_t campaign,
                            ContactKind kind, uint64_t tokenNonce, double nowMs,
                            StaleTokens stale = StaleTokens::Refuse);

// What recordContact would answer for the token alone, changing nothing: Replayed, Stale, or
// Recorded (also for nonce 0). Lets a host check a report before anything else changes.
RecordOutcome tokenOutcome(const ContactHistory& history, uint64_t tokenNonce, ContactKind kind,
                           StaleTokens stale = StaleTokens::Refuse);
// Marks (nonce, kind) used without counting a contact: reports that must be single-use but
// are not contacts (a holdout decision showed the placement's default, not the campaign).
RecordOutcome consumeToken(ContactHistory& history, uint64_t tokenNonce, ContactKind kind,
                           StaleTokens stale = StaleTokens::Refuse);

// Drops what no rule can read any more, for cookie-sized state: timestamps at or before the
// longest window (rolling durations, 1 day, 7 days, fatigue's suppression; the live
// session's start), campaigns that hold nothing a rule reads (unknown to the config, or
// without timestamps, a lifetime cap on their campaign/channel/placement, a running cooldown
// or a fatigue streak), and used tokens beyond maxTokens (raising tokenFloor, so replays of
// them stay refused). Totals stay exact, and every check at `nowMs` or later, in any
// offset, decides exactly as it would have without pruning.
void pruneContacts(ContactHistory& history, const ContactRules& rules, double nowMs,
                   size_t maxTokens);

// Compact bytes for the state blob (layout in contact.cpp: varints, sorted deltas).
// Deterministic and canonical: decoding accepts only what encoding writes. decodeContacts
// checks every bound and invariant above; on failure `out` is empty and `error` names the
// problem ("contacts: campaign 3: clicks: more timestamps than kept").
void encodeContacts(const ContactHistory& history, std::string& out);
bool decodeContacts(std::string_view bytes, ContactHistory& out, std::string& error);

// ---- Decision tokens ---------------------------------------------------------------------
//
// Text: "t2.<campaign>.<variant>.<nonce>.<check>" — campaign and variant indexes in decimal
// below 4294967295 (variant "h" for a holdout decision; 4294967295 itself is refused as
// malformed, being the holdout marker), the nonce in lowercase hex without leading zeros,
// the check as 16 lowercase hex digits. The check is SipHash-2-4, keyed with the engine's
// secret, over a domain tag, the visitor id, the campaign id, the variant id ("" for
// holdout) and the nonce, each length-prefixed: a token edited, issued to another visitor,
// or naming a campaign that another config put at that index, fails it. The indexes are
// only for lookup; the ids are what the check binds.
//
// Nonce: whole ms of the decision << 20 | 20 bits of host entropy (a per-tab counter from a
// random start), so two tabs deciding in the same millisecond do not collide and nonces grow
// with time, which is what makes the replay floor work.

constexpr uint32_t kHoldoutVariant = 0xFFFFFFFFu;
constexpr size_t kMaxTokenBytes = 64;

struct TokenSecret {
  uint64_t k0 = 0x6174747576655f74ull;  // the built-in key: tamper-evident, not secret
  uint64_t k1 = 0x6f6b656e5f763200ull;
};

// SipHash-2-4 (Aumasson & Bernstein) of `bytes` under the key (k0, k1).
uint64_t sipHash24(uint64_t k0, uint64_t k1, std::string_view bytes);

// A host secret of any length (an edge worker's environment variable) → a key.
TokenSecret deriveTokenSecret(std::string_view secretText);

struct DecisionToken {
  uint32_t campaign = 0;
  uint32_t variant = 0;  // kHoldoutVariant for a holdout decision
  uint64_t nonce = 0;
  uint64_t check = 0;
};

uint64_t makeNonce(double nowMs, uint32_t entropy);
uint64_t tokenCheck(const TokenSecret& secret, std::string_view visitorId,
                    std::string_view campaignId, std::string_view variantId, uint64_t nonce);
// Appends the token text (at most kMaxTokenBytes bytes).
void appendToken(const DecisionToken& token, std::string& out);
// Syntax only (strict: no leading zeros, no uppercase, nonce ≠ 0, ≤ kMaxTokenBytes).
bool parseToken(std::string_view text, DecisionToken& out);
// Whether the check matches (one 64-bit comparison: no early exit on a partial match).
bool tokenAuthentic(const DecisionToken& token, const TokenSecret& secret,
                    std::string_view visitorId, std::string_view campaignId,
                    std::string_view variantId);

// Config helpers for the compiler: "global" | "channel" | "placement" | "campaign";
// "impression" | "click"; "day" | "week" | "session" | "lifetime" | a duration ("12h").
bool parseCapScope(std::string_view text, CapScope& out);
bool parseCapCount(std::string_view text, CapCount& out);
bool parseCapPeriod(std::string_view text, CapPeriod& period, double& rollingMs);

}  // namespace attune
