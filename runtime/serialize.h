// The compiled engine's binary form: what `attune compile` writes and the lean build loads.
//
// Layout: "ATNC", u16 format version, u16 flags (0), u32 payload length, the payload (every
// table of the Engine, little-endian, field by field), then a u32 FNV-1a checksum of the
// payload. Loading checks the checksum and then every index and range, so a truncated,
// corrupted or hostile file is refused with a reason instead of crashing the page.
#pragma once

#include <string>
#include <string_view>

#include "engine.h"

namespace attune {

constexpr uint16_t kBinaryFormatVersion =
    4;  // 2: triggers, behaviour; 3: consent; 4: contact rules

void saveEngine(const Engine& engine, std::string& out);

// Fills `engine` (which must be fresh) or returns false with a reason.
bool loadEngine(std::string_view bytes, Engine& engine, std::string& error);

}  // namespace attune
