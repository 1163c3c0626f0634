#include "visitor_io.h"

#include <cmath>

namespace attune {

bool trackJson(VisitorState& state, const Engine& engine, const ConsentGate& consent,
               std::string_view type, std::string_view propsJson, double nowMs, Doc& scratch,
               std::string& error) {
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
  return trackEvent(state.profile, engine.profileSettings, consent, type, scratch, props, nowMs,
                    error);
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
