// Embind glue for the full build: JSON strings in, JSON strings out. No logic lives here;
// every function forwards to the core so all hosts run the same code.
#include <emscripten/bind.h>

#include <string>

#include "config_compiler.h"
#include "engine_handle.h"
#include "hash.h"
#include "kpi.h"
#include "tcf.h"
#include "tools.h"

namespace {

EngineHandle* compileHandle(const std::string& configJson) {
  attune::CompileResult result = attune::compileConfig(configJson);
  return new EngineHandle(std::move(result.engine), std::move(result.problems));
}

// Embind marshals std::string, not std::string_view.
std::string evalCondition(const std::string& condition, const std::string& attributes) {
  return attune::evalConditionJson(condition, attributes);
}
std::string negotiateLocale(const std::string& request) {
  return attune::negotiateLocaleJson(request);
}
std::string renderTemplate(const std::string& request) {
  return attune::renderTemplateJson(request);
}
std::string simulate(const std::string& request) {
  return attune::simulateJson(request);
}
// The decoded TC string and the purposes it maps to (default mapping), or {"error"}.
std::string tcfJson(const std::string& tcString, double vendorId) {
  std::string out;
  attune::describeTcString(tcString, vendorId, attune::TcfMapping(), out);
  return out;
}
double hashBucket(const std::string& seed, const std::string& id) {
  return attune::hashBucket(seed, id);
}
// KPIs over a stream of event batches (the demo's traffic simulation in a Web Worker).
class KpiHandle {
 public:
  // "" when every event was added, else the first problem.
  std::string addJson(const std::string& eventsJson) {
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

std::string version() {
  return "0.1.0";
}

}  // namespace

EMSCRIPTEN_BINDINGS(attune) {
  auto engine = emscripten::class_<EngineHandle>("Engine").constructor(
      &compileHandle, emscripten::allow_raw_pointers());
  registerEngineMethods(engine);
  // The edge worker's one crossing per request (full build only: the edge bundles it).
  engine.function("edgeDecideFromInput", &EngineHandle::edgeDecideFromInput);
  emscripten::class_<KpiHandle>("Kpi")
      .constructor<>()
      .function("addJson", &KpiHandle::addJson)
      .function("reportJson", &KpiHandle::reportJson);
  emscripten::function("evalConditionJson", &evalCondition);
  emscripten::function("negotiateLocaleJson", &negotiateLocale);
  emscripten::function("renderTemplateJson", &renderTemplate);
  emscripten::function("simulateJson", &simulate);
  emscripten::function("tcfJson", &tcfJson);
  emscripten::function("hashBucket", &hashBucket);
  emscripten::function("version", &version);
}
