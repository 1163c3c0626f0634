// Embind glue for the full build: JSON strings in, JSON strings out. No logic lives here;
// every function forwards to the core so all hosts run the same code.
#include <emscripten/bind.h>

#include <memory>
#include <string>

#include "config_compiler.h"
#include "decider.h"
#include "hash.h"
#include "serialize.h"
#include "tools.h"

namespace {

class EngineHandle {
 public:
  explicit EngineHandle(const std::string& configJson) {
    attune::CompileResult result = attune::compileConfig(configJson);
    problems_ = std::move(result.problems);
    engine_ = std::move(result.engine);
    if (engine_) decider_ = std::make_unique<attune::Decider>(*engine_);
  }

  bool ok() const { return engine_ != nullptr; }

  std::string errorsJson() const {
    std::string out;
    attune::writeProblemsJson(problems_, out);
    return out;
  }

  // The compiled binary form (for the lean build) as a view into Wasm memory; the JS
  // wrapper copies it out before the next call.
  emscripten::val compiledView() {
    binary_.clear();
    if (engine_) attune::saveEngine(*engine_, binary_);
    return emscripten::val(emscripten::typed_memory_view(
        binary_.size(), reinterpret_cast<const uint8_t*>(binary_.data())));
  }

  std::string decideJson(const std::string& placement, const std::string& visitorJson,
                         bool reasons) {
    out_.clear();
    if (!decider_) return "{\"error\":\"the config did not compile\"}";
    decider_->decideJson(placement, visitorJson, reasons, out_);
    return out_;
  }

  std::string decidePageJson(const std::string& visitorJson, bool reasons) {
    out_.clear();
    if (!decider_) return "{\"error\":\"the config did not compile\"}";
    decider_->decidePageJson(visitorJson, reasons, out_);
    return out_;
  }

 private:
  attune::Problems problems_;
  std::unique_ptr<attune::Engine> engine_;
  std::unique_ptr<attune::Decider> decider_;
  std::string out_;
  std::string binary_;
};

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

double hashBucket(const std::string& seed, const std::string& id) {
  return attune::hashBucket(seed, id);
}

std::string version() {
  return "0.1.0";
}

}  // namespace

EMSCRIPTEN_BINDINGS(attune) {
  emscripten::class_<EngineHandle>("Engine")
      .constructor<const std::string&>()
      .function("ok", &EngineHandle::ok)
      .function("errorsJson", &EngineHandle::errorsJson)
      .function("decideJson", &EngineHandle::decideJson)
      .function("decidePageJson", &EngineHandle::decidePageJson)
      .function("compiledView", &EngineHandle::compiledView);
  emscripten::function("evalConditionJson", &evalCondition);
  emscripten::function("negotiateLocaleJson", &negotiateLocale);
  emscripten::function("renderTemplateJson", &renderTemplate);
  emscripten::function("hashBucket", &hashBucket);
  emscripten::function("version", &version);
}
