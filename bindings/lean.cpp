// The lean build's own export: an Engine loaded from the compiled binary form (written by
// `attune compile`). No JSON config parser is linked, which is what keeps this module small
// enough for pages and edges. No logic lives here.
#include <memory>
#include <string>

#include "engine_handle.h"
#include "exports.h"

ATTUNE_EXPORT EngineHandle* attune_engine_new(const char* compiled, uint32_t size) {
  auto engine = std::make_unique<attune::Engine>();
  std::string error;
  if (attune::loadEngine(attune_exports::text(compiled, size), *engine, error)) {
    return new EngineHandle(std::move(engine), {});
  }
  return new EngineHandle(nullptr, {{"", error}});
}
