#include "decider.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hash.h"
#include "local_time.h"
#include "problem.h"
#include "template.h"
#include "utf8.h"

namespace attune {

namespace {

const char* const kVisitorKeys[] = {"id",  "now",  "utcOffsetMinutes", "acceptLanguage", "locales",
                                    "geo", "name", "traits",           "page",           "consent"};

// The profile part of the context, in the order writeProfileJson shows it.
constexpr std::string_view kProfileKeys[] = {
    "interests", "topInterests", "declaredInterests", "behavior", "cart", "rfm", "lifecycle"};

const char* const consentReasons[] = {"consent:storage", "consent:personalization",
                                      "consent:measurement", "consent:marketing",
                                      "consent:sensitive"};

void writeKey(const char* key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

Decider::Decider(const Engine& engine, VisitorLimits limits)
    : engine_(engine), limits_(limits), evaluator_(engine.conditions) {
  for (StrRef r : engine.locales) pageLocales_.push_back(engine.str(r));
  for (const ContentLocale& l : engine.contentLocales) {
    contentLocales_.push_back(engine.str(l.tag));
    LanguageTag tag;
    contentRtl_.push_back(parseLanguageTag(engine.str(l.tag), tag) && isRightToLeft(tag));
  }
  groupTaken_.resize(engine.groupCount);
  for (const CondPath& path : engine.conditions.paths) {
    profileNeeded_ =
        profileNeeded_ ||
        readsProfile(std::string_view(engine.conditions.strings).substr(path.off, path.len));
  }
  for (const CompiledTemplate& t : engine.templates) {
    for (const TemplatePart& part : t.parts) {
      if (part.kind == TemplatePartKind::Path)
        profileNeeded_ = profileNeeded_ || readsProfile(t.slice(part.offset, part.length));
    }
  }
  fieldJsonOf_.assign(engine.contentFields.size(), FieldJson{});
  shown_.reserve(engine.campaigns.size());
  shownCampaigns_.reserve(engine.campaigns.size());
  contactMemo_.prepare(engine.contactRules);
  contactWhy_[0] = 0;
}

bool Decider::setVisitor(std::string_view visitorJson, std::string& error) {
  ParseError err;
  ParseLimits pl;
  pl.maxBytes = limits_.maxBytes;
  pl.maxDepth = limits_.maxDepth;
  pl.maxNodes = limits_.maxNodes;
  pl.maxNestedStringBytes = limits_.maxStringBytes;
  shown_.clear();
  shownCampaigns_.clear();
  contactMemo_.invalidate();  // another visitor, time or history: count the caps afresh
  bool ok = input_.parse(visitorJson, err, pl);
  if (!ok) error = "visitor: " + err.message + " at offset " + std::to_string(err.offset);
  if (!ok || !readVisitor(error)) {
    // Leave an empty context, never a stale one from the previous visitor.
    ctx_.clear();
    root_ = ctx_.addObject();
    profileWritten_ = true;  // and it stays empty
    evaluator_.cacheRoot(&ctx_, root_);
    return false;
  }
  buildContext();
  evaluator_.cacheRoot(&ctx_, root_);
  computeSegments();
  return true;
}

bool Decider::readVisitor(std::string& error) {
  if (input_.type(0) != Type::Object) {
    error = "visitor: must be a JSON object";
    return false;
  }
  for (NodeId c = input_.node(0).firstChild; c != kNoNode; c = input_.node(c).next) {
    bool known = false;
    for (const char* k : kVisitorKeys) known = known || input_.key(c) == k;
    if (!known) {
      error = "visitor." + clipped(input_.key(c)) +
              ": unknown key (expected id, now, utcOffsetMinutes, acceptLanguage, locales, geo, "
              "name, traits, page, consent)";
      return false;
    }
  }
  auto expect = [&](const char* key, Type type, const char* what) {
    NodeId n = input_.member(0, key);
    if (n != kNoNode && input_.type(n) != type) {
      error = std::string("visitor.") + key + ": must be " + what;
      return false;
    }
    return true;
  };
  if (!expect("id", Type::String, "a string") ||
      !expect("acceptLanguage", Type::String, "a string") ||
      !expect("locales", Type::Array, "an array of language tags") ||
      !expect("geo", Type::Object, "an object") || !expect("name", Type::String, "a string") ||
      !expect("traits", Type::Object, "an object") || !expect("page", Type::Object, "an object") ||
      !expect("utcOffsetMinutes", Type::Number, "a number of minutes")) {
    return false;
  }
  NodeId id = input_.member(0, "id");
  visitorId_ = id != kNoNode ? input_.str(id)
               : state_      ? std::string_view(state_->visitorId)
                             : std::string_view();
  if (visitorId_.size() > limits_.maxIdBytes) {
    error = "visitor.id: longer than " + std::to_string(limits_.maxIdBytes) + " bytes";
    return false;
  }
  NodeId now = input_.member(0, "now");
  if (now == kNoNode) {
    error = "visitor.now: is required (an ISO 8601 instant or milliseconds since the epoch)";
    return false;
  }
  if (input_.type(now) == Type::Number) {
    nowMs_ = input_.node(now).number;
  } else if (input_.type(now) != Type::String || !parseInstant(input_.str(now), nowMs_)) {
    error = "visitor.now: must be an ISO 8601 instant or milliseconds since the epoch";
    return false;
  }
  if (!std::isfinite(nowMs_) || std::fabs(nowMs_) > 8.64e15) {
    error = "visitor.now: out of range";
    return false;
  }
  NodeId offset = input_.member(0, "utcOffsetMinutes");
  utcOffsetMinutes_ = 0;
  if (offset != kNoNode) {
    double v = input_.node(offset).number;
    if (v != std::floor(v) || v < -840 || v > 840) {
      error = "visitor.utcOffsetMinutes: must be a whole number from -840 to 840";
      return false;
    }
    utcOffsetMinutes_ = static_cast<int>(v);
  }
  return readConsent(input_.member(0, "consent"), error);
}

bool Decider::readConsent(NodeId node, std::string& error) {
  ConsentInputs inputs;
  if (!readConsentInputs(input_, node, inputs, error)) {
    error = "visitor." + error;
    return false;
  }
  static const ConsentRecord kNoRecord;
  consent_ = effectiveConsent(engine_.consentPolicy, state_ ? state_->consent : kNoRecord, inputs);
  return true;
}

void Decider::buildContext() {
  ctx_.clear();
  root_ = ctx_.addObject();

  requested_.clear();
  NodeId locales = input_.member(0, "locales");
  NodeId accept = input_.member(0, "acceptLanguage");
  if (locales != kNoNode && input_.node(locales).count > 0) {
    for (NodeId c = input_.node(locales).firstChild; c != kNoNode; c = input_.node(c).next) {
      if (input_.type(c) == Type::String) appendLanguageTag(input_.str(c), requested_);
    }
  } else if (accept != kNoNode) {
    parseAcceptLanguage(input_.str(accept), requested_);
  }
  int chosen =
      lookupLocale(requested_.data(), requested_.size(), pageLocales_.data(), pageLocales_.size());
  parseLanguageTag(chosen >= 0 ? pageLocales_[chosen] : engine_.str(engine_.defaultLocale),
                   pageLocale_);
  ctx_.append(root_, ctx_.addString(pageLocale_.tag()), "locale");
  ctx_.append(root_, ctx_.addString(pageLocale_.language()), "language");
  if (!pageLocale_.script().empty())
    ctx_.append(root_, ctx_.addString(pageLocale_.script()), "script");
  if (!pageLocale_.region().empty())
    ctx_.append(root_, ctx_.addString(pageLocale_.region()), "region");
  pageRtl_ = isRightToLeft(pageLocale_);
  ctx_.append(root_, ctx_.addString(pageRtl_ ? "rtl" : "ltr"), "dir");
  NodeId requested = ctx_.addArray();
  for (const LanguageTag& t : requested_) ctx_.append(requested, ctx_.addString(t.tag()));
  ctx_.append(root_, requested, "requestedLocales");

  LocalTime local = localTime(nowMs_, utcOffsetMinutes_);
  NodeId time = ctx_.addObject();
  ctx_.append(time, ctx_.addNumber(local.hour), "localHour");
  ctx_.append(time, ctx_.addNumber(local.minute), "localMinute");
  ctx_.append(time, ctx_.addNumber(local.weekday), "localWeekday");
  ctx_.append(time, ctx_.addNumber(utcOffsetMinutes_), "utcOffsetMinutes");
  ctx_.append(time, ctx_.addNumber(nowMs_), "now");
  ctx_.append(root_, time, "time");

  NodeId name = input_.member(0, "name");
  if (name != kNoNode) {
    name_.clear();
    normalizeName(input_.str(name), name_);
    if (!name_.empty()) ctx_.append(root_, ctx_.addString(name_), "name");
  }
  if (!visitorId_.empty()) ctx_.append(root_, ctx_.addString(visitorId_), "id");
  for (const char* key : {"geo", "traits", "page"}) {
    NodeId n = input_.member(0, key);
    if (n != kNoNode) ctx_.append(root_, ctx_.copyFrom(input_, n), key);
  }
  segmentsNode_ = ctx_.addArray();
  ctx_.append(root_, segmentsNode_, "segments");
  profileWritten_ = false;
  if (profileNeeded_) ensureProfileContext();
}

void Decider::ensureProfileContext() {
  if (profileWritten_ || root_ == kNoNode) return;
  profileWritten_ = true;
  NodeId declared = ctx_.path(root_, "traits.interests");
  if (declared != kNoNode && ctx_.type(declared) != Type::Array) declared = kNoNode;
  writeProfileContext(profile(), engine_.profileSettings, consent_, nowMs_, declared, ctx_, root_);
}

bool Decider::readsProfile(std::string_view path) {
  std::string_view head = path.substr(0, path.find('.'));
  for (std::string_view key : kProfileKeys) {
    if (head == key) return true;
  }
  return false;
}

void Decider::writeProfileJson(std::string& out) {
  ensureProfileContext();
  out += '{';
  bool first = true;
  for (std::string_view key : kProfileKeys) {
    NodeId n = ctx_.member(root_, key);
    if (n == kNoNode) continue;
    if (!first) out += ',';
    first = false;
    writeJsonString(key, out);
    out += ':';
    ctx_.write(n, out);
  }
  out += '}';
}

const Profile& Decider::profile() const {
  static const Profile kEmpty;
  return state_ ? state_->profile : kEmpty;
}

bool Decider::triggerOpen(const CampaignDef& c) const {
  if (!c.hasTrigger) return true;
  TriggerSpec spec{engine_.str(c.triggerEvent), engine_.str(c.triggerCategory)};
  double at = triggerEventMs(profile(), engine_.profileSettings, spec, nowMs_, utcOffsetMinutes_,
                             ctx_, root_);
  return at > 0 && nowMs_ >= at && nowMs_ < at + c.triggerWithinMs;
}

void Decider::computeSegments() {
  std::fill(groupTaken_.begin(), groupTaken_.end(), false);
  capMultiplier_ = 1;
  for (const SegmentDef& s : engine_.segments) {
    if (s.group != kNone && groupTaken_[s.group]) continue;
    if (!evaluator_.test(s.condition, ctx_, root_)) continue;
    if (s.group != kNone) groupTaken_[s.group] = true;
    capMultiplier_ = std::max(capMultiplier_, s.capMultiplier);
    ctx_.append(segmentsNode_, ctx_.addString(engine_.str(s.name)));
  }
}

bool Decider::scheduleOpen(const CampaignDef& c) const {
  if (!c.hasSchedule) return true;
  const ScheduleDef& s = c.schedule;
  if (nowMs_ < s.startMs || nowMs_ >= s.endMs) return false;
  LocalTime local = localTime(nowMs_, utcOffsetMinutes_);
  if (s.fromMinute < 0) return (s.daysMask >> local.weekday) & 1;
  int m = local.minuteOfDay();
  if (s.fromMinute < s.toMinute) {
    return ((s.daysMask >> local.weekday) & 1) && m >= s.fromMinute && m < s.toMinute;
  }
  // Crossing midnight: the early-morning part belongs to the window that opened the day before.
  if (m >= s.fromMinute) return (s.daysMask >> local.weekday) & 1;
  if (m < s.toMinute) return (s.daysMask >> ((local.weekday + 6) % 7)) & 1;
  return false;
}

bool Decider::renderContent(uint32_t set, uint32_t& locale, std::string& missingField) {
  const ContentSet& cs = engine_.contentSets[set];
  int found = lookupLocale(requested_.data(), requested_.size(),
                           contentLocales_.data() + cs.firstLocale, cs.localeCount);
  locale = cs.firstLocale + (found >= 0 ? static_cast<uint32_t>(found) : cs.defaultLocale);
  const ContentLocale& cl = engine_.contentLocales[locale];
  contentJson_.clear();
  contentJson_ += '{';
  auto resolve = [this](std::string_view path, std::string& out) {
    return ctx_.appendText(ctx_.path(root_, path), out);
  };
  for (uint32_t f = cl.firstField; f < cl.firstField + cl.fieldCount; ++f) {
    if (f != cl.firstField) contentJson_ += ',';
    // A field whose template reads nothing of the visitor is the same text for everyone:
    // its `"name":"text"` is written once and kept (most fields are such: a body, a URL).
    const FieldJson cached = fieldJsonOf_[f];
    if (cached.at != kFieldNotRendered && cached.at != kFieldVaries) {
      contentJson_.append(fieldJson_, cached.at, cached.length);
      continue;
    }
    const ContentField& field = engine_.contentFields[f];
    const size_t start = contentJson_.size();
    text_.clear();
    if (renderTemplate(engine_.templates[field.templateIndex], resolve, text_) !=
        RenderStatus::Ok) {
      if (!field.hasFallback) {
        missingField.assign(engine_.str(field.name));
        return false;
      }
      text_.assign(engine_.str(field.fallback));
    }
    if (field.maxLength) applyMaxLength(text_, field.maxLength);
    writeJsonString(engine_.str(field.name), contentJson_);
    contentJson_ += ':';
    writeJsonString(text_, contentJson_);
    if (cached.at == kFieldNotRendered) {
      if (engine_.templates[field.templateIndex].hasPaths()) {
        fieldJsonOf_[f].at = kFieldVaries;
      } else {
        fieldJsonOf_[f] = {static_cast<uint32_t>(fieldJson_.size()),
                           static_cast<uint32_t>(contentJson_.size() - start)};
        fieldJson_.append(contentJson_, start, contentJson_.size() - start);
      }
    }
  }
  contentJson_ += '}';
  return true;
}

void Decider::writeLocale(uint32_t contentLocale, std::string& out) const {
  bool page = contentLocale == kNone;
  std::string_view tag = page ? pageLocale_.tag() : contentLocales_[contentLocale];
  bool rtl = page ? pageRtl_ : contentRtl_[contentLocale];
  writeKey("locale", out);
  writeJsonString(tag, out);
  out += ",\"dir\":";
  out += rtl ? "\"rtl\"" : "\"ltr\"";
}

uint64_t Decider::writeToken(const CampaignDef& c, uint32_t variant, std::string& out) {
  DecisionToken token;
  token.campaign = static_cast<uint32_t>(&c - engine_.campaigns.data());
  token.variant = variant == kNone ? kHoldoutVariant : variant;
  token.nonce = makeNonce(nowMs_, entropy_++);
  std::string_view variantId =
      variant == kNone ? std::string_view() : engine_.str(engine_.variants[variant].id);
  token.check = tokenCheck(secret_, visitorId_, engine_.str(c.id), variantId, token.nonce);
  out += '"';
  appendToken(token, out);
  out += '"';
  return token.nonce;
}

bool Decider::contactOpen(uint32_t campaign) {
  static const ContactHistory kNoContacts;
  const ContactRules& rules = engine_.contactRules;
  if (!rules.any) return true;
  ContactCheck check;
  check.nowMs = nowMs_;
  check.utcOffsetMinutes = utcOffsetMinutes_;
  check.multiplier = capMultiplier_;
  check.pending = shownCampaigns_.data();
  check.pendingCount = shownCampaigns_.size();
  check.memo = &contactMemo_;
  return contactAllowed(state_ ? state_->contacts : kNoContacts, rules, campaign, check,
                        contactWhy_, sizeof contactWhy_);
}

void Decider::writeDecision(uint32_t placementIndex, bool reasons, std::string& out) {
  const PlacementDef& p = engine_.placements[placementIndex];
  reasons_.clear();
  items_.clear();
  uint32_t shown = 0;
  uint8_t shownPurposes = 0;
  std::string& missing = missingField_;
  out += "{\"placement\":";
  writeJsonString(engine_.str(p.id), out);
  auto reason = [&](const CampaignDef& c, const char* result, std::string_view why) {
    if (!reasons) return;
    if (!reasons_.empty()) reasons_ += ',';
    reasons_ += "{\"campaign\":";
    writeJsonString(engine_.str(c.id), reasons_);
    reasons_ += ",\"result\":\"";
    reasons_ += result;
    reasons_ += '"';
    if (!why.empty()) {
      reasons_ += ",\"reason\":";
      writeJsonString(why, reasons_);
    }
    reasons_ += '}';
  };
  for (uint32_t k = p.firstCandidate; k < p.firstCandidate + p.candidateCount; ++k) {
    const CampaignDef& c = engine_.campaigns[engine_.candidates[k]];
    if (shown >= p.maxItems) {
      if (!reasons) break;
      reason(c, "not_reached", "");
      continue;
    }
    if (!scheduleOpen(c)) {
      reason(c, "skipped", "schedule");
      continue;
    }
    if (!triggerOpen(c)) {
      reason(c, "skipped", "trigger");
      continue;
    }
    if (c.audience != kNone && !evaluator_.test(c.audience, ctx_, root_)) {
      reason(c, "skipped", "audience");
      continue;
    }
    if (uint8_t missing = c.requiredPurposes & ~grantedBits()) {
      uint8_t first = 0;
      while (!((missing >> first) & 1)) ++first;
      reason(c, "skipped", consentReasons[first]);
      continue;
    }
    uint32_t campaignIndex = engine_.candidates[k];
    if (!contactOpen(campaignIndex)) {
      reason(c, "skipped", contactWhy_);
      continue;
    }
    bool randomised = c.variantCount > 1 || c.holdout > 0;
    if (randomised && visitorId_.empty()) {
      reason(c, "skipped", "no_visitor_id");
      continue;
    }
    std::string_view seed = engine_.str(c.seed);
    bool heldOut = c.holdout > 0 && hashBucket(seed, visitorId_, "/holdout") < c.holdout;
    uint32_t variant = kNone;
    uint32_t contentSet = p.defaultContent;
    if (!heldOut) {
      variant = c.firstVariant + c.variantCount - 1;
      if (c.variantCount > 1) {
        double n = hashBucket(seed, visitorId_);
        for (uint32_t v = c.firstVariant; v < c.firstVariant + c.variantCount; ++v) {
          if (n >= engine_.variants[v].rangeStart && n < engine_.variants[v].rangeEnd) {
            variant = v;
            break;
          }
        }
      }
      contentSet = engine_.variants[variant].content;
    }
    uint32_t locale = kNone;
    bool hasContent = contentSet != kNone;
    if (hasContent && !renderContent(contentSet, locale, missing)) {
      reason(c, "skipped", "content_missing:" + missing);
      continue;
    }
    reason(c, heldOut ? "holdout" : "chosen", "");
    // The first item's fields are the decision's own; with maxItems > 1 every item is also
    // listed in "items".
    if (shown == 0) shownPurposes = c.requiredPurposes;
    std::string& target = shown == 0 ? first_ : item_;
    target.clear();
    writeKey("campaign", target);
    writeJsonString(engine_.str(c.id), target);
    target += ",\"variant\":";
    if (variant == kNone)
      target += "null";
    else
      writeJsonString(engine_.str(engine_.variants[variant].id), target);
    target += ",\"content\":";
    target += hasContent ? std::string_view(contentJson_) : std::string_view("null");
    target += ',';
    writeLocale(locale, target);
    target += ",\"token\":";
    uint64_t nonce = writeToken(c, variant, target);
    if (!heldOut) {
      shown_.push_back({campaignIndex, nonce});
      shownCampaigns_.push_back(campaignIndex);
    }
    target += ",\"holdout\":";
    target += heldOut ? "true" : "false";
    if (p.maxItems > 1) {
      if (shown) items_ += ',';
      items_ += '{';
      items_ += target;
      items_ += '}';
    }
    ++shown;
  }
  out += ',';
  if (shown == 0) {
    uint32_t locale = kNone;
    bool hasContent = p.defaultContent != kNone && renderContent(p.defaultContent, locale, missing);
    out += "\"campaign\":null,\"variant\":null,\"content\":";
    out += hasContent ? std::string_view(contentJson_) : std::string_view("null");
    out += ',';
    writeLocale(locale, out);
    out += ",\"token\":null,\"holdout\":false";
  } else {
    out += first_;
  }
  if (p.maxItems > 1) {
    out += ",\"items\":[";
    out += items_;
    out += ']';
  }
  if (reasons) {
    out += ",\"reasons\":[";
    out += reasons_;
    out += "],\"purposes\":[";  // the consent purposes this decision relied on
    bool firstPurpose = true;
    for (uint8_t p = 0; p < 5; ++p) {
      if (!((shownPurposes >> p) & 1)) continue;
      if (!firstPurpose) out += ',';
      firstPurpose = false;
      out += '"';
      out += purposeName(static_cast<Purpose>(p));
      out += '"';
    }
    out += ']';
  }
  out += '}';
}

void Decider::writePage(bool reasons, std::string& out) {
  out += "{\"decisions\":[";
  for (uint32_t p = 0; p < engine_.placements.size(); ++p) {
    if (p) out += ',';
    writeDecision(p, reasons, out);
  }
  out += "]}";
}

void Decider::writePlacements(const Doc& doc, NodeId ids, bool reasons, std::string& out) {
  out += "{\"decisions\":[";
  bool first = true;
  for (NodeId n = doc.node(ids).firstChild; n != kNoNode; n = doc.node(n).next) {
    if (!first) out += ',';
    first = false;
    bool named = doc.type(n) == Type::String;
    uint32_t index = named ? engine_.findPlacement(doc.str(n)) : kNone;
    if (index != kNone) {
      writeDecision(index, reasons, out);
      continue;
    }
    out += "{\"placement\":";
    if (named)
      writeJsonString(doc.str(n), out);
    else
      out += "null";
    out += ",\"error\":\"unknown placement\"}";
  }
  out += "]}";
}

void Decider::decidePageJson(std::string_view visitorJson, bool reasons, std::string& out) {
  std::string error;
  if (!setVisitor(visitorJson, error)) {
    out += "{\"error\":";
    writeJsonString(error, out);
    out += '}';
    return;
  }
  writePage(reasons, out);
}

void Decider::decideJson(std::string_view placementId, std::string_view visitorJson, bool reasons,
                         std::string& out) {
  uint32_t p = engine_.findPlacement(placementId);
  std::string error;
  if (p == kNone) {
    error = "unknown placement \"" + clipped(placementId) + "\"";
  } else if (setVisitor(visitorJson, error)) {
    writeDecision(p, reasons, out);
    return;
  }
  out += "{\"error\":";
  writeJsonString(error, out);
  out += '}';
}

uint32_t Engine::findPlacement(std::string_view id) const {
  for (uint32_t i = 0; i < placements.size(); ++i) {
    if (str(placements[i].id) == id) return i;
  }
  return kNone;
}

}  // namespace attune
