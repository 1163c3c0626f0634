// Embind glue for the lean build: loads a compiled config (the binary form written by
// `attune compile`) and decides. No JSON config parser is linked, which is what keeps this
// module small enough for pages and edges. No logic lives here.
#include <emscripten/bind.h>

#include <string>

#include "engine_handle.h"
#include "hash.h"

namespace {

// Embind hands a Uint8Array over as the bytes of a std::string.
EngineHandle* loadHandle(const std::string& compiled) {
  auto engine = std::make_unique<attune::Engine>();
  std::string error;
  if (attune::loadEngine(compiled, *engine, error)) {
    return new EngineHandle(std::move(engine), {});
  }
  return new EngineHandle(nullptr, {{"", error}});
}

double hashBucket(const std::string& seed, const std::string& id) {
  return attune::hashBucket(seed, id);
}

}  // namespace

EMSCRIPTEN_BINDINGS(attune_lean) {
  auto engine = emscripten::class_<EngineHandle>("Engine").constructor(
      &loadHandle, emscripten::allow_raw_pointers());
  registerEngineMethods(engine);
  emscripten::function("hashBucket", &hashBucket);
}
