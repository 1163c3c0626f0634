// Embind glue for the lean build: loads a compiled config (the binary form written by
// `attune compile`) and decides. No JSON config parser is linked, which is what keeps this
// module small enough for pages and edges. No logic lives here.
#include <emscripten/bind.h>

#include <memory>
#include <string>

#include "decider.h"
#include "hash.h"
#include "serialize.h"

namespace {

class LeanEngine {
 public:
  // Embind hands a Uint8Array over as the bytes of a std::string.
  explicit LeanEngine(const std::string& compiled) {
    auto engine = std::make_unique<attune::Engine>();
    if (attune::loadEngine(compiled, *engine, error_)) {
      engine_ = std::move(engine);
      decider_ = std::make_unique<attune::Decider>(*engine_);
    }
  }

  bool ok() const { return engine_ != nullptr; }
  std::string error() const { return error_; }

  std::string decideJson(const std::string& placement, const std::string& visitorJson,
                         bool reasons) {
    out_.clear();
    if (!decider_) return "{\"error\":\"the compiled config did not load\"}";
    decider_->decideJson(placement, visitorJson, reasons, out_);
    return out_;
  }

  std::string decidePageJson(const std::string& visitorJson, bool reasons) {
    out_.clear();
    if (!decider_) return "{\"error\":\"the compiled config did not load\"}";
    decider_->decidePageJson(visitorJson, reasons, out_);
    return out_;
  }

 private:
  std::string error_;
  std::unique_ptr<attune::Engine> engine_;
  std::unique_ptr<attune::Decider> decider_;
  std::string out_;
};

double hashBucket(const std::string& seed, const std::string& id) {
  return attune::hashBucket(seed, id);
}

}  // namespace

EMSCRIPTEN_BINDINGS(attune_lean) {
  emscripten::class_<LeanEngine>("Engine")
      .constructor<const std::string&>()
      .function("ok", &LeanEngine::ok)
      .function("error", &LeanEngine::error)
      .function("decideJson", &LeanEngine::decideJson)
      .function("decidePageJson", &LeanEngine::decidePageJson);
  emscripten::function("hashBucket", &hashBucket);
}
