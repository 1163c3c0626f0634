#include "tools.h"

#include "condition_compiler.h"
#include "config_compiler.h"
#include "consent.h"
#include "decider.h"
#include "doc.h"
#include "kpi.h"
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

namespace {

// What a simulation remembers between steps: the visitor, the latest token shown on each
// placement (what a "report" step reports on) and the KPI events the reports made.
class Simulation {
 public:
  Simulation(const Engine& engine, const Doc& req)
      : engine_(engine), req_(req), decider_(engine), lastTokens_(engine.placements.size()) {
    decider_.attach(&state_);
  }

  bool start(NodeId visitor, std::string& error) {
    visitor_ = visitor;
    NodeId consent = req_.member(0, "consent");
    if (consent != kNoNode && req_.type(consent) == Type::Object && req_.node(consent).count) {
      for (NodeId flag = req_.node(consent).firstChild; flag != kNoNode;
           flag = req_.node(flag).next) {
        Purpose p;
        if (!purposeFromName(req_.key(flag), p) || req_.type(flag) != Type::Bool) {
          error =
              "consent: expects purpose flags (storage, personalization, measurement, marketing, "
              "sensitive)";
          return false;
        }
        consent_.flags[static_cast<uint8_t>(p)] = req_.node(flag).boolean ? 1 : 0;
        hasConsent_ = true;
      }
    }
    return newVisitor(idOf(visitor), error);
  }

  // One step's result members, appended to `out` after its "at".
  bool step(NodeId step, double at, std::string& out, std::string& error) {
    NodeId track = req_.member(step, "track");
    NodeId report = req_.member(step, "report");
    NodeId replace = req_.member(step, "visitor");
    NodeId reload = req_.member(step, "reload");
    if (track != kNoNode && req_.type(track) == Type::String) {
      NodeId props = req_.member(step, "props");
      std::string propsJson;
      if (props != kNoNode) req_.write(props, propsJson);
      out += ",\"track\":";
      writeJsonString(req_.str(track), out);
      applyEvent(req_.str(track), propsJson, at, out);
    } else if (report != kNoNode && req_.type(report) == Type::String) {
      reportStep(step, req_.str(report), at, out);
    } else if (replace != kNoNode) {
      // A visitor with another id is another visitor: a fresh state (traffic in one run).
      std::string_view id = idOf(replace);
      visitor_ = replace;
      if (!id.empty() && id != state_.visitorId && !newVisitor(id, error)) return false;
      out += ",\"visitor\":true";
    } else if (reload != kNoNode && req_.type(reload) == Type::String) {
      reloadStep(req_.str(reload) == "cookie", out);
    } else {
      decideStep(step, at, out);
    }
    return true;
  }

  void finish(std::string& out) {
    std::string blob, cookie;
    encodeState(state_, blob);
    encodeCookie(state_, 4096, cookie);
    out += ",\"stateBytes\":";
    writeJsonNumber(static_cast<double>(blob.size()), out);
    out += ",\"cookieBytes\":";
    writeJsonNumber(static_cast<double>(cookie.size()), out);
    if (reports_ > 0) {
      KpiReport report;
      kpi_.report(report);
      out += ",\"kpi\":";
      writeKpiJson(report, out);
    }
  }

 private:
  std::string_view idOf(NodeId visitor) const {
    NodeId id = visitor == kNoNode ? kNoNode : req_.member(visitor, "id");
    return id != kNoNode && req_.type(id) == Type::String ? req_.str(id) : std::string_view();
  }

  bool newVisitor(std::string_view id, std::string& error) {
    state_ = VisitorState();
    state_.visitorId.assign(id.data(), id.size());
    std::fill(lastTokens_.begin(), lastTokens_.end(), std::string());
    uint8_t granted;
    if (hasConsent_ && !updateConsent(state_, engine_.consentPolicy, engine_.profileSettings,
                                      consent_, "simulate", 0, granted, error)) {
      error = "consent: " + error;
      return false;
    }
    return true;
  }

  bool applyEvent(std::string_view type, std::string_view propsJson, double at, std::string& out) {
    std::string error;
    ConsentGate consent = effectiveConsent(engine_.consentPolicy, state_.consent, ConsentInputs());
    if (!trackJson(state_, engine_, consent, type, propsJson, at, scratch_, error)) {
      out += ",\"error\":";
      writeJsonString(error, out);
      return false;
    }
    out += ",\"ok\":true";
    return true;
  }

