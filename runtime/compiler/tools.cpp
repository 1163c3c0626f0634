#include "tools.h"

#include "condition_compiler.h"
#include "config_compiler.h"
#include "decider.h"
#include "doc.h"
#include "local_time.h"
#include "locale_negotiation.h"
#include "template.h"
#include "utf8.h"
#include "visitor_io.h"

namespace attune {

namespace {

std::string errorJson(const std::string& message) {
  std::string out = "{\"error\":";
  writeJsonString(message, out);
  out += '}';
  return out;
}

bool parseRequest(std::string_view text, Doc& doc, std::string& error) {
  ParseError err;
  ParseLimits limits;
  limits.maxBytes = 16u << 20;
  if (!doc.parse(text, err, limits)) {
    error = err.message + " at offset " + std::to_string(err.offset);
    return false;
  }
  if (doc.type(0) != Type::Object) {
    error = "the request must be a JSON object";
    return false;
  }
  return true;
}

}  // namespace

std::string evalConditionJson(std::string_view condition, std::string_view attributes) {
  Json cond = Json::parse(condition.begin(), condition.end(), nullptr, false);
  if (cond.is_discarded()) return errorJson("condition: invalid JSON");
  Doc attrs;
  ParseError err;
  ParseLimits limits;
  limits.maxBytes = 16u << 20;
  if (!attrs.parse(attributes, err, limits)) {
    return errorJson("attributes: " + err.message + " at offset " + std::to_string(err.offset));
  }
  CondProgram program;
  Problems problems;
  ConditionCompiler compiler(program, problems);
  uint32_t root = compiler.compile(cond, "condition");
  if (!problems.empty()) return errorJson(problems[0].path + ": " + problems[0].message);
  CondEvaluator evaluator(program);
  return evaluator.test(root, attrs, 0) ? "true" : "false";
}

std::string negotiateLocaleJson(std::string_view request) {
  Doc req;
  std::string error;
  if (!parseRequest(request, req, error)) return errorJson(error);
  std::vector<LanguageTag> requested;
  NodeId list = req.member(0, "requested");
  NodeId accept = req.member(0, "acceptLanguage");
  if (list != kNoNode && req.type(list) == Type::Array) {
    for (NodeId c = req.node(list).firstChild; c != kNoNode; c = req.node(c).next) {
      if (req.type(c) == Type::String) appendLanguageTag(req.str(c), requested);
    }
  } else if (accept != kNoNode && req.type(accept) == Type::String) {
    parseAcceptLanguage(req.str(accept), requested);
  }
  std::vector<std::string> normalised;
  NodeId available = req.member(0, "available");
  if (available == kNoNode || req.type(available) != Type::Array) {
    return errorJson("available: must be an array of language tags");
  }
  for (NodeId c = req.node(available).firstChild; c != kNoNode; c = req.node(c).next) {
    LanguageTag tag;
    if (req.type(c) != Type::String || !parseLanguageTag(req.str(c), tag)) {
      return errorJson("available: every entry must be a valid language tag");
    }
    normalised.emplace_back(tag.tag());
  }
  NodeId def = req.member(0, "defaultLocale");
  LanguageTag fallback;
  if (def == kNoNode || req.type(def) != Type::String ||
      !parseLanguageTag(req.str(def), fallback)) {
    return errorJson("defaultLocale: must be a valid language tag");
  }
  std::vector<std::string_view> views(normalised.begin(), normalised.end());
  int found = lookupLocale(requested, views);
  LanguageTag chosen;
  parseLanguageTag(found >= 0 ? views[found] : fallback.tag(), chosen);
  std::string out = "{\"locale\":";
  writeJsonString(chosen.tag(), out);
  out += ",\"dir\":";
  out += isRightToLeft(chosen) ? "\"rtl\"" : "\"ltr\"";
  out += '}';
  return out;
}

std::string renderTemplateJson(std::string_view request) {
  Doc req;
  std::string error;
  if (!parseRequest(request, req, error)) return errorJson(error);
  NodeId source = req.member(0, "template");
  if (source == kNoNode || req.type(source) != Type::String) {
    return errorJson("template: must be a string");
  }
  CompiledTemplate compiled;
  if (!compileTemplate(req.str(source), compiled, error)) return errorJson("template: " + error);
  NodeId context = req.member(0, "context");
  auto resolve = [&](std::string_view path, std::string& out) {
    return req.appendText(context == kNoNode ? kNoNode : req.path(context, path), out);
  };
  std::string text;
  if (renderTemplate(compiled, resolve, text) != RenderStatus::Ok) {
    NodeId fallback = req.member(0, "fallback");
    if (fallback == kNoNode || req.type(fallback) != Type::String) return "{\"dropped\":true}";
    text.assign(req.str(fallback));
  }
  NodeId maxLength = req.member(0, "maxLength");
  if (maxLength != kNoNode && req.type(maxLength) == Type::Number &&
      req.node(maxLength).number >= 1) {
    applyMaxLength(text, static_cast<uint32_t>(req.node(maxLength).number));
  }
  std::string out = "{\"text\":";
  writeJsonString(text, out);
  out += '}';
  return out;
}

namespace {

bool instantOf(const Doc& doc, NodeId n, double& ms) {
  if (n == kNoNode) return false;
  if (doc.type(n) == Type::Number) {
    ms = doc.node(n).number;
    return true;
  }
  return doc.type(n) == Type::String && parseInstant(doc.str(n), ms);
}

// The visitor input for one decision: the simulated visitor plus "now".
std::string visitorAt(const Doc& doc, NodeId visitor, double nowMs) {
  Doc input;
  NodeId root = input.addObject();
  if (visitor != kNoNode && doc.type(visitor) == Type::Object) {
    for (NodeId c = doc.node(visitor).firstChild; c != kNoNode; c = doc.node(c).next) {
      if (doc.key(c) == "now") continue;
      input.append(root, input.copyFrom(doc, c), doc.key(c));
    }
  }
  input.append(root, input.addNumber(nowMs), "now");
  std::string out;
  input.write(root, out);
  return out;
}

}  // namespace

std::string simulateJson(std::string_view request) {
  Doc req;
  std::string error;
  if (!parseRequest(request, req, error)) return errorJson(error);
  NodeId config = req.member(0, "config");
  if (config == kNoNode) return errorJson("config: is required");
  std::string configJson;
  req.write(config, configJson);
  CompileResult compiled = compileConfig(configJson);
  if (!compiled.engine) {
    return errorJson("config: " + compiled.problems[0].path + ": " + compiled.problems[0].message);
  }
  const Engine& engine = *compiled.engine;
  VisitorState state;
  NodeId visitor = req.member(0, "visitor");
  NodeId id = visitor == kNoNode ? kNoNode : req.member(visitor, "id");
  if (id != kNoNode && req.type(id) == Type::String) state.visitorId = std::string(req.str(id));
  // "consent": purpose flags the visitor gave before the first step (a consent record).
  NodeId consentNode = req.member(0, "consent");
  if (consentNode != kNoNode && req.type(consentNode) == Type::Object &&
      req.node(consentNode).count) {
    ConsentInputs inputs;
    for (NodeId flag = req.node(consentNode).firstChild; flag != kNoNode;
         flag = req.node(flag).next) {
      Purpose p;
      if (!purposeFromName(req.key(flag), p) || req.type(flag) != Type::Bool) {
        return errorJson(
            "consent: expects purpose flags (storage, personalization, measurement, marketing, "
            "sensitive)");
      }
      inputs.flags[static_cast<uint8_t>(p)] = req.node(flag).boolean ? 1 : 0;
    }
    uint8_t granted;
    if (!updateConsent(state, engine.consentPolicy, engine.profileSettings, inputs, "simulate", 0,
                       granted, error)) {
      return errorJson("consent: " + error);
    }
  }
  Decider decider(engine);
  decider.attach(&state);
  Doc scratch;
  std::string out = "{\"steps\":[";
  NodeId steps = req.member(0, "steps");
  if (steps == kNoNode || req.type(steps) != Type::Array)
    return errorJson("steps: must be an array");
  bool first = true;
  for (NodeId step = req.node(steps).firstChild; step != kNoNode; step = req.node(step).next) {
    double at;
    if (!instantOf(req, req.member(step, "at"), at))
      return errorJson("steps: every step needs \"at\" (an instant)");
    if (!first) out += ',';
    first = false;
    out += "{\"at\":";
    writeJsonNumber(at, out);
    NodeId track = req.member(step, "track");
    NodeId replace = req.member(step, "visitor");
    NodeId reload = req.member(step, "reload");
    if (track != kNoNode && req.type(track) == Type::String) {
      NodeId props = req.member(step, "props");
      std::string propsJson;
      if (props != kNoNode) req.write(props, propsJson);
      out += ",\"track\":";
      writeJsonString(req.str(track), out);
      ConsentGate consent = effectiveConsent(engine.consentPolicy, state.consent, ConsentInputs());
      if (trackJson(state, engine, consent, req.str(track), propsJson, at, scratch, error)) {
        out += ",\"ok\":true";
      } else {
        out += ",\"error\":";
        writeJsonString(error, out);
      }
    } else if (replace != kNoNode) {
      visitor = replace;
      out += ",\"visitor\":true";
    } else if (reload != kNoNode && req.type(reload) == Type::String) {
      bool cookie = req.str(reload) == "cookie";
      std::string bytes;
      LoadReport report;
      VisitorState loaded;
      if (cookie) {
        encodeCookie(state, 4096, bytes);
        report = decodeCookie(bytes, loaded);
      } else {
        encodeState(state, bytes);
        report = decodeState(bytes, loaded);
      }
      state = std::move(loaded);
      out += ",\"reload\":";
      writeLoadReportJson(report, out);
      out += ",\"bytes\":";
      writeJsonNumber(static_cast<double>(bytes.size()), out);
    } else {
      std::string input = visitorAt(req, visitor, at);
      NodeId reasonsNode = req.member(step, "reasons");
      bool reasons = reasonsNode != kNoNode && req.type(reasonsNode) == Type::Bool &&
                     req.node(reasonsNode).boolean;
      if (!decider.setVisitor(input, error)) {
        out += ",\"error\":";
        writeJsonString(error, out);
      } else if (req.member(step, "profile") != kNoNode) {
        out += ",\"profile\":";
        decider.writeProfileJson(out);
      } else {
        out += ",\"decisions\":{";
        for (uint32_t p = 0; p < engine.placements.size(); ++p) {
          if (p) out += ',';
          writeJsonString(engine.str(engine.placements[p].id), out);
          out += ':';
          decider.writeDecision(p, reasons, out);
        }
        out += '}';
      }
    }
    out += '}';
  }
  std::string blob, cookie;
  encodeState(state, blob);
  encodeCookie(state, 4096, cookie);
  out += "],\"stateBytes\":";
  writeJsonNumber(static_cast<double>(blob.size()), out);
  out += ",\"cookieBytes\":";
  writeJsonNumber(static_cast<double>(cookie.size()), out);
  out += '}';
  return out;
}

}  // namespace attune
