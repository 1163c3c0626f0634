// The Engine and Visitor methods both builds share, as C functions for bindings/facade.js.
// Glue only: each forwards to EngineHandle / VisitorHandle.
#include "exports.h"

#include "engine_handle.h"
#include "hash.h"

using attune_exports::result;
using attune_exports::text;

namespace attune_exports {
namespace {
std::string scratch;  // the current call's string arguments
std::string kept;     // a result that has no other home
uint32_t resultSize = 0;
}  // namespace

const char* result(const std::string& bytes) {
  resultSize = static_cast<uint32_t>(bytes.size());
  return bytes.data();
}
const char* result(std::string&& bytes) {
  kept = std::move(bytes);
  return result(kept);
}

}  // namespace attune_exports

// Room for `size` bytes of arguments; valid until the next call that takes strings.
ATTUNE_EXPORT char* attune_scratch(uint32_t size) {
  if (attune_exports::scratch.size() < size) attune_exports::scratch.resize(size);
  return &attune_exports::scratch[0];
}
ATTUNE_EXPORT uint32_t attune_result_size() {
  return attune_exports::resultSize;
}

ATTUNE_EXPORT double attune_hash_bucket(const char* seed, uint32_t seedSize, const char* id,
                                        uint32_t idSize) {
  return attune::hashBucket(text(seed, seedSize), text(id, idSize));
}

// Visitor

ATTUNE_EXPORT VisitorHandle* attune_visitor_new() {
  return new VisitorHandle();
}
ATTUNE_EXPORT void attune_visitor_delete(VisitorHandle* v) {
  delete v;
}
ATTUNE_EXPORT const char* attune_visitor_id(VisitorHandle* v) {
  return result(v->id());
}
ATTUNE_EXPORT void attune_visitor_set_id(VisitorHandle* v, const char* id, uint32_t size) {
  v->setId(text(id, size));
}
ATTUNE_EXPORT const char* attune_visitor_state(VisitorHandle* v) {
  return result(v->stateView());
}
ATTUNE_EXPORT const char* attune_visitor_load_state(VisitorHandle* v, const char* bytes,
                                                    uint32_t size) {
  return result(v->loadState(text(bytes, size)));
}
ATTUNE_EXPORT const char* attune_visitor_cookie_text(VisitorHandle* v, uint32_t maxBytes) {
  return result(v->cookieText(maxBytes));
}
ATTUNE_EXPORT const char* attune_visitor_load_cookie(VisitorHandle* v, const char* cookie,
                                                     uint32_t size) {
  return result(v->loadCookie(text(cookie, size)));
}
ATTUNE_EXPORT void attune_visitor_forget(VisitorHandle* v) {
  v->forget();
}
ATTUNE_EXPORT const char* attune_visitor_consent_record(VisitorHandle* v) {
  return result(v->consentRecordJson());
}

// Engine (attune_engine_new is per build: full.cpp compiles JSON, lean.cpp loads bytes)

