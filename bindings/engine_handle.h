// The JS-facing engine object shared by the full and lean builds: the compiled Engine, its
// Decider, and the buffers that carry JSON across the boundary. Glue only; decisions are
// the core's. exports.cpp exposes these methods as C functions; bindings/facade.js turns
// them back into the Module.Engine / Module.Visitor classes.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "decider.h"
#include "problem.h"
#include "serialize.h"
#include "state_blob.h"
#include "visitor_io.h"

// One visitor's durable state (id, consent record, profile) on the JS side.
class VisitorHandle {
 public:
  const std::string& id() const { return state.visitorId; }
  void setId(std::string_view id) { state.visitorId = id.substr(0, 256); }

  // The state blob, for JS to view and copy before the next call.
  const std::string& stateView() {
    bytes_.clear();
    attune::encodeState(state, bytes_);
    return bytes_;
  }
  // The facade hands a Uint8Array over as bytes.
  std::string loadState(std::string_view bytes) {
    return report(attune::decodeState(bytes, state));
  }
  std::string cookieText(uint32_t maxBytes) {
    std::string out;
    attune::encodeCookie(state, maxBytes, out);
    return out;
  }
  std::string loadCookie(std::string_view text) {
    return report(attune::decodeCookie(text, state));
  }
  // Profile and id go; the consent record stays (proof of consent).
  void forget() { attune::forgetVisitor(state); }
  std::string consentRecordJson() const {
    std::string out;
    attune::writeConsentRecordJson(state.consent, out);
    return out;
  }

  attune::VisitorState state;
  attune::Doc scratch;

 private:
  static std::string report(const attune::LoadReport& r) {
    std::string out;
    attune::writeLoadReportJson(r, out);
    return out;
  }
  std::string bytes_;
};

class EngineHandle {
 public:
  // `engine` is null when the config did not compile (problems) or load (loadError).
  EngineHandle(std::unique_ptr<attune::Engine> engine, attune::Problems problems)
      : problems_(std::move(problems)), engine_(std::move(engine)) {
    if (engine_) decider_ = std::make_unique<attune::Decider>(*engine_);
  }

  bool ok() const { return engine_ != nullptr; }

  std::string errorsJson() const {
    std::string out;
    attune::writeProblemsJson(problems_, out);
    return out;
  }

  const std::string& decideJson(std::string_view placement, std::string_view visitorJson,
                                bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    decider_->decideJson(placement, visitorJson, reasons, out_);
    return out_;
  }

  const std::string& decidePageJson(std::string_view visitorJson, bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    decider_->decidePageJson(visitorJson, reasons, out_);
    return out_;
  }

  // The hot route: JS encodes the visitor JSON straight into inputView(n), calls
  // decidePageFromInput(n) and decodes outputView(), with no string copies on either side.
  std::string& inputView(uint32_t size) {
    input_.resize(size);
    return input_;
  }
  uint32_t decidePageFromInput(uint32_t length, bool reasons) {
    out_.clear();
    if (!decider_) {
      out_ = kNoEngine;
    } else {
      std::string_view visitor(input_.data(), std::min<size_t>(length, input_.size()));
      decider_->decidePageJson(visitor, reasons, out_);
    }
    return static_cast<uint32_t>(out_.size());
  }
  const std::string& outputView() const { return out_; }

  // The visitor kept inside the engine: set once, then decide placements one by one
  // (measured in the benchmark as an alternative to one page call).
  std::string setVisitorJson(std::string_view visitorJson) {
    std::string error;
    if (!decider_) return kNoEngine;
    return decider_->setVisitor(visitorJson, error) ? std::string() : error;
  }
  const std::string& decideCurrentJson(std::string_view placement, bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    uint32_t index = engine_->findPlacement(placement);
    if (index == attune::kNone) return out_ = "{\"error\":\"unknown placement\"}";
    decider_->writeDecision(index, reasons, out_);
    return out_;
  }

