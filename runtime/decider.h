// Decisions for one visitor at a time (SPEC §6 order, §8, §9).
//
// A Decider owns everything that changes per visitor: the parsed input, the context
// document conditions read, the requested locales, scratch for regexes and rendering. All of
// it is cleared, not freed, between calls, so after warm-up a page decision does not allocate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "condition.h"
#include "doc.h"
#include "engine.h"
#include "locale_negotiation.h"
#include "profile.h"
#include "state_blob.h"

namespace attune {

struct VisitorLimits {
  uint32_t maxBytes = 1u << 20;  // 1 MiB of visitor JSON
  uint32_t maxDepth = 32;
  uint32_t maxNodes = 20000;
  uint32_t maxIdBytes = 256;
  // Strings inside geo, traits and page: bounds the work of any regex over them (see
  // docs/REGEX.md). Top-level fields have their own bounds (id, name normalisation,
  // Accept-Language parsing).
  uint32_t maxStringBytes = 16384;
};

class Decider {
 public:
  explicit Decider(const Engine& engine, VisitorLimits limits = {});

  // The stored state of the visitor being decided for: its profile feeds the context and
  // triggers, its id is used when the input carries none. nullptr (the default): an
  // anonymous visitor with an empty profile. The state must outlive the decisions.
  void attach(const VisitorState* state) { state_ = state; }
  // The purposes in force for the current visitor (SPEC §7): the config's policy, the
  // attached state's consent record, the input's "consent" (flags, tcString, gpc).
  const ConsentGate& consent() const { return consent_; }

  // Parses and checks the visitor input (docs/FORMATS.md) and builds the context. On bad
  // input returns false and a message naming the field.
  bool setVisitor(std::string_view visitorJson, std::string& error);

  // Appends the decision for placement index `placement` of the current visitor.
  void writeDecision(uint32_t placement, bool reasons, std::string& out);
  // Appends {"decisions": [...]} for every placement.
  void writePage(bool reasons, std::string& out);
  // The same for the placements named in `ids` (an array node of `doc`), in that order; an
  // unknown or non-string id gives {"placement": id, "error": "unknown placement"}.
  void writePlacements(const Doc& doc, NodeId ids, bool reasons, std::string& out);

  // Whole calls: set the visitor, decide, and write the result or {"error": "..."}.
  void decidePageJson(std::string_view visitorJson, bool reasons, std::string& out);
  void decideJson(std::string_view placementId, std::string_view visitorJson, bool reasons,
                  std::string& out);

  // Decision tokens (runtime/contact.h): keyed with `secret` (the built-in key unless the
  // host sets its own, e.g. an edge secret); nonces take 20 bits of entropy from a counter
  // the host seeds with randomness, so tabs and isolates deciding in the same millisecond
  // issue different tokens.
  void setTokenSecret(const TokenSecret& secret) { secret_ = secret; }
  void seedTokenEntropy(uint32_t seed) { entropy_ = seed; }

  // What the decisions since the last setVisitor showed (not holdouts): one page view. Hosts
  // that count at decide time (edge rendering) record these as impressions; later placements
  // of the same page already count them against their caps.
  struct Shown {
    uint32_t campaign = 0;
    uint64_t nonce = 0;
  };
  const std::vector<Shown>& shown() const { return shown_; }

  // The profile part of the current context (interests … lifecycle), as a JSON object: the
  // read-only view hosts show for debugging.
  void writeProfileJson(std::string& out);

  // The whole context, profile part included (built now if no condition or template needed
  // it during the decision).
  const Doc& context() {
    ensureProfileContext();
    return ctx_;
  }
  double nowMs() const { return nowMs_; }
  NodeId contextRoot() const { return root_; }

 private:
  bool readVisitor(std::string& error);
  bool readConsent(NodeId node, std::string& error);
  void buildContext();
  // The profile part of the context (interests … lifecycle) is costly to write (a counter
  // object per event type) and most configs read none of it: it is written only when a
  // condition or template of the engine reads one of its keys, or when asked for.
  void ensureProfileContext();
  static bool readsProfile(std::string_view path);
  void computeSegments();
  bool scheduleOpen(const CampaignDef& c) const;
  bool triggerOpen(const CampaignDef& c) const;
  const Profile& profile() const;
  uint8_t grantedBits() const { return purposeBits(consent_); }
  // Renders content set `set` into contentJson_; false when a field misses a value and has
  // no fallback (the variant is dropped). Sets `locale` to the locale used.
  bool renderContent(uint32_t set, uint32_t& locale, std::string& missingField);
  void writeLocale(uint32_t contentLocale, std::string& out) const;
  // Writes the token and returns its nonce.
  uint64_t writeToken(const CampaignDef& c, uint32_t variant, std::string& out);
  bool contactOpen(uint32_t campaign);

  const Engine& engine_;
  VisitorLimits limits_;
  CondEvaluator evaluator_;
  std::vector<std::string_view> pageLocales_;     // Engine::locales as views
  std::vector<std::string_view> contentLocales_;  // Engine::contentLocales tags as views
  std::vector<bool> contentRtl_;                  // their text direction

  const VisitorState* state_ = nullptr;
  ConsentGate consent_;

  // Per visitor.
  Doc input_;
  Doc ctx_;
  NodeId root_ = kNoNode;
  NodeId segmentsNode_ = kNoNode;
  std::vector<LanguageTag> requested_;
  LanguageTag pageLocale_;
  bool pageRtl_ = false;
  bool profileNeeded_ = false;   // the engine reads the profile part on every decision
  bool profileWritten_ = false;  // this visitor's context has its profile part
  std::string_view visitorId_;
  double nowMs_ = 0;
  int utcOffsetMinutes_ = 0;
  std::vector<bool> groupTaken_;
  double capMultiplier_ = 1;
  TokenSecret secret_;
  uint32_t entropy_ = 0;
  std::vector<Shown> shown_;
  std::vector<uint32_t> shownCampaigns_;  // the campaigns of shown_, for ContactCheck
  ContactMemo contactMemo_;               // shared cap counts within one page decision
  char contactWhy_[kContactWhyCapacity];
  std::string name_;
  std::string text_;         // one rendered field
  std::string contentJson_;  // one rendered content object
  // The `"name":"text"` of each content field that reads nothing of the visitor, once it was
  // first rendered: a slice of fieldJson_ per Engine::contentFields index. Whether a field
  // reads the visitor is found on its first render and kept too.
  static constexpr uint32_t kFieldNotRendered = 0xFFFFFFFFu;
  static constexpr uint32_t kFieldVaries = 0xFFFFFFFEu;  // rendered for every visitor
  struct FieldJson {
    uint32_t at = kFieldNotRendered;  // or kFieldVaries, or where its slice starts
    uint32_t length = 0;
  };
  std::string fieldJson_;
  std::vector<FieldJson> fieldJsonOf_;
  std::string first_;  // the first item of a decision
  std::string item_;   // a later item
  std::string items_;  // all items, when a placement shows several
  std::string reasons_;
  std::string missingField_;
};

}  // namespace attune
