// The compiled, immutable engine: every table a decision needs, in flat arrays.
//
// Built by the config compiler (runtime/compiler/) from JSON, or loaded from its binary form
// (serialize.h) by the lean build. Decisions run in a Decider (decider.h), which owns the
// per-visitor scratch, so one Engine can serve many Deciders.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "condition.h"
#include "consent.h"
#include "contact.h"
#include "profile.h"
#include "template.h"

namespace attune {

constexpr uint32_t kNone = 0xFFFFFFFFu;

struct StrRef {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct PlacementDef {
  StrRef id;
  StrRef channel;
  uint32_t maxItems = 1;
  uint32_t defaultContent = kNone;  // ContentSet index
  uint32_t firstCandidate = 0;      // range in Engine::candidates (priority order)
  uint32_t candidateCount = 0;
};

struct ScheduleDef {
  double startMs = 0;       // inclusive; -inf when open
  double endMs = 0;         // exclusive; +inf when open
  uint8_t daysMask = 0x7F;  // bit d = local weekday d (0 = Sunday)
  int32_t fromMinute = -1;  // local minute of day; -1 = all day
  int32_t toMinute = -1;    // exclusive; may be < fromMinute (crosses midnight)
};

struct CampaignDef {
  StrRef id;
  uint32_t placement = 0;
  double priority = 0;
  uint32_t audience = kNone;  // condition node
  bool hasSchedule = false;
  ScheduleDef schedule;
  StrRef seed;
  double holdout = 0;
  uint32_t firstVariant = 0;
  uint32_t variantCount = 0;
  bool hasTrigger = false;
  StrRef triggerEvent;     // welcome, cart_abandoned, birthday, lapsed_return, purchase, a type
  StrRef triggerCategory;  // purchase only; empty: any
  double triggerWithinMs = 0;
  uint8_t requiredPurposes = 0;  // Purpose bits; default personalization when it reads the profile
};

struct VariantDef {
  StrRef id;
  double rangeStart = 0;  // [start, end) of the bucket in [0, 1)
  double rangeEnd = 0;
  uint32_t content = 0;  // ContentSet index
};

// The per-locale content of one variant (or of a placement default).
struct ContentSet {
  uint32_t firstLocale = 0;  // range in Engine::contentLocales
  uint32_t localeCount = 0;
  uint32_t defaultLocale = 0;  // index within the range: the engine's defaultLocale
};

struct ContentLocale {
  StrRef tag;  // normalised BCP 47 tag
  uint32_t firstField = 0;
  uint32_t fieldCount = 0;
};

struct ContentField {
  StrRef name;
  uint32_t templateIndex = 0;  // Engine::templates
  bool hasFallback = false;
  StrRef fallback;         // plain text used when the template misses a value
  uint32_t maxLength = 0;  // graphemes; 0 = unbounded
};

struct SegmentDef {
  StrRef name;
  uint32_t condition = 0;
  uint32_t group = kNone;    // exclusive group index
  double capMultiplier = 1;  // capMultipliers: members tolerate caps this many times higher
};

struct Engine {
  std::string strings;  // every StrRef points here
  StrRef defaultLocale;
  std::vector<StrRef> locales;  // every locale any content offers, for page negotiation
  std::vector<PlacementDef> placements;
  std::vector<CampaignDef> campaigns;  // config order
  std::vector<uint32_t> candidates;    // campaign indexes grouped by placement, by priority
  std::vector<VariantDef> variants;
  std::vector<ContentSet> contentSets;
  std::vector<ContentLocale> contentLocales;
  std::vector<ContentField> contentFields;
  std::vector<CompiledTemplate> templates;
  std::vector<SegmentDef> segments;  // in evaluation order (dependencies first)
  uint32_t groupCount = 0;
  CondProgram conditions;
  ProfileSettings profileSettings;
  ConsentPolicy consentPolicy;
  ContactRules contactRules;  // caps, fatigue, cooldowns, quiet hours (finished)

  std::string_view str(StrRef r) const { return std::string_view(strings).substr(r.off, r.len); }
  uint32_t findPlacement(std::string_view id) const;
};

}  // namespace attune
