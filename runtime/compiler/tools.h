// One-call entry points over JSON text, shared by the CLI, the Wasm bindings and the test
// vectors, so every host runs exactly the same code for the same case.
#pragma once

#include <string>
#include <string_view>

namespace attune {

// {condition} over {attributes} → "true", "false" or {"error": "..."} (compile problems).
std::string evalConditionJson(std::string_view condition, std::string_view attributes);

// {"acceptLanguage"?: "...", "requested"?: [...], "available": [...], "defaultLocale": "en"}
// → {"locale": "...", "dir": "ltr" | "rtl"} or {"error": "..."}.
std::string negotiateLocaleJson(std::string_view request);

// {"template", "context", "maxLength"?, "fallback"?} → {"text"} | {"dropped": true} |
// {"error": "..."}.
std::string renderTemplateJson(std::string_view request);

}  // namespace attune
