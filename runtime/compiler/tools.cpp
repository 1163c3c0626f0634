#include "tools.h"

#include "condition_compiler.h"
#include "doc.h"
#include "locale_negotiation.h"
#include "template.h"
#include "utf8.h"

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

}  // namespace attune
