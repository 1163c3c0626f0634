// The visitor's state on the device (SPEC §10): one compact, versioned blob holding the
// visitor id, the consent record, the profile and the contact history (caps, used tokens),
// with integrity checks. Browsers keep it in localStorage (base64url); edges in a cookie.
//
// The consent record is its own checksummed section ahead of the rest, so a blob whose
// profile is damaged still yields an intact consent record: a visitor's consent is never
// lost to a corruption elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "contact.h"
#include "profile.h"

namespace attune {

constexpr uint16_t kStateVersion = 2;

// What the site can show a regulator (SPEC §7); the consent issue fills and enforces it.
struct ConsentRecord {
  bool present = false;
  uint8_t purposes = 0;  // bit i = Purpose i granted
  double updatedMs = 0;
  std::string source;  // "banner", "tcf", "gpc", "default" … (at most 32 bytes)
  uint32_t policyVersion = 0;
};

struct VisitorState {
  std::string visitorId;  // at most 256 bytes
  ConsentRecord consent;
  Profile profile;
  ContactHistory contacts;  // what caps, fatigue and cooldowns count; used tokens
};

enum class LoadStatus : uint8_t {
  Ok,         // loaded as is
  Migrated,   // an older version, migrated forward
  Empty,      // no state (empty input): a fresh visitor
  Corrupt,    // checksum or structure wrong: discarded
  Truncated,  // shorter than its header says: discarded
  Foreign,    // not an Attune state blob: discarded
  TooNew,     // written by a newer version: discarded
};

struct LoadReport {
  LoadStatus status = LoadStatus::Empty;
  bool consentKept = false;  // the consent record survived a discarded blob
  uint16_t fromVersion = 0;
  std::string reason;  // plain English for the host's logs; empty when Ok/Empty
};

const char* loadStatusName(LoadStatus status);

// Binary blob: "ATS" + u8 flags, u16 version, then sections (consent with its own checksum,
// then id + profile with the blob checksum). Deterministic: the same state gives the same bytes.
void encodeState(const VisitorState& state, std::string& out);

// Fills `out` (reset first). Never crashes on any input; on anything but Ok/Migrated the
// state is a fresh one except for an intact consent record (report.consentKept).
LoadReport decodeState(std::string_view bytes, VisitorState& out);

// Cookie form: base64url of the blob, at most `maxBytes` characters. When the full state
// does not fit, older detail is compacted first — day buckets beyond 30 days folded into
// the oldest kept bucket, then whole least recently used custom counters, then cart
// categories, then the weakest interests — while lifetime counts of the built-in types,
// totals and recency stay exact. Returns
// false only if even the compacted state cannot fit (then `out` is empty).
bool encodeCookie(const VisitorState& state, size_t maxBytes, std::string& out);
LoadReport decodeCookie(std::string_view text, VisitorState& out);

void base64UrlEncode(std::string_view bytes, std::string& out);
bool base64UrlDecode(std::string_view text, std::string& out);

}  // namespace attune