  // {"report": "impression" | "click" | "dismiss" | "conversion", "placement": id (its
  // latest token) | "token": text, "value"?: revenue}
  void reportStep(NodeId step, std::string_view type, double at, std::string& out) {
    out += ",\"report\":";
    writeJsonString(type, out);
    std::string token;
    NodeId tokenNode = req_.member(step, "token");
    NodeId placementNode = req_.member(step, "placement");
    if (tokenNode != kNoNode && req_.type(tokenNode) == Type::String) {
      token.assign(req_.str(tokenNode));
    } else if (placementNode != kNoNode && req_.type(placementNode) == Type::String) {
      uint32_t p = engine_.findPlacement(req_.str(placementNode));
      if (p != kNone) token = lastTokens_[p];
    }
    if (token.empty()) {
      out +=
          ",\"error\":\"report: no token (name a placement that showed a campaign, or give "
          "\\\"token\\\")\"";
      return;
    }
    std::string props = "{\"token\":";
    writeJsonString(token, props);
    NodeId value = req_.member(step, "value");
    if (value != kNoNode) {
      props += ",\"value\":";
      req_.write(value, props);
    }
    props += '}';
    if (!applyEvent(type, props, at, out)) return;
    DecisionToken parsed;
    KpiEventType kind;
    if (!parseToken(token, parsed) || !kpiEventTypeFromName(type, kind)) return;
    KpiEvent event;
    event.visitor = state_.visitorId;
    event.campaign = engine_.str(engine_.campaigns[parsed.campaign].id);
    event.holdout = parsed.variant == kHoldoutVariant;
    if (!event.holdout) event.variant = engine_.str(engine_.variants[parsed.variant].id);
    event.type = kind;
    if (value != kNoNode && req_.type(value) == Type::Number) event.value = req_.node(value).number;
    if (kpi_.add(event) == KpiAddStatus::Added) ++reports_;
  }

  void reloadStep(bool cookie, std::string& out) {
    std::string bytes;
    LoadReport report;
    VisitorState loaded;
    if (cookie) {
      encodeCookie(state_, 4096, bytes);
      report = decodeCookie(bytes, loaded);
    } else {
      encodeState(state_, bytes);
      report = decodeState(bytes, loaded);
    }
    state_ = std::move(loaded);
    out += ",\"reload\":";
    writeLoadReportJson(report, out);
    out += ",\"bytes\":";
    writeJsonNumber(static_cast<double>(bytes.size()), out);
  }

  // {"decide": true, "reasons"?: bool, "count"?: bool (count what shows as impressions, as an
  // edge does)} or {"profile": true}.
  void decideStep(NodeId step, double at, std::string& out) {
    std::string input = visitorAt(req_, visitor_, at);
    NodeId reasonsNode = req_.member(step, "reasons");
    bool reasons = reasonsNode != kNoNode && req_.type(reasonsNode) == Type::Bool &&
                   req_.node(reasonsNode).boolean;
    NodeId countNode = req_.member(step, "count");
    bool count =
        countNode != kNoNode && req_.type(countNode) == Type::Bool && req_.node(countNode).boolean;
    std::string error;
    if (!decider_.setVisitor(input, error)) {
      out += ",\"error\":";
      writeJsonString(error, out);
      return;
    }
    if (req_.member(step, "profile") != kNoNode) {
      out += ",\"profile\":";
      decider_.writeProfileJson(out);
      return;
    }
    out += ",\"decisions\":{";
    for (uint32_t p = 0; p < engine_.placements.size(); ++p) {
      if (p) out += ',';
      writeJsonString(engine_.str(engine_.placements[p].id), out);
      out += ':';
      size_t begin = out.size();
      decider_.writeDecision(p, reasons, out);
      Doc decision;
      ParseError err;
      if (decision.parse(std::string_view(out).substr(begin), err)) {
        NodeId token = decision.member(0, "token");
        if (token != kNoNode && decision.type(token) == Type::String)
          lastTokens_[p].assign(decision.str(token));
      }
    }
    out += '}';
    if (count) recordShown(state_, engine_, decider_.shown(), at);
  }

  const Engine& engine_;
  const Doc& req_;
  Decider decider_;
  VisitorState state_;
  NodeId visitor_ = kNoNode;
  ConsentInputs consent_;
  bool hasConsent_ = false;
  Doc scratch_;
  std::vector<std::string> lastTokens_;
  KpiAccumulator kpi_;
  uint64_t reports_ = 0;
};

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
  Simulation sim(*compiled.engine, req);
  if (!sim.start(req.member(0, "visitor"), error)) return errorJson(error);
  NodeId steps = req.member(0, "steps");
  if (steps == kNoNode || req.type(steps) != Type::Array)
    return errorJson("steps: must be an array");
  std::string out = "{\"steps\":[";
  bool first = true;
  for (NodeId step = req.node(steps).firstChild; step != kNoNode; step = req.node(step).next) {
    double at;
    if (!instantOf(req, req.member(step, "at"), at))
      return errorJson("steps: every step needs \"at\" (an instant)");
    if (!first) out += ',';
    first = false;
    out += "{\"at\":";
    writeJsonNumber(at, out);
    if (!sim.step(step, at, out, error)) return errorJson(error);
    out += '}';
  }
  out += ']';
  sim.finish(out);
  out += '}';
  return out;
}

}  // namespace attune
