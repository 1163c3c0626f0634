// The contact-rule part of a config (SPEC §6): top-level "caps", "capMultipliers" and
// "quietHours", and each campaign's "caps", "fatigue" and "cooldownAfterDismiss", compiled
// into Engine::contactRules. docs/CONFIG.md describes the keys.
#pragma once

#include "condition_compiler.h"  // Json
#include "engine.h"
#include "problem.h"

namespace attune {

// Runs after placements, segments and campaigns compiled without problems: it reads their
// tables from `engine` and the campaigns' JSON again for their own rules. Problems name
// JSON paths ("caps[1].per", "campaigns[3].fatigue.impressions").
void compileContactRules(const Json& root, Engine& engine, Problems& problems);

}  // namespace attune
