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

// Replays a visitor's timeline against a config (the CLI's `simulate`, and the profile
// vectors on every host). Request:
//   {"config": {...}, "visitor": {...input without now...}, "consent"?: {"sensitive": true, …},
//    "steps": [{"at": instant, "track": type, "props"?: {...}} | {"at", "decide": true,
//              "reasons"?: bool, "count"?: bool} | {"at", "profile": true}
//              | {"at", "report": "impression"|"click"|"dismiss"|"conversion",
//                 "placement": id | "token": text, "value"?: n}
//              | {"at", "reload": "blob"|"cookie"} | {"at", "visitor": {...}}]}
// Tokens are deterministic: the built-in key, and a nonce counter that starts at 0 for the
// run and keeps counting across "visitor" steps (so vectors can pin token texts).
// "count": what the decisions show counts as impressions at once (edge rendering). A report
// uses the placement's latest token unless one is given. A "visitor" step with another id
// starts a new visitor (fresh state, the same initial consent): traffic in one run.
// Answer: {"steps": [one result per step, each with "at" (ms)], "stateBytes": n,
//          "cookieBytes": n, "kpi"?: {the KPI report of the reports, runtime/kpi.h}} or
//          {"error": "..."}.
std::string simulateJson(std::string_view request);

}  // namespace attune