  // With a stored visitor: its profile feeds the context, its id the bucketing.
  std::string trackJson(VisitorHandle& visitor, std::string_view type, std::string_view propsJson,
                        double nowMs) {
    if (!engine_) return "the config did not compile or load";
    std::string error;
    attune::ConsentGate consent =
        attune::effectiveConsent(engine_->consentPolicy, visitor.state.consent, {});
    return attune::trackJson(visitor.state, *engine_, consent, type, propsJson, nowMs,
                             visitor.scratch, error, report_)
               ? std::string()
               : error;
  }
  // The same, for a tab re-applying its own accepted events onto another tab's newer state:
  // its report tokens count even where that state's replay window has moved past them.
  std::string replayTrackJson(VisitorHandle& visitor, std::string_view type,
                              std::string_view propsJson, double nowMs) {
    attune::ReportSettings settings = report_;
    settings.stale = attune::StaleTokens::Count;
    std::swap(settings, report_);
    std::string result = trackJson(visitor, type, propsJson, nowMs);
    std::swap(settings, report_);
    return result;
  }
  // Tokens: the host's secret (an edge's environment variable; the built-in key when never
  // set) and 32 random bits for the nonce counter.
  void setTokenSecret(std::string_view secret) {
    report_.secret = attune::deriveTokenSecret(secret);
    if (decider_) decider_->setTokenSecret(report_.secret);
  }
  void seedTokenEntropy(uint32_t seed) {
    if (decider_) decider_->seedTokenEntropy(seed);
  }
  // A consent change from `source` ("banner", "tcf", "api"); withdrawal erases the profile.
  std::string setConsentJson(VisitorHandle& visitor, std::string_view inputsJson,
                             std::string_view source, double nowMs) {
    std::string out;
    if (!engine_) return kNoEngine;
    attune::setConsentJson(visitor.state, *engine_, inputsJson, source, nowMs, visitor.scratch,
                           out);
    return out;
  }
  // The edge's state cookie value, or "" when the visitor has not granted `storage` (with
  // GPC applied when `gpc`): the edge then sets no cookie at all.
  std::string cookieForJson(VisitorHandle& visitor, uint32_t maxBytes, bool gpc) {
    if (!engine_) return std::string();
    attune::ConsentInputs inputs;
    inputs.gpc = gpc;
    attune::ConsentGate gate =
        attune::effectiveConsent(engine_->consentPolicy, visitor.state.consent, inputs);
    std::string out;
    if (!gate.allows(attune::Purpose::Storage)) return out;
    // Cookie-sized: drop contacts no rule reads any more, as of the visitor's latest activity
    // (an earlier time than now keeps more, never less).
    double latest =
        std::max(visitor.state.contacts.lastContactMs, visitor.state.profile.lastSeenMs);
    if (latest > 0)
      attune::pruneContacts(visitor.state.contacts, engine_->contactRules, latest, kCookieTokens);
    attune::encodeCookie(visitor.state, maxBytes, out);
    return out;
  }

  // The purposes in force for the visitor, with GPC applied when `gpc`: what a host checks
  // before storing state or sending events.
  std::string purposesJson(VisitorHandle& visitor, bool gpc) {
    if (!engine_) return kNoEngine;
    attune::ConsentInputs inputs;
    inputs.gpc = gpc;
    attune::ConsentGate gate =
        attune::effectiveConsent(engine_->consentPolicy, visitor.state.consent, inputs);
    std::string out;
    attune::writePurposesJson(attune::purposeBits(gate), out);
    return out;
  }
  const std::string& decidePageForJson(VisitorHandle& visitor, std::string_view contextJson,
                                       bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    decider_->attach(&visitor.state);
    decider_->decidePageJson(contextJson, reasons, out_);
    decider_->attach(nullptr);
    return out_;
  }
  // Edge rendering: decides the page and counts what it shows as impressions at once.
  const std::string& decidePageCountingForJson(VisitorHandle& visitor, std::string_view contextJson,
                                               bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    decider_->attach(&visitor.state);
    decider_->decidePageJson(contextJson, reasons, out_);
    decider_->attach(nullptr);
    attune::recordShown(visitor.state, *engine_, decider_->shown(), decider_->nowMs());
    return out_;
  }
  // Edge rendering of the placements a page carries (`placementsJson`: a JSON array of
  // ids): one visitor input, so they count against each other's caps as one page, and what
  // they show is counted as impressions at once. {"decisions": [...]} in the given order;
  // an unknown id is {"placement": id, "error": "unknown placement"}.
  const std::string& decidePlacementsCountingForJson(VisitorHandle& visitor,
                                                     std::string_view placementsJson,
                                                     std::string_view contextJson, bool reasons) {
    out_.clear();
    decidePlacementsCounting(visitor, placementsJson, contextJson, reasons, out_);
    return out_;
  }

