#include "consent.h"

#include <algorithm>

namespace attune {

namespace {

const char* const kPurposeNames[] = {"storage", "personalization", "measurement", "marketing",
                                     "sensitive"};

bool isSensitive(const ProfileSettings& settings, const std::string& key) {
  return std::binary_search(settings.sensitiveInterests.begin(), settings.sensitiveInterests.end(),
                            key);
}

// The purposes before GPC: default or stored record, then TCF, then explicit flags.
bool resolve(const ConsentPolicy& policy, const ConsentRecord& record, const ConsentInputs& inputs,
             uint8_t& purposes, std::string* error) {
  bool current = record.present && record.policyVersion >= policy.policyVersion;
  purposes = current ? record.purposes : (policy.optIn ? 0 : kOptOutDefault);
  if (!inputs.tcString.empty()) {
    TcfConsent tc;
    std::string why;
    if (decodeTcString(inputs.tcString, tc, why)) {
      uint8_t mapped = mapTcfPurposes(tc, policy.tcfMapping, policy.vendorId);
      uint8_t sensitive = purposeBit(Purpose::Sensitive);
      purposes = static_cast<uint8_t>((purposes & sensitive) | (mapped & ~sensitive));
    } else if (error) {
      *error = "TC string refused: " + why;
      return false;
    }
  }
  for (int p = 0; p < 5; ++p) {
    uint8_t bit = static_cast<uint8_t>(1u << p);
    if (inputs.flags[p] == 1) purposes |= bit;
    if (inputs.flags[p] == 0) purposes = static_cast<uint8_t>(purposes & ~bit);
  }
  return true;
}

void dropSensitive(Profile& profile, const ProfileSettings& settings) {
  auto& interests = profile.interests;
  interests.erase(
      std::remove_if(interests.begin(), interests.end(),
                     [&](const InterestScore& i) { return isSensitive(settings, i.key); }),
      interests.end());
  for (CartItem& item : profile.cart) {
    auto& c = item.categories;
    c.erase(std::remove_if(c.begin(), c.end(),
                           [&](const std::string& k) { return isSensitive(settings, k); }),
            c.end());
  }
  auto& bought = profile.categoryPurchases;
  bought.erase(
      std::remove_if(bought.begin(), bought.end(),
                     [&](const CategoryPurchase& p) { return isSensitive(settings, p.category); }),
      bought.end());
}

}  // namespace

const char* purposeName(Purpose p) {
  return kPurposeNames[static_cast<uint8_t>(p)];
}

bool purposeFromName(std::string_view name, Purpose& out) {
  for (uint8_t p = 0; p < 5; ++p) {
    if (name == kPurposeNames[p]) {
      out = static_cast<Purpose>(p);
      return true;
    }
  }
  return false;
}

bool readConsentInputs(const Doc& doc, NodeId node, ConsentInputs& inputs, std::string& error) {
  inputs = ConsentInputs();
  if (node == kNoNode) return true;
  if (doc.type(node) != Type::Object) {
    error = "consent: must be an object of purpose flags, tcString and gpc";
    return false;
  }
  for (NodeId c = doc.node(node).firstChild; c != kNoNode; c = doc.node(c).next) {
    std::string_view key = doc.key(c);
    Purpose purpose;
    if (key == "tcString" && doc.type(c) == Type::String) {
      inputs.tcString = doc.str(c);
    } else if (key == "gpc" && doc.type(c) == Type::Bool) {
      inputs.gpc = doc.node(c).boolean;
    } else if (purposeFromName(key, purpose) && doc.type(c) == Type::Bool) {
      inputs.flags[static_cast<uint8_t>(purpose)] = doc.node(c).boolean ? 1 : 0;
    } else {
      error = "consent." + std::string(key.substr(0, 64)) +
              ": expected a purpose flag (storage, personalization, measurement, marketing, "
              "sensitive: true/false), tcString (a string) or gpc (true/false)";
      return false;
    }
  }
  return true;
}

ConsentGate effectiveConsent(const ConsentPolicy& policy, const ConsentRecord& record,
                             const ConsentInputs& inputs) {
  uint8_t purposes = 0;
  ConsentInputs withoutBadTcf = inputs;
  if (!resolve(policy, record, inputs, purposes, nullptr)) {
    withoutBadTcf.tcString = {};  // a malformed TC string is ignored: the rest still applies
    resolve(policy, record, withoutBadTcf, purposes, nullptr);
  }
  if (inputs.gpc) purposes = static_cast<uint8_t>(purposes & ~purposeBit(Purpose::Marketing));
  ConsentGate gate;
  for (int p = 0; p < 5; ++p) gate.granted[p] = (purposes >> p) & 1;
  return gate;
}

bool updateConsent(VisitorState& state, const ConsentPolicy& policy,
                   const ProfileSettings& settings, const ConsentInputs& inputs,
                   std::string_view source, double nowMs, uint8_t& granted, std::string& error) {
  uint8_t before = 0, after = 0;
  ConsentInputs none;
  resolve(policy, state.consent, none, before, nullptr);
  if (!resolve(policy, state.consent, inputs, after, &error)) return false;
  auto lost = [&](Purpose p) { return (before & purposeBit(p)) && !(after & purposeBit(p)); };
  if (lost(Purpose::Storage) || lost(Purpose::Personalization) ||
      !(after & purposeBit(Purpose::Personalization))) {
    state.profile = Profile();  // no profile may exist without personalization
  } else if (!(after & purposeBit(Purpose::Sensitive))) {
    dropSensitive(state.profile, settings);
  }
  state.consent.present = true;
  state.consent.purposes = after;
  state.consent.updatedMs = nowMs;
  state.consent.source.assign(source.substr(0, 32));
  state.consent.policyVersion = policy.policyVersion;
  granted = after;
  return true;
}

void forgetVisitor(VisitorState& state) {
  state.profile = Profile();
  state.contacts.clear();
  state.visitorId.clear();
}

void writePurposesJson(uint8_t purposes, std::string& out) {
  out += '{';
  for (int p = 0; p < 5; ++p) {
    if (p) out += ',';
    writeJsonString(kPurposeNames[p], out);
    out += (purposes >> p) & 1 ? ":true" : ":false";
  }
  out += '}';
}

uint8_t purposeBits(const ConsentGate& gate) {
  uint8_t bits = 0;
  for (int p = 0; p < 5; ++p) bits |= static_cast<uint8_t>(gate.granted[p] << p);
  return bits;
}

void writeConsentRecordJson(const ConsentRecord& record, std::string& out) {
  out += "{\"present\":";
  out += record.present ? "true" : "false";
  out += ",\"purposes\":";
  writePurposesJson(record.purposes, out);
  out += ",\"updated\":";
  writeJsonNumber(record.updatedMs, out);
  out += ",\"source\":";
  writeJsonString(record.source, out);
  out += ",\"policyVersion\":";
  writeJsonNumber(record.policyVersion, out);
  out += '}';
}

}  // namespace attune
