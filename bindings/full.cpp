// The full build's own exports: an Engine compiled from JSON, KPIs, and the tool functions.
// JSON strings in, JSON strings out (bindings/facade_full.js wraps them). No logic lives
// here; every function forwards to the core so all hosts run the same code.
#include <string>

#include "config_compiler.h"
#include "engine_handle.h"
#include "exports.h"
#include "kpi.h"
#include "tcf.h"
#include "tools.h"

using attune_exports::result;
using attune_exports::text;

namespace {

// KPIs over a stream of event batches (the demo's traffic simulation in a Web Worker).
class KpiHandle {
 public:
  // "" when every event was added, else the first problem.
  std::string addJson(std::string_view eventsJson) {
    std::string error;
    return attune::addKpiEventsJson(acc_, eventsJson, scratch_, error) ? std::string() : error;
  }
  std::string reportJson() const {
    attune::KpiReport report;
    acc_.report(report);
    std::string out;
    attune::writeKpiJson(report, out);
    return out;
  }

 private:
  attune::KpiAccumulator acc_;
  attune::Doc scratch_;
};

}  // namespace

ATTUNE_EXPORT EngineHandle* attune_engine_new(const char* config, uint32_t size) {
  attune::CompileResult compiled = attune::compileConfig(text(config, size));
  return new EngineHandle(std::move(compiled.engine), std::move(compiled.problems));
}

// The edge worker's one crossing per request (full build only: the edge bundles it).
ATTUNE_EXPORT const char* attune_engine_edge_decide_from_input(
    EngineHandle* e, VisitorHandle* v, uint32_t cookieLength, uint32_t idLength,
    uint32_t placementsLength, uint32_t contextLength, int gpc, uint32_t cookieBudget) {
  return result(e->edgeDecideFromInput(*v, cookieLength, idLength, placementsLength, contextLength,
                                       gpc, cookieBudget));
}

ATTUNE_EXPORT KpiHandle* attune_kpi_new() {
  return new KpiHandle();
}
ATTUNE_EXPORT void attune_kpi_delete(KpiHandle* k) {
  delete k;
}
ATTUNE_EXPORT const char* attune_kpi_add(KpiHandle* k, const char* events, uint32_t size) {
  return result(k->addJson(text(events, size)));
}
ATTUNE_EXPORT const char* attune_kpi_report(KpiHandle* k) {
  return result(k->reportJson());
}

ATTUNE_EXPORT const char* attune_eval_condition(const char* condition, uint32_t conditionSize,
                                                const char* attributes, uint32_t attributesSize) {
  return result(
      attune::evalConditionJson(text(condition, conditionSize), text(attributes, attributesSize)));
}
ATTUNE_EXPORT const char* attune_negotiate_locale(const char* request, uint32_t size) {
  return result(attune::negotiateLocaleJson(text(request, size)));
}
ATTUNE_EXPORT const char* attune_render_template(const char* request, uint32_t size) {
  return result(attune::renderTemplateJson(text(request, size)));
}
ATTUNE_EXPORT const char* attune_simulate(const char* request, uint32_t size) {
  return result(attune::simulateJson(text(request, size)));
}
// The decoded TC string and the purposes it maps to (default mapping), or {"error"}.
ATTUNE_EXPORT const char* attune_tcf(const char* tcString, uint32_t size, double vendorId) {
  std::string out;
  attune::describeTcString(text(tcString, size), vendorId, attune::TcfMapping(), out);
  return result(std::move(out));
}
ATTUNE_EXPORT const char* attune_version() {
  return result(std::string("0.1.0"));
}