ATTUNE_EXPORT void attune_engine_delete(EngineHandle* e) {
  delete e;
}
ATTUNE_EXPORT int attune_engine_ok(EngineHandle* e) {
  return e->ok();
}
ATTUNE_EXPORT const char* attune_engine_errors(EngineHandle* e) {
  return result(e->errorsJson());
}
ATTUNE_EXPORT const char* attune_engine_decide(EngineHandle* e, const char* placement,
                                               uint32_t placementSize, const char* visitor,
                                               uint32_t visitorSize, int reasons) {
  return result(e->decideJson(text(placement, placementSize), text(visitor, visitorSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_decide_page(EngineHandle* e, const char* visitor,
                                                    uint32_t visitorSize, int reasons) {
  return result(e->decidePageJson(text(visitor, visitorSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_input(EngineHandle* e, uint32_t size) {
  return result(e->inputView(size));
}
ATTUNE_EXPORT uint32_t attune_engine_decide_page_from_input(EngineHandle* e, uint32_t length,
                                                            int reasons) {
  return e->decidePageFromInput(length, reasons);
}
ATTUNE_EXPORT const char* attune_engine_output(EngineHandle* e) {
  return result(e->outputView());
}
ATTUNE_EXPORT const char* attune_engine_set_visitor(EngineHandle* e, const char* visitor,
                                                    uint32_t visitorSize) {
  return result(e->setVisitorJson(text(visitor, visitorSize)));
}
ATTUNE_EXPORT const char* attune_engine_decide_current(EngineHandle* e, const char* placement,
                                                       uint32_t placementSize, int reasons) {
  return result(e->decideCurrentJson(text(placement, placementSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_compiled(EngineHandle* e) {
  return result(e->compiledView());
}
ATTUNE_EXPORT const char* attune_engine_track(EngineHandle* e, VisitorHandle* v, const char* type,
                                              uint32_t typeSize, const char* props,
                                              uint32_t propsSize, double nowMs) {
  return result(e->trackJson(*v, text(type, typeSize), text(props, propsSize), nowMs));
}
ATTUNE_EXPORT const char* attune_engine_replay_track(EngineHandle* e, VisitorHandle* v,
                                                     const char* type, uint32_t typeSize,
                                                     const char* props, uint32_t propsSize,
                                                     double nowMs) {
  return result(e->replayTrackJson(*v, text(type, typeSize), text(props, propsSize), nowMs));
}
ATTUNE_EXPORT void attune_engine_set_token_secret(EngineHandle* e, const char* secret,
                                                  uint32_t size) {
  e->setTokenSecret(text(secret, size));
}
ATTUNE_EXPORT void attune_engine_seed_token_entropy(EngineHandle* e, uint32_t seed) {
  e->seedTokenEntropy(seed);
}
ATTUNE_EXPORT const char* attune_engine_decide_page_counting_for(EngineHandle* e, VisitorHandle* v,
                                                                 const char* context,
                                                                 uint32_t contextSize,
                                                                 int reasons) {
  return result(e->decidePageCountingForJson(*v, text(context, contextSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_decide_placements_counting_for(
    EngineHandle* e, VisitorHandle* v, const char* placements, uint32_t placementsSize,
    const char* context, uint32_t contextSize, int reasons) {
  return result(e->decidePlacementsCountingForJson(*v, text(placements, placementsSize),
                                                   text(context, contextSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_decide_page_for(EngineHandle* e, VisitorHandle* v,
                                                        const char* context, uint32_t contextSize,
                                                        int reasons) {
  return result(e->decidePageForJson(*v, text(context, contextSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_decide_for(EngineHandle* e, VisitorHandle* v,
                                                   const char* placement, uint32_t placementSize,
                                                   const char* context, uint32_t contextSize,
                                                   int reasons) {
  return result(
      e->decideForJson(*v, text(placement, placementSize), text(context, contextSize), reasons));
}
ATTUNE_EXPORT const char* attune_engine_profile(EngineHandle* e, VisitorHandle* v, double nowMs) {
  return result(e->profileJson(*v, nowMs));
}
ATTUNE_EXPORT const char* attune_engine_set_consent(EngineHandle* e, VisitorHandle* v,
                                                    const char* inputs, uint32_t inputsSize,
                                                    const char* source, uint32_t sourceSize,
                                                    double nowMs) {
  return result(e->setConsentJson(*v, text(inputs, inputsSize), text(source, sourceSize), nowMs));
}
ATTUNE_EXPORT const char* attune_engine_purposes(EngineHandle* e, VisitorHandle* v, int gpc) {
  return result(e->purposesJson(*v, gpc));
}
ATTUNE_EXPORT const char* attune_engine_cookie_for(EngineHandle* e, VisitorHandle* v,
                                                   uint32_t maxBytes, int gpc) {
  return result(e->cookieForJson(*v, maxBytes, gpc));
}
