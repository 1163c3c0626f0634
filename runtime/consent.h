// Consent (SPEC §7): which purposes are in force for a visitor, where that came from, and
// what a change does to the stored profile.
//
// Sources, in increasing precedence: the config's policy default (optIn: nothing until
// consent; optOut: everything but `sensitive`), the stored consent record, an IAB TCF v2.2
// TC string (mapped per the config, optionally through a vendor id), the site's explicit
// flags; finally Global Privacy Control denies `marketing` whatever the rest says.
// `sensitive` is granted only by an explicit flag.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "doc.h"
#include "profile.h"
#include "state_blob.h"
#include "tcf.h"

namespace attune {

constexpr uint8_t kAllPurposes = 0x1F;
constexpr uint8_t kOptOutDefault = 0x0F;  // storage, personalization, measurement, marketing

inline uint8_t purposeBit(Purpose p) {
  return static_cast<uint8_t>(1u << static_cast<uint8_t>(p));
}
const char* purposeName(Purpose p);
bool purposeFromName(std::string_view name, Purpose& out);

struct ConsentPolicy {
  bool optIn = true;           // the EU default: only contextual decisions until consent
  uint16_t vendorId = 0;       // the site's TCF vendor id; 0: no vendor check
  uint32_t policyVersion = 1;  // bump when the privacy notice changes
  TcfMapping tcfMapping;       // which TCF purposes grant each Attune purpose
};

// What the host reports: explicit flags (-1 unset, 0 denied, 1 granted), a TC string, GPC.
struct ConsentInputs {
  int8_t flags[5] = {-1, -1, -1, -1, -1};
  std::string_view tcString;
  bool gpc = false;
};

// Reads {"storage": true, …, "tcString": "…", "gpc": true} at `node` of `doc` (an object;
// kNoNode: nothing). The TC string view points into `doc`. False with a message naming
// the key on anything else.
bool readConsentInputs(const Doc& doc, NodeId node, ConsentInputs& inputs, std::string& error);

// The purposes in force for one decision or event.
ConsentGate effectiveConsent(const ConsentPolicy& policy, const ConsentRecord& record,
                             const ConsentInputs& inputs);

// Records a consent change from `source` ("banner", "tcf", "api" …) at `nowMs`. Withdrawing
// `storage` or `personalization` erases the profile at once (in memory; the host rewrites
// storage), so only the consent record remains. A malformed TC string is refused with a
// reason and changes nothing. Returns the purposes now granted.
// Withdrawing `sensitive` purges sensitive keys from the stored profile too.
bool updateConsent(VisitorState& state, const ConsentPolicy& policy,
                   const ProfileSettings& settings, const ConsentInputs& inputs,
                   std::string_view source, double nowMs, uint8_t& granted, std::string& error);

// forget(): the profile and the visitor id go; the consent record stays (proof of consent).
void forgetVisitor(VisitorState& state);

// {"storage": true, "personalization": false, …} for a purpose bitmask.
void writePurposesJson(uint8_t purposes, std::string& out);
uint8_t purposeBits(const ConsentGate& gate);

// {"purposes": {"storage": true, …}, "updated": ms, "source": "...", "policyVersion": n,
//  "present": bool} — what the site shows a regulator.
void writeConsentRecordJson(const ConsentRecord& record, std::string& out);

}  // namespace attune
