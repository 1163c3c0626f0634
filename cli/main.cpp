// attune — the native command line: validate, decide, eval.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "config_compiler.h"
#include "decider.h"
#include "kpi.h"
#include "serialize.h"
#include "tcf.h"
#include "tools.h"

namespace {

const char kUsage[] =
    "usage:\n"
    "  attune validate CONFIG.json              exit 0 when valid; problems listed otherwise\n"
    "  attune decide CONFIG.json|CONFIG.bin VISITOR.json [--reasons] [--placement ID]\n"
    "                                           the page decision (or one placement) as JSON\n"
    "  attune compile CONFIG.json -o OUT.bin    the binary form the lean Wasm build loads\n"
    "  attune simulate CONFIG.json STEPS.jsonl [--visitor VISITOR.json] [--consent CONSENT.json]\n"
    "                                           replays a timeline (one step per line: track,\n"
    "                                           decide, report, profile, reload, visitor) and\n"
    "                                           prints each result, then the KPIs of the reports\n"
    "  attune consent --tcf STRING [--vendor ID]\n"
    "                                           the decoded TC string and the purposes it grants\n"
    "  attune kpi EVENTS.json                   per campaign and variant: impressions, CTR,\n"
    "                                           conversion, revenue/visitor, uplift vs holdout\n"
    "  attune eval                              JSON Lines on stdin: {\"condition\", "
    "\"attributes\"}\n"
    "                                           → one line each: true, false or {\"error\"}\n";

bool readFile(const char* path, std::string& out) {
  FILE* f = std::strcmp(path, "-") == 0 ? stdin : std::fopen(path, "rb");
  if (!f) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool ok = !std::ferror(f);
  if (f != stdin) std::fclose(f);
  return ok;
}

void printProblems(const char* file, const attune::Problems& problems) {
  for (const attune::Problem& p : problems) {
    std::fprintf(stderr, "%s: %s: %s\n", file, p.path.empty() ? "(root)" : p.path.c_str(),
                 p.message.c_str());
  }
}

int validate(const char* file) {
  std::string text;
  if (!readFile(file, text)) {
    std::fprintf(stderr, "%s: cannot read: %s\n", file, std::strerror(errno));
    return 2;
  }
  attune::CompileResult result = attune::compileConfig(text);
  if (!result.problems.empty()) {
    printProblems(file, result.problems);
    std::fprintf(stderr, "%zu problem%s\n", result.problems.size(),
                 result.problems.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: valid (%zu placements, %zu campaigns, %zu segments)\n", file,
              result.engine->placements.size(), result.engine->campaigns.size(),
              result.engine->segments.size());
  return 0;
}

// A config file is JSON, or the binary form written by `attune compile`.
bool loadAny(const char* file, const std::string& bytes, std::unique_ptr<attune::Engine>& out) {
  if (bytes.rfind("ATNC", 0) == 0) {
    auto engine = std::make_unique<attune::Engine>();
    std::string error;
    if (!attune::loadEngine(bytes, *engine, error)) {
      std::fprintf(stderr, "%s: %s\n", file, error.c_str());
      return false;
    }
    out = std::move(engine);
    return true;
  }
  attune::CompileResult result = attune::compileConfig(bytes);
  if (!result.problems.empty()) {
    printProblems(file, result.problems);
    return false;
  }
  out = std::move(result.engine);
  return true;
}

int compile(int argc, char** argv) {
  if (argc != 5 || std::strcmp(argv[3], "-o") != 0) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string config;
  if (!readFile(argv[2], config)) {
    std::fprintf(stderr, "%s: cannot read: %s\n", argv[2], std::strerror(errno));
    return 2;
  }
  attune::CompileResult result = attune::compileConfig(config);
  if (!result.problems.empty()) {
    printProblems(argv[2], result.problems);
    return 1;
  }
  std::string binary;
  attune::saveEngine(*result.engine, binary);
  FILE* f = std::fopen(argv[4], "wb");
  if (!f || std::fwrite(binary.data(), 1, binary.size(), f) != binary.size() ||
      std::fclose(f) != 0) {
    std::fprintf(stderr, "%s: cannot write: %s\n", argv[4], std::strerror(errno));
    return 2;
  }
  std::printf("%s: %zu bytes (JSON %zu bytes)\n", argv[4], binary.size(), config.size());
  return 0;
}

int decide(int argc, char** argv) {
  const char* configFile = nullptr;
  const char* visitorFile = nullptr;
  const char* placement = nullptr;
  bool reasons = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reasons") == 0) {
      reasons = true;
    } else if (std::strcmp(argv[i], "--placement") == 0 && i + 1 < argc) {
      placement = argv[++i];
    } else if (!configFile) {
      configFile = argv[i];
    } else if (!visitorFile) {
      visitorFile = argv[i];
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (!configFile || !visitorFile) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string config, visitor;
  if (!readFile(configFile, config) || !readFile(visitorFile, visitor)) {
    std::fprintf(stderr, "cannot read %s or %s\n", configFile, visitorFile);
    return 2;
  }
  std::unique_ptr<attune::Engine> engine;
  if (!loadAny(configFile, config, engine)) return 1;
  attune::Decider decider(*engine);
  std::string out;
  if (placement)
    decider.decideJson(placement, visitor, reasons, out);
  else
    decider.decidePageJson(visitor, reasons, out);
  std::printf("%s\n", out.c_str());
  return out.rfind("{\"error\"", 0) == 0 ? 1 : 0;
}

// Reads one line of any length from stdin; false at end of input.
bool readLine(std::string& line) {
  line.clear();
  int c;
  bool any = false;
  while ((c = std::getchar()) != EOF) {
    any = true;
    if (c == '\n') return true;
    line += static_cast<char>(c);
  }
  return any;
}

int eval() {
  std::string line;
  attune::Doc doc;
  std::string condition, attributes;
  while (readLine(line)) {
    if (line.empty() || line == "\r") continue;
    attune::ParseError err;
    attune::ParseLimits limits;
    limits.maxBytes = 64u << 20;
    limits.maxNodes = 10000000;
    if (!doc.parse(line, err, limits) || doc.type(0) != attune::Type::Object) {
      std::string message = err.message.empty() ? "each line must be a JSON object" : err.message;
      std::string out = "{\"error\":";
      attune::writeJsonString("input line: " + message, out);
      std::printf("%s}\n", out.c_str());
      continue;
    }
    attune::NodeId c = doc.member(0, "condition");
    attune::NodeId a = doc.member(0, "attributes");
    condition.clear();
    attributes.clear();
    if (c == attune::kNoNode)
      condition = "null";
    else
      doc.write(c, condition);
    if (a == attune::kNoNode)
      attributes = "{}";
    else
      doc.write(a, attributes);
    std::printf("%s\n", attune::evalConditionJson(condition, attributes).c_str());
  }
  return 0;
}

}  // namespace

int simulate(int argc, char** argv) {
  const char* files[2] = {nullptr, nullptr};
  const char* visitorFile = nullptr;
  const char* consentFile = nullptr;
  int positional = 0;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--visitor") == 0 && i + 1 < argc) {
      visitorFile = argv[++i];
    } else if (std::strcmp(argv[i], "--consent") == 0 && i + 1 < argc) {
      consentFile = argv[++i];
    } else if (positional < 2) {
      files[positional++] = argv[i];
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (positional != 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string config, steps, visitor, consent;
  if (!readFile(files[0], config) || !readFile(files[1], steps) ||
      (visitorFile && !readFile(visitorFile, visitor)) ||
      (consentFile && !readFile(consentFile, consent))) {
    std::fprintf(stderr, "cannot read an input file\n");
    return 2;
  }
  if (visitor.empty()) visitor = "{}";
  if (consent.empty()) consent = "{}";
  std::string request = "{\"config\":" + config + ",\"visitor\":" + visitor +
                        ",\"consent\":" + consent + ",\"steps\":[";
  size_t start = 0;
  bool first = true;
  while (start < steps.size()) {
    size_t end = steps.find('\n', start);
    if (end == std::string::npos) end = steps.size();
    std::string_view line(steps.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!first) request += ',';
    first = false;
    request.append(line.data(), line.size());
  }
  request += "]}";
  std::string answer = attune::simulateJson(request);
  attune::Doc doc;
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 1u << 30;
  limits.maxNodes = 0xFFFFFFFFu;
  if (!doc.parse(answer, err, limits) || doc.member(0, "error") != attune::kNoNode) {
    std::fprintf(stderr, "%s\n", answer.c_str());
    return 1;
  }
  attune::NodeId results = doc.member(0, "steps");
  for (attune::NodeId r = doc.node(results).firstChild; r != attune::kNoNode;
       r = doc.node(r).next) {
    std::string line;
    doc.write(r, line);
    std::printf("%s\n", line.c_str());
  }
  std::printf("{\"stateBytes\":%.0f,\"cookieBytes\":%.0f}\n",
              doc.node(doc.member(0, "stateBytes")).number,
              doc.node(doc.member(0, "cookieBytes")).number);
  // The KPIs of the timeline's reports (impressions, CTR, conversion, revenue, uplift).
  attune::NodeId kpi = doc.member(0, "kpi");
  if (kpi != attune::kNoNode) {
    std::string line = "{\"kpi\":";
    doc.write(kpi, line);
    std::printf("%s}\n", line.c_str());
  }
  return 0;
}

int consent(int argc, char** argv) {
  const char* tc = nullptr;
  double vendor = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tcf") == 0) {
      tc = argv[i + 1];
    } else if (std::strcmp(argv[i], "--vendor") == 0) {
      char* end = nullptr;
      vendor = std::strtod(argv[i + 1], &end);
      if (!end || *end) vendor = -1;  // refused below with a reason
    } else {
      tc = nullptr;
      break;
    }
  }
  if (!tc || argc % 2 != 0) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string out;
  bool ok = attune::describeTcString(tc, vendor, attune::TcfMapping(), out);
  std::printf("%s\n", out.c_str());
  return ok ? 0 : 1;
}

int kpi(const char* file) {
  std::string events;
  if (!readFile(file, events)) {
    std::fprintf(stderr, "%s: cannot read: %s\n", file, std::strerror(errno));
    return 2;
  }
  std::string out;
  attune::kpiReportJson(events, out);
  std::printf("%s\n", out.c_str());
  return out.rfind("{\"error\"", 0) == 0 ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "validate") == 0) return validate(argv[2]);
  if (argc >= 2 && std::strcmp(argv[1], "decide") == 0) return decide(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "compile") == 0) return compile(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "simulate") == 0) return simulate(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "consent") == 0) return consent(argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "kpi") == 0) return kpi(argv[2]);
  if (argc == 2 && std::strcmp(argv[1], "eval") == 0) return eval();
  std::fputs(kUsage, stderr);
  return 2;
}
