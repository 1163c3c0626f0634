// Entry points over a VisitorState that every host shares (CLI simulate, Wasm bindings,
// edge): tracking an event given as JSON, and reporting a state load as JSON.
#pragma once

#include <string>
#include <string_view>

#include "doc.h"
#include "engine.h"
#include "state_blob.h"

namespace attune {

// How reports on decision tokens are checked (runtime/contact.h).
struct ReportSettings {
  TokenSecret secret;                       // the key the deciding host used
  StaleTokens stale = StaleTokens::Refuse;  // Count: a tab re-applying its accepted reports
};

// Parses `propsJson` (an object, "" or "null" for none) into `scratch` and records the event
// with the engine's behaviour settings. False with a message on bad input; the state is
// then unchanged.
//
// impression, click, dismiss and conversion with a "token" are reports on a decision: the
// token must be one this engine (with `report.secret`) issued to this visitor, and each kind
// counts once per token ("token: this impression was already reported"). A report counts
// toward caps, fatigue and cooldowns (holdout decisions only consume the token); the profile
// records the event as any other, when personalization allows.
bool trackJson(VisitorState& state, const Engine& engine, const ConsentGate& consent,
               std::string_view type, std::string_view propsJson, double nowMs, Doc& scratch,
               std::string& error, const ReportSettings& report = {});

// Counts what `shown` lists as impressions now (decide-time counting: edge rendering). Their
// tokens are consumed, so a later impression(token) for them is a replay.
template <class ShownList>
void recordShown(VisitorState& state, const Engine& engine, const ShownList& shown, double nowMs) {
  for (const auto& s : shown) {
    recordContact(state.contacts, engine.contactRules, s.campaign, ContactKind::Impression, s.nonce,
                  nowMs);
  }
}

// Applies a consent change given as JSON ({"personalization": false, "tcString": …}) and
// writes the consent record, or {"error": "..."}. Withdrawal erases the profile at once.
void setConsentJson(VisitorState& state, const Engine& engine, std::string_view inputsJson,
                    std::string_view source, double nowMs, Doc& scratch, std::string& out);

// {"status": "ok", "consentKept": false, "fromVersion": 1, "reason": ""}
void writeLoadReportJson(const LoadReport& report, std::string& out);

}  // namespace attune