  // The edge worker's request in one crossing (web/edge/decide.mjs). inputView() holds, back
  // to back, the state cookie's text, a fresh visitor id (taken only when the cookie carries
  // none), the page's placements (a JSON array) and the visitor input; their byte lengths are
  // given. Does what loadCookie, setId, decidePlacementsCountingForJson and cookieForJson do
  // one after the other, and returns a view (read it before the next call) of
  //   {"load": <load report>, "carried": <the cookie held an id>, "id": "<visitor id>",
  //    "cookie": "<cookieForJson's value>", "page": <decidePlacementsCountingForJson's answer>}
  // ("cookie" only when the page was decided). "page" comes last, so the host can take its
  // text as it is (the edge's hand-off payload embeds it). The visitor stays loaded for what
  // the host may still need (forget, the consent record).
  const std::string& edgeDecideFromInput(VisitorHandle& visitor, uint32_t cookieLength,
                                         uint32_t idLength, uint32_t placementsLength,
                                         uint32_t contextLength, bool gpc, uint32_t cookieBudget) {
    std::string_view rest(input_);
    auto take = [&rest](uint32_t length) {
      std::string_view part = rest.substr(0, std::min<size_t>(length, rest.size()));
      rest.remove_prefix(part.size());
      return part;
    };
    std::string_view cookie = take(cookieLength);
    std::string_view freshId = take(idLength);
    std::string_view placements = take(placementsLength);
    std::string_view context = take(contextLength);

    attune::LoadReport load = attune::decodeCookie(cookie, visitor.state);
    bool carried =
        (load.status == attune::LoadStatus::Ok || load.status == attune::LoadStatus::Migrated) &&
        !visitor.state.visitorId.empty();
    if (visitor.state.visitorId.empty()) visitor.setId(freshId);
    out_.clear();
    bool decided = decidePlacementsCounting(visitor, placements, context, false, out_);

    edge_.clear();
    edge_ += "{\"load\":";
    attune::writeLoadReportJson(load, edge_);
    edge_ += carried ? ",\"carried\":true,\"id\":" : ",\"carried\":false,\"id\":";
    attune::writeJsonString(visitor.state.visitorId, edge_);
    if (decided) {
      edge_ += ",\"cookie\":";
      attune::writeJsonString(cookieForJson(visitor, cookieBudget, gpc), edge_);
    }
    edge_ += ",\"page\":";
    edge_ += out_;
    edge_ += '}';
    return edge_;
  }
  const std::string& decideForJson(VisitorHandle& visitor, std::string_view placement,
                                   std::string_view contextJson, bool reasons) {
    out_.clear();
    if (!decider_) return noEngine();
    decider_->attach(&visitor.state);
    decider_->decideJson(placement, contextJson, reasons, out_);
    decider_->attach(nullptr);
    return out_;
  }
  const std::string& profileJson(VisitorHandle& visitor, double nowMs) {
    out_.clear();
    if (!decider_) return noEngine();
    std::string context = "{\"now\":";
    attune::writeJsonNumber(nowMs, context);
    context += '}';
    std::string error;
    decider_->attach(&visitor.state);
    if (decider_->setVisitor(context, error)) {
      decider_->writeProfileJson(out_);
    } else {
      out_ = "{\"error\":";
      attune::writeJsonString(error, out_);
      out_ += '}';
    }
    decider_->attach(nullptr);
    return out_;
  }

  // The compiled binary form (for the lean build), for JS to view and copy before the next
  // call.
  const std::string& compiledView() {
    binary_.clear();
    if (engine_) attune::saveEngine(*engine_, binary_);
    return binary_;
  }

 private:
  static constexpr const char* kNoEngine = "{\"error\":\"the config did not compile or load\"}";
  static constexpr size_t kCookieTokens =
      64;  // used tokens a cookie keeps (the floor covers the rest)

  const std::string& noEngine() { return out_ = kNoEngine; }
  // decidePlacementsCountingForJson's work, appended to `out`; false when nothing was
  // decided (`out` then holds the error).
  bool decidePlacementsCounting(VisitorHandle& visitor, std::string_view placementsJson,
                                std::string_view contextJson, bool reasons, std::string& out) {
    if (!decider_) {
      out += kNoEngine;
      return false;
    }
    attune::ParseError err;
    attune::ParseLimits limits;
    limits.maxBytes = 64 * 1024;
    limits.maxDepth = 2;
    if (!placements_.parse(placementsJson, err, limits) ||
        placements_.type(0) != attune::Type::Array) {
      out += "{\"error\":\"placements: must be a JSON array of placement ids\"}";
      return false;
    }
    std::string error;
    decider_->attach(&visitor.state);
    if (!decider_->setVisitor(contextJson, error)) {
      decider_->attach(nullptr);
      out += "{\"error\":";
      attune::writeJsonString(error, out);
      out += '}';
      return false;
    }
    decider_->writePlacements(placements_, 0, reasons, out);
    decider_->attach(nullptr);
    attune::recordShown(visitor.state, *engine_, decider_->shown(), decider_->nowMs());
    return true;
  }

  attune::Problems problems_;
  std::unique_ptr<attune::Engine> engine_;
  std::unique_ptr<attune::Decider> decider_;
  attune::ReportSettings report_;
  attune::Doc placements_;
  std::string out_;
  std::string input_;
  std::string edge_;
  std::string binary_;
};
