// The C ABI the JS facade (bindings/facade.js) calls. Strings cross through Wasm memory:
// JS encodes each string argument (UTF-8) into the scratch buffer and passes pointer and
// length; a string result is returned as a pointer, and its length is read right after with
// attune_result_size(). No Embind: its runtime cost ~10 KB gzip of JS and Wasm (bench/README.md).
#pragma once

#include <emscripten/emscripten.h>

#include <cstdint>
#include <string>
#include <string_view>

#define ATTUNE_EXPORT extern "C" EMSCRIPTEN_KEEPALIVE

namespace attune_exports {

inline std::string_view text(const char* data, uint32_t size) {
  return {data, size};
}
// `bytes` stays where it is (a handle's buffer): JS reads it before its next call.
const char* result(const std::string& bytes);
// A temporary result is moved into a buffer of its own.
const char* result(std::string&& bytes);

}  // namespace attune_exports
