#include "visitor_io.h"

#include <cmath>
#include <utility>

namespace attune {

namespace {

bool reportKind(std::string_view type, ContactKind& kind) {
  static const std::pair<const char*, ContactKind> kKinds[] = {
      {"impression", ContactKind::Impression},
      {"click", ContactKind::Click},
      {"dismiss", ContactKind::Dismiss},
      {"conversion", ContactKind::Conversion}};
  for (const auto& k : kKinds) {
    if (type == k.first) {
      kind = k.second;
      return true;
    }
  }
  return false;
}

const char* kindName(ContactKind kind) {
  switch (kind) {
    case ContactKind::Impression:
      return "impression";
    case ContactKind::Click:
      return "click";
    case ContactKind::Dismiss:
      return "dismissal";
    case ContactKind::Conversion:
      return "conversion";
  }
  return "report";
}

// A report's token: well formed, issued by this engine to this visitor, and not yet used for
// this kind of report.
bool checkToken(const VisitorState& state, const Engine& engine, const ReportSettings& report,
                ContactKind kind, std::string_view text, DecisionToken& token, std::string& error) {
  if (!parseToken(text, token)) {
    error = "token: not an Attune decision token (expected the \"token\" of a decision)";
    return false;
  }
  bool known = token.campaign < engine.campaigns.size();
  std::string_view variantId;
  if (known && token.variant != kHoldoutVariant) {
    const CampaignDef& c = engine.campaigns[token.campaign];
    known = token.variant >= c.firstVariant && token.variant < c.firstVariant + c.variantCount;
    if (known) variantId = engine.str(engine.variants[token.variant].id);
  }
  if (!known || !tokenAuthentic(token, report.secret, state.visitorId,
                                engine.str(engine.campaigns[token.campaign].id), variantId)) {
    error = "token: not issued by this config to this visitor";
    return false;
  }
  switch (tokenOutcome(state.contacts, token.nonce, kind, report.stale)) {
    case RecordOutcome::Replayed:
      error = std::string("token: this ") + kindName(kind) + " was already reported";
      return false;
    case RecordOutcome::Stale:
      error = "token: too old to report (older than the last 512 reports this visitor made)";
      return false;
    default:
      return true;
  }
}

}  // namespace

bool trackJson(VisitorState& state, const Engine& engine, const ConsentGate& consent,
               std::string_view type, std::string_view propsJson, double nowMs, Doc& scratch,
               std::string& error, const ReportSettings& report) {
  if (!std::isfinite(nowMs) || nowMs <= 0) {
    error = "track: the time must be milliseconds since the epoch";
    return false;
  }
  NodeId props = kNoNode;
  if (!propsJson.empty() && propsJson != "null") {
    ParseError err;
    ParseLimits limits;
    limits.maxBytes = 64 * 1024;
    limits.maxDepth = 8;
    limits.maxNodes = 2000;
    if (!scratch.parse(propsJson, err, limits)) {
      error = std::string(type.substr(0, 64)) + ": properties: " + err.message;
      return false;
    }
    if (scratch.type(0) != Type::Object) {
      error = std::string(type.substr(0, 64)) + ": properties must be an object";
      return false;
    }
    props = 0;
  }
  ContactKind kind;
  bool isReport = reportKind(type, kind);
  NodeId tokenNode = props == kNoNode ? kNoNode : scratch.member(props, "token");
  DecisionToken token;
  bool tokened = isReport && tokenNode != kNoNode && scratch.type(tokenNode) == Type::String;
  if (tokened && !checkToken(state, engine, report, kind, scratch.str(tokenNode), token, error))
    return false;
  if (!trackEvent(state.profile, engine.profileSettings, consent, type, scratch, props, nowMs,
                  error))
    return false;
  if (!tokened) return true;
  if (token.variant == kHoldoutVariant) {
    consumeToken(state.contacts, token.nonce, kind, report.stale);
  } else {
    recordContact(state.contacts, engine.contactRules, token.campaign, kind, token.nonce, nowMs,
                  report.stale);
  }
  return true;
}

void setConsentJson(VisitorState& state, const Engine& engine, std::string_view inputsJson,
                    std::string_view source, double nowMs, Doc& scratch, std::string& out) {
  ParseError err;
  ParseLimits limits;
  limits.maxBytes = 70 * 1024;  // a TC string is at most 64 KB
  limits.maxDepth = 2;
  ConsentInputs inputs;
  std::string error;
  uint8_t granted;
  if (!scratch.parse(inputsJson, err, limits)) {
    error = "consent: " + err.message;
  } else if (readConsentInputs(scratch, 0, inputs, error) &&
             updateConsent(state, engine.consentPolicy, engine.profileSettings, inputs, source,
                           nowMs, granted, error)) {
    writeConsentRecordJson(state.consent, out);
    return;
  }
  out += "{\"error\":";
  writeJsonString(error, out);
  out += '}';
}

void writeLoadReportJson(const LoadReport& report, std::string& out) {
  out += "{\"status\":";
  writeJsonString(loadStatusName(report.status), out);
  out += ",\"consentKept\":";
  out += report.consentKept ? "true" : "false";
  out += ",\"fromVersion\":";
  writeJsonNumber(report.fromVersion, out);
  out += ",\"reason\":";
  writeJsonString(report.reason, out);
  out += '}';
}

}  // namespace attune
