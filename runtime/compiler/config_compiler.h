// Validates a campaign config (SPEC §1) and compiles it into an Engine.
//
// A bad config is rejected whole: every problem is listed with its JSON path and a plain
// English message; no engine is produced. Limits are documented in docs/CONFIG.md.
#pragma once

#include <memory>
#include <string_view>

#include "engine.h"
#include "problem.h"

namespace attune {

struct ConfigLimits {
  size_t maxBytes = 4u << 20;  // 4 MiB of JSON
  uint32_t maxNesting = 64;    // JSON nesting of the whole document
  uint32_t maxCampaigns = 10000;
  uint32_t maxPlacements = 256;
  uint32_t maxSegments = 1000;
  uint32_t maxVariants = 32;
  uint32_t maxLocales = 64;  // per content object
  uint32_t maxFields = 32;   // per locale
  uint32_t maxIdBytes = 128;
  uint32_t maxMaxItems = 20;
};

struct CompileResult {
  std::unique_ptr<Engine> engine;  // null when problems is not empty
  Problems problems;
};

CompileResult compileConfig(std::string_view json, const ConfigLimits& limits = {});

}  // namespace attune
