// Entry points over a VisitorState that every host shares (CLI simulate, Wasm bindings,
// edge): tracking an event given as JSON, and reporting a state load as JSON.
#pragma once

#include <string>
#include <string_view>

#include "doc.h"
#include "engine.h"
#include "state_blob.h"

namespace attune {

// Parses `propsJson` (an object, "" or "null" for none) into `scratch` and records the event
// with the engine's behaviour settings. False with a message on bad input; the state is
// then unchanged.
bool trackJson(VisitorState& state, const Engine& engine, const ConsentGate& consent,
               std::string_view type, std::string_view propsJson, double nowMs, Doc& scratch,
               std::string& error);

// Applies a consent change given as JSON ({"personalization": false, "tcString": …}) and
// writes the consent record, or {"error": "..."}. Withdrawal erases the profile at once.
void setConsentJson(VisitorState& state, const Engine& engine, std::string_view inputsJson,
                    std::string_view source, double nowMs, Doc& scratch, std::string& out);

// {"status": "ok", "consentKept": false, "fromVersion": 1, "reason": ""}
void writeLoadReportJson(const LoadReport& report, std::string& out);

}  // namespace attune
