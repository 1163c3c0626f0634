#include "config_compiler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "condition_compiler.h"
#include "contact_config.h"
#include "doc.h"
#include "json_path.h"
#include "local_time.h"
#include "locale_negotiation.h"
#include "utf8.h"

namespace attune {

namespace {

const char* typeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

// Deepest bracket nesting of a JSON text, found without parsing it, so that a 10,000-deep
// document is refused before any parser walks it.
uint32_t nestingDepth(std::string_view s) {
  uint32_t depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool normalizeLocaleTag(std::string_view in, std::string& out) {
  LanguageTag tag;
  if (!parseLanguageTag(in, tag)) return false;
  out.assign(tag.tag().data(), tag.tag().size());
  return true;
}

// nlohmann's DOM builder, keeping the parser's own error message (with line and column),
// which json::parse() discards when exceptions are off.
struct ErrorCapturingSax : nlohmann::detail::json_sax_dom_parser<Json> {
  explicit ErrorCapturingSax(Json& root) : json_sax_dom_parser(root, false) {}
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    error = ex.what();
    const std::string prefix = "] ";  // drop nlohmann's "[json.exception.parse_error.101] "
    size_t at = error.find(prefix);
    if (at != std::string::npos) error.erase(0, at + prefix.size());
    return false;
  }
  std::string error;
};

class ConfigCompiler {
 public:
  ConfigCompiler(const ConfigLimits& limits, Problems& problems)
      : limits_(limits), problems_(problems), conditions_(engine_->conditions, problems) {}

  std::unique_ptr<Engine> run(const Json& root);

 private:
  void problem(const std::string& path, const std::string& message) {
    problems_.push_back({path, message});
  }
  StrRef store(std::string_view s) {
    StrRef r;
    r.off = static_cast<uint32_t>(engine_->strings.size());
    r.len = static_cast<uint32_t>(s.size());
    engine_->strings.append(s.data(), s.size());
    return r;
  }
  void checkKeys(const Json& object, const std::string& path,
                 std::initializer_list<const char*> allowed);
  bool id(const Json& v, const std::string& path, std::string& out);
  void placements(const Json& v);
  void segments(const Json& v, const Json& groups);
  void campaigns(const Json& v);
  void campaign(const Json& c, const std::string& path, std::set<std::string>& ids);
  bool schedule(const Json& s, const std::string& path, ScheduleDef& out);
  uint32_t content(const Json& c, const std::string& path);
  void checkSegmentRefs(const std::vector<std::string>& refs, const std::string& path);
  void orderCandidates();
  void behaviorSettings(const Json& root);
  void consentPolicy(const Json& c);
  bool duration(const Json& v, const std::string& path, double& ms);
  void thresholds(const Json& v, const std::string& path, double (&out)[4]);
  void trigger(const Json& t, const std::string& path, CampaignDef& def);

  ConfigLimits limits_;
  Problems& problems_;
  std::unique_ptr<Engine> engine_ = std::make_unique<Engine>();
  ConditionCompiler conditions_;
  std::string defaultLocale_ = "en";
  std::map<std::string, uint32_t> placementIds_;
  std::set<std::string> segmentNames_;
  std::set<std::string> allLocales_;
  std::map<std::string, bool> segmentReadsProfile_;
};

void ConfigCompiler::checkKeys(const Json& object, const std::string& path,
                               std::initializer_list<const char*> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    bool known =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      problem(pathKey(path, clipped(key)), "unknown key (expected one of: " + list + ")");
    }
  }
}

bool ConfigCompiler::id(const Json& v, const std::string& path, std::string& out) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    problem(path, std::string("must be a non-empty string, not ") +
                      (v.is_string() ? "an empty string" : typeName(v)));
    return false;
  }
  out = v.get<std::string>();
  if (out.size() > limits_.maxIdBytes) {
    problem(path, "must be at most " + std::to_string(limits_.maxIdBytes) + " bytes long");
    return false;
  }
  for (unsigned char c : out) {
    if (c < 0x20 || c == 0x7F) {
      problem(path, "must not contain control characters");
      return false;
    }
  }
  return true;
}

std::unique_ptr<Engine> ConfigCompiler::run(const Json& root) {
  if (!root.is_object()) {
    problem("", std::string("the config must be a JSON object, not ") + typeName(root));
    return nullptr;
  }
  checkKeys(root, "",
            {"$schema", "version", "defaultLocale", "placements", "segments", "exclusiveGroups",
             "campaigns", "interestHalfLife", "sensitiveInterests", "behavior", "consent", "caps",
             "capMultipliers", "quietHours"});
  // Where editors find the JSON Schema (web/attune.schema.json); nothing else reads it.
  if (root.contains("$schema") && !root["$schema"].is_string()) {
    problem("$schema", std::string("must be a string (the JSON Schema's URL), not ") +
                           typeName(root["$schema"]));
  }
  if (!root.contains("version")) {
    problem("version", "is required (the schema version, currently 1)");
  } else if (!root["version"].is_number_integer() && !root["version"].is_number_unsigned()) {
    problem("version", std::string("must be the integer 1, not ") + typeName(root["version"]));
  } else if (root["version"].get<int64_t>() != 1) {
    problem("version", "unsupported schema version " + root["version"].dump() + " (expected 1)");
  }
  if (root.contains("defaultLocale")) {
    const Json& d = root["defaultLocale"];
    std::string normalised;
    if (!d.is_string() || !normalizeLocaleTag(d.get<std::string>(), normalised)) {
      problem("defaultLocale", "must be a valid BCP 47 language tag such as \"en\" or \"de-AT\"");
    } else {
      defaultLocale_ = normalised;
    }
  }
  engine_->defaultLocale = store(defaultLocale_);
  allLocales_.insert(defaultLocale_);

  behaviorSettings(root);
  if (root.contains("consent")) consentPolicy(root["consent"]);
  if (root.contains("placements")) placements(root["placements"]);
  Json noGroups = Json::array();
  if (root.contains("segments") || root.contains("exclusiveGroups")) {
    Json noSegments = Json::object();
    segments(root.contains("segments") ? root["segments"] : noSegments,
             root.contains("exclusiveGroups") ? root["exclusiveGroups"] : noGroups);
  }
  if (root.contains("campaigns")) campaigns(root["campaigns"]);
  if (!problems_.empty()) return nullptr;
  compileContactRules(root, *engine_, problems_);
  if (!problems_.empty()) return nullptr;

  for (const std::string& l : allLocales_) engine_->locales.push_back(store(l));
  orderCandidates();
  return std::move(engine_);
}

void ConfigCompiler::placements(const Json& v) {
  if (!v.is_array()) {
    problem("placements", std::string("must be an array, not ") + typeName(v));
    return;
  }
  if (v.size() > limits_.maxPlacements) {
    problem("placements", "has " + std::to_string(v.size()) + " entries; the limit is " +
                              std::to_string(limits_.maxPlacements));
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = pathIndex("placements", i);
    const Json& p = v[i];
    if (!p.is_object()) {
      problem(at, std::string("must be an object, not ") + typeName(p));
      continue;
    }
    checkKeys(p, at, {"id", "channel", "maxItems", "default"});
    PlacementDef def;
    std::string name;
    if (!p.contains("id")) {
      problem(at + ".id", "is required");
    } else if (id(p["id"], at + ".id", name)) {
      if (placementIds_.count(name)) problem(at + ".id", "duplicate placement id \"" + name + "\"");
      placementIds_[name] = static_cast<uint32_t>(engine_->placements.size());
    }
    def.id = store(name);
    std::string channel = "web";
    if (p.contains("channel")) id(p["channel"], at + ".channel", channel);
    def.channel = store(channel);
    if (p.contains("maxItems")) {
      const Json& m = p["maxItems"];
      if (!m.is_number_integer() && !m.is_number_unsigned()) {
        problem(at + ".maxItems",
                "must be a whole number from 1 to " + std::to_string(limits_.maxMaxItems));
      } else if (m.get<int64_t>() < 1 || m.get<int64_t>() > limits_.maxMaxItems) {
        problem(at + ".maxItems", "must be from 1 to " + std::to_string(limits_.maxMaxItems));
      } else {
        def.maxItems = static_cast<uint32_t>(m.get<int64_t>());
      }
    }
    if (p.contains("default")) def.defaultContent = content(p["default"], at + ".default");
    engine_->placements.push_back(def);
  }
}

void ConfigCompiler::checkSegmentRefs(const std::vector<std::string>& refs,
                                      const std::string& path) {
  for (const std::string& r : refs) {
    if (!segmentNames_.count(r)) problem(path, "refers to unknown segment \"" + clipped(r) + "\"");
  }
}

void ConfigCompiler::segments(const Json& v, const Json& groups) {
  if (!v.is_object()) {
    problem("segments", std::string("must be an object of name: condition, not ") + typeName(v));
    return;
  }
  if (v.size() > limits_.maxSegments) {
    problem("segments", "has " + std::to_string(v.size()) + " segments; the limit is " +
                            std::to_string(limits_.maxSegments));
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) segmentNames_.insert(it.key());

  // Compile every segment and collect its dependencies.
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> deps;
  std::map<std::string, uint32_t> cond;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string at = pathKey("segments", clipped(it.key(), 200));
    std::string name;
    if (!id(Json(it.key()), at, name)) continue;
    names.push_back(name);
    cond[name] = conditions_.compile(it.value(), at);
    deps[name] = conditions_.segmentReferences();
    segmentReadsProfile_[name] = conditions_.readsProfile();
    checkSegmentRefs(deps[name], at);
  }

  // Exclusive groups: membership of a later segment depends on the earlier ones failing, so
  // each member depends on every member listed before it.
  std::map<std::string, uint32_t> groupOf;
  if (!groups.is_array()) {
    problem("exclusiveGroups", std::string("must be an array, not ") + typeName(groups));
  } else {
    std::set<std::string> groupIds;
    for (size_t g = 0; g < groups.size(); ++g) {
      std::string at = pathIndex("exclusiveGroups", g);
      const Json& group = groups[g];
      if (!group.is_object()) {
        problem(at, std::string("must be an object, not ") + typeName(group));
        continue;
      }
      checkKeys(group, at, {"id", "segments"});
      std::string gid;
      if (!group.contains("id"))
        problem(at + ".id", "is required");
      else if (id(group["id"], at + ".id", gid) && !groupIds.insert(gid).second)
        problem(at + ".id", "duplicate exclusive group id \"" + gid + "\"");
      if (!group.contains("segments") || !group["segments"].is_array() ||
          group["segments"].size() < 2) {
        problem(at + ".segments", "must be an array of at least two segment names");
        continue;
      }
      const Json& members = group["segments"];
      for (size_t m = 0; m < members.size(); ++m) {
        std::string mat = pathIndex(at + ".segments", m);
        if (!members[m].is_string() || !segmentNames_.count(members[m].get<std::string>())) {
          problem(mat, "must name a segment defined in \"segments\"");
          continue;
        }
        std::string name = members[m].get<std::string>();
        if (groupOf.count(name)) {
          problem(mat, "segment \"" + name + "\" is already in another exclusive group");
          continue;
        }
        groupOf[name] = static_cast<uint32_t>(g);
        for (size_t e = 0; e < m; ++e) {
          if (members[e].is_string()) deps[name].push_back(members[e].get<std::string>());
        }
      }
    }
    engine_->groupCount = static_cast<uint32_t>(groups.size());
  }

  // Order segments so each comes after what it depends on; a cycle is a config error.
  std::map<std::string, int> state;  // 0 new, 1 on the current path, 2 done
  std::vector<std::string> order;
  for (const std::string& start : names) {
    if (state[start] == 2) continue;
    // Iterative depth-first search: the stack holds (segment, next dependency to visit).
    std::vector<std::pair<std::string, size_t>> stack{{start, 0}};
    state[start] = 1;
    while (!stack.empty()) {
      auto& [name, next] = stack.back();
      const std::vector<std::string>& d = deps[name];
      if (next < d.size()) {
        const std::string& dep = d[next++];
        if (!segmentNames_.count(dep)) continue;
        if (state[dep] == 1) {
          std::string cycle;
          bool inCycle = false;
          for (const auto& frame : stack) {
            inCycle = inCycle || frame.first == dep;
            if (inCycle) cycle += frame.first + " → ";
          }
          problem(pathKey("segments", dep), "segment reference cycle: " + cycle + dep);
          state[dep] = 2;
          continue;
        }
        if (state[dep] == 0) {
          state[dep] = 1;
          stack.push_back({dep, 0});
        }
      } else {
        state[name] = 2;
        order.push_back(name);
        stack.pop_back();
      }
    }
  }
  // Reading a segment that reads the profile reads the profile (dependencies come first).
  for (const std::string& name : order) {
    for (const std::string& dep : deps[name]) {
      if (segmentReadsProfile_[dep]) segmentReadsProfile_[name] = true;
    }
  }
  for (const std::string& name : order) {
    SegmentDef s;
    s.name = store(name);
    s.condition = cond[name];
    s.group = groupOf.count(name) ? groupOf[name] : kNone;
    engine_->segments.push_back(s);
  }
}

void ConfigCompiler::campaigns(const Json& v) {
  if (!v.is_array()) {
    problem("campaigns", std::string("must be an array, not ") + typeName(v));
    return;
  }
  if (v.size() > limits_.maxCampaigns) {
    problem("campaigns", "has " + std::to_string(v.size()) + " campaigns; the limit is " +
                             std::to_string(limits_.maxCampaigns));
    return;
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < v.size(); ++i) campaign(v[i], pathIndex("campaigns", i), ids);
}

void ConfigCompiler::campaign(const Json& c, const std::string& at, std::set<std::string>& ids) {
  if (!c.is_object()) {
    problem(at, std::string("must be an object, not ") + typeName(c));
    return;
  }
  checkKeys(c, at,
            {"id", "placement", "priority", "audience", "schedule", "seed", "holdout", "variants",
             "trigger", "consent", "caps", "cooldownAfterDismiss", "fatigue"});
  CampaignDef def;
  std::string name;
  if (!c.contains("id")) {
    problem(at + ".id", "is required");
  } else if (id(c["id"], at + ".id", name) && !ids.insert(name).second) {
    problem(at + ".id", "duplicate campaign id \"" + name + "\"");
  }
  def.id = store(name);
  std::string placement;
  if (!c.contains("placement")) {
    problem(at + ".placement", "is required");
  } else if (id(c["placement"], at + ".placement", placement)) {
    auto found = placementIds_.find(placement);
    if (found == placementIds_.end()) {
      problem(at + ".placement", "refers to unknown placement \"" + clipped(placement) + "\"");
    } else {
      def.placement = found->second;
    }
  }
  if (c.contains("priority")) {
    if (!c["priority"].is_number())
      problem(at + ".priority", "must be a number");
    else
      def.priority = c["priority"].get<double>();
  }
  bool readsProfile = false;
  if (c.contains("audience")) {
    def.audience = conditions_.compile(c["audience"], at + ".audience");
    checkSegmentRefs(conditions_.segmentReferences(), at + ".audience");
    readsProfile = conditions_.readsProfile();
    for (const std::string& ref : conditions_.segmentReferences()) {
      readsProfile = readsProfile || segmentReadsProfile_[ref];
    }
  }
  if (c.contains("schedule"))
    def.hasSchedule = schedule(c["schedule"], at + ".schedule", def.schedule);
  if (c.contains("trigger")) trigger(c["trigger"], at + ".trigger", def);
  // SPEC §1: personalization by default when the audience (or a trigger) reads the
  // profile; nothing when it reads only context such as locale, page, time, coarse geo.
  def.requiredPurposes = readsProfile || def.hasTrigger ? purposeBit(Purpose::Personalization) : 0;
  if (c.contains("consent")) {
    const Json& list = c["consent"];
    if (!list.is_array()) {
      problem(at + ".consent",
              "must be an array of purposes (storage, personalization, measurement, marketing, "
              "sensitive)");
    } else {
      def.requiredPurposes = 0;
      for (size_t i = 0; i < list.size(); ++i) {
        Purpose p;
        if (!list[i].is_string() || !purposeFromName(list[i].get_ref<const std::string&>(), p)) {
          problem(pathIndex(at + ".consent", i),
                  "must be one of \"storage\", \"personalization\", \"measurement\", "
                  "\"marketing\", \"sensitive\"");
        } else {
          def.requiredPurposes |= purposeBit(p);
        }
      }
      if (readsProfile && !(def.requiredPurposes & purposeBit(Purpose::Personalization))) {
        problem(at + ".consent",
                "the audience reads the visitor's profile, so \"personalization\" is required");
      }
    }
  }
  std::string seed = name;
  if (c.contains("seed")) id(c["seed"], at + ".seed", seed);
  def.seed = store(seed);
  if (c.contains("holdout")) {
    const Json& h = c["holdout"];
    if (!h.is_number() || h.get<double>() < 0 || h.get<double>() >= 1) {
      problem(at + ".holdout", "must be a number from 0 up to (not including) 1");
    } else {
      def.holdout = h.get<double>();
    }
  }
  const std::string vat = at + ".variants";
  if (!c.contains("variants")) {
    problem(vat, "is required (at least one variant with content)");
  } else if (!c["variants"].is_array() || c["variants"].empty()) {
    problem(vat, "must be a non-empty array of variants");
  } else if (c["variants"].size() > limits_.maxVariants) {
    problem(vat, "has " + std::to_string(c["variants"].size()) + " variants; the limit is " +
                     std::to_string(limits_.maxVariants));
  } else {
    const Json& vs = c["variants"];
    std::vector<double> weights;
    std::set<std::string> variantIds;
    def.firstVariant = static_cast<uint32_t>(engine_->variants.size());
    for (size_t i = 0; i < vs.size(); ++i) {
      std::string vpath = pathIndex(vat, i);
      const Json& v = vs[i];
      VariantDef variant;
      double weight = 1;
      if (!v.is_object()) {
        problem(vpath, std::string("must be an object, not ") + typeName(v));
      } else {
        checkKeys(v, vpath, {"id", "weight", "content"});
        std::string vid;
        if (!v.contains("id"))
          problem(vpath + ".id", "is required");
        else if (id(v["id"], vpath + ".id", vid) && !variantIds.insert(vid).second)
          problem(vpath + ".id", "duplicate variant id \"" + vid + "\"");
        variant.id = store(vid);
        if (v.contains("weight")) {
          const Json& w = v["weight"];
          if (!w.is_number() || w.get<double>() < 0 || !std::isfinite(w.get<double>())) {
            problem(vpath + ".weight", "must be a non-negative number");
          } else {
            weight = w.get<double>();
          }
        }
        if (!v.contains("content"))
          problem(vpath + ".content", "is required");
        else
          variant.content = content(v["content"], vpath + ".content");
      }
      weights.push_back(weight);
      engine_->variants.push_back(variant);
    }
    double total = 0;
    for (double w : weights) total += w;
    if (total <= 0) {
      problem(vat, "at least one variant needs a weight above 0");
    } else {
      // Consecutive ranges of [0, 1), computed as GrowthBook's getBucketRanges does.
      double cumulative = 0;
      for (size_t i = 0; i < weights.size(); ++i) {
        VariantDef& variant = engine_->variants[def.firstVariant + i];
        double w = weights[i] / total;
        variant.rangeStart = cumulative;
        cumulative += w;
        variant.rangeEnd = variant.rangeStart + w;
      }
    }
    def.variantCount = static_cast<uint32_t>(vs.size());
  }
  engine_->campaigns.push_back(def);
}

bool ConfigCompiler::schedule(const Json& s, const std::string& at, ScheduleDef& out) {
  if (!s.is_object()) {
    problem(at, std::string("must be an object, not ") + typeName(s));
    return false;
  }
  checkKeys(s, at, {"start", "end", "daysOfWeek", "hours"});
  out.startMs = -INFINITY;
  out.endMs = INFINITY;
  bool ok = true;
  auto instant = [&](const char* key, double& ms) {
    if (!s.contains(key)) return;
    if (!s[key].is_string() || !parseInstant(s[key].get<std::string>(), ms)) {
      problem(at + "." + key, "must be an ISO 8601 instant such as \"2026-11-01T00:00:00Z\"");
      ok = false;
    }
  };
  instant("start", out.startMs);
  instant("end", out.endMs);
  if (ok && out.startMs >= out.endMs) {
    problem(at + ".end", "must be after start");
    ok = false;
  }
  if (s.contains("daysOfWeek")) {
    const Json& d = s["daysOfWeek"];
    static const char* const kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    out.daysMask = 0;
    if (!d.is_array() || d.empty()) {
      problem(at + ".daysOfWeek", "must be a non-empty array of \"mon\" … \"sun\"");
      ok = false;
    } else {
      for (size_t i = 0; i < d.size(); ++i) {
        int found = -1;
        for (int k = 0; k < 7; ++k) {
          if (d[i].is_string() && d[i].get<std::string>() == kDays[k]) found = k;
        }
        if (found < 0) {
          problem(pathIndex(at + ".daysOfWeek", i),
                  "must be one of \"sun\", \"mon\", \"tue\", "
                  "\"wed\", \"thu\", \"fri\", \"sat\"");
          ok = false;
        } else {
          out.daysMask |= static_cast<uint8_t>(1u << found);
        }
      }
    }
  }
  if (s.contains("hours")) {
    const Json& h = s["hours"];
    if (!h.is_object()) {
      problem(at + ".hours", "must be an object {\"from\": \"HH:MM\", \"to\": \"HH:MM\"}");
      return false;
    }
    checkKeys(h, at + ".hours", {"from", "to"});
    for (const char* key : {"from", "to"}) {
      int minutes = 0;
      if (!h.contains(key) || !h[key].is_string() ||
          !parseClock(h[key].get<std::string>(), minutes)) {
        problem(at + ".hours." + key, "must be a local time \"HH:MM\" from 00:00 to 24:00");
        ok = false;
      } else {
        (std::string(key) == "from" ? out.fromMinute : out.toMinute) = minutes;
      }
    }
    if (ok && out.fromMinute == out.toMinute) {
      problem(at + ".hours", "from and to are equal; leave hours out for all day");
      ok = false;
    }
  }
  return ok;
}

uint32_t ConfigCompiler::content(const Json& c, const std::string& at) {
  uint32_t index = static_cast<uint32_t>(engine_->contentSets.size());
  ContentSet set;
  set.firstLocale = static_cast<uint32_t>(engine_->contentLocales.size());
  if (!c.is_object() || c.empty()) {
    problem(at, "must be an object of locale: fields, e.g. {\"en\": {\"headline\": \"Hi\"}}");
    engine_->contentSets.push_back(set);
    return index;
  }
  if (c.size() > limits_.maxLocales) {
    problem(at, "has " + std::to_string(c.size()) + " locales; the limit is " +
                    std::to_string(limits_.maxLocales));
  }
  std::set<std::string> seen;
  bool hasDefault = false;
  for (auto it = c.begin(); it != c.end(); ++it) {
    std::string lat = pathKey(at, it.key());
    std::string tag;
    if (!normalizeLocaleTag(it.key(), tag)) {
      problem(lat, "\"" + it.key() + "\" is not a valid BCP 47 language tag");
      continue;
    }
    if (!seen.insert(tag).second) {
      problem(lat, "duplicate locale (\"" + tag + "\" after normalisation)");
      continue;
    }
    if (tag == defaultLocale_) {
      hasDefault = true;
      set.defaultLocale = set.localeCount;
    }
    allLocales_.insert(tag);
    ContentLocale loc;
    loc.tag = store(tag);
    loc.firstField = static_cast<uint32_t>(engine_->contentFields.size());
    const Json& fields = it.value();
    if (!fields.is_object() || fields.empty()) {
      problem(lat, "must be a non-empty object of field: text");
    } else if (fields.size() > limits_.maxFields) {
      problem(lat, "has " + std::to_string(fields.size()) + " fields; the limit is " +
                       std::to_string(limits_.maxFields));
    } else {
      for (auto f = fields.begin(); f != fields.end(); ++f) {
        std::string fat = pathKey(lat, f.key());
        ContentField field;
        std::string fieldName;
        if (!id(Json(f.key()), fat, fieldName)) continue;
        field.name = store(fieldName);
        std::string text;
        const Json& spec = f.value();
        if (spec.is_string()) {
          text = spec.get<std::string>();
        } else if (spec.is_object()) {
          checkKeys(spec, fat, {"text", "fallback", "maxLength"});
          if (!spec.contains("text") || !spec["text"].is_string()) {
            problem(fat + ".text", "is required and must be a string");
            continue;
          }
          text = spec["text"].get<std::string>();
          if (spec.contains("fallback")) {
            if (!spec["fallback"].is_string()) {
              problem(fat + ".fallback", "must be a string");
            } else {
              field.hasFallback = true;
              field.fallback = store(spec["fallback"].get<std::string>());
            }
          }
          if (spec.contains("maxLength")) {
            const Json& m = spec["maxLength"];
            if ((!m.is_number_integer() && !m.is_number_unsigned()) || m.get<int64_t>() < 1 ||
                m.get<int64_t>() > 100000) {
              problem(fat + ".maxLength", "must be a whole number of characters from 1 to 100000");
            } else {
              field.maxLength = static_cast<uint32_t>(m.get<int64_t>());
            }
          }
        } else {
          problem(fat, std::string("must be a template string or {\"text\", \"fallback\", "
                                   "\"maxLength\"}, not ") +
                           typeName(spec));
          continue;
        }
        CompiledTemplate compiled;
        std::string error;
        if (!compileTemplate(text, compiled, error)) {
          problem(spec.is_string() ? fat : fat + ".text", "invalid template: " + error);
          continue;
        }
        if (field.hasFallback && !isValidUtf8(engine_->str(field.fallback))) {
          problem(fat + ".fallback", "must be valid UTF-8");
        }
        field.templateIndex = static_cast<uint32_t>(engine_->templates.size());
        engine_->templates.push_back(std::move(compiled));
        engine_->contentFields.push_back(field);
      }
    }
    loc.fieldCount = static_cast<uint32_t>(engine_->contentFields.size()) - loc.firstField;
    engine_->contentLocales.push_back(loc);
    ++set.localeCount;
  }
  if (!hasDefault) {
    problem(at, "has no content for the default locale \"" + defaultLocale_ +
                    "\"; every locale chain ends there");
  }
  engine_->contentSets.push_back(set);
  return index;
}

bool ConfigCompiler::duration(const Json& v, const std::string& path, double& ms) {
  if (!v.is_string() || !parseDuration(v.get_ref<const std::string&>(), ms)) {
    problem(path,
            "must be a duration such as \"30m\", \"12h\", \"14d\" or \"2w\" (at most 10 years)");
    return false;
  }
  return true;
}

void ConfigCompiler::thresholds(const Json& v, const std::string& path, double (&out)[4]) {
  bool ok = v.is_array() && v.size() == 4;
  for (size_t i = 0; ok && i < 4; ++i) {
    ok = v[i].is_number() && v[i].get<double>() >= 0 &&
         (i == 0 || v[i].get<double>() > v[i - 1].get<double>());
  }
  if (!ok) {
    problem(path, "must be four increasing non-negative numbers (the edges of scores 2 to 5)");
    return;
  }
  for (size_t i = 0; i < 4; ++i) out[i] = v[i].get<double>();
}

void ConfigCompiler::behaviorSettings(const Json& root) {
  ProfileSettings& s = engine_->profileSettings;
  if (root.contains("interestHalfLife"))
    duration(root["interestHalfLife"], "interestHalfLife", s.interestHalfLifeMs);
  if (root.contains("sensitiveInterests")) {
    const Json& list = root["sensitiveInterests"];
    if (!list.is_array() || list.size() > 256) {
      problem("sensitiveInterests", "must be an array of at most 256 interest keys");
    } else {
      for (size_t i = 0; i < list.size(); ++i) {
        std::string key;
        if (id(list[i], pathIndex("sensitiveInterests", i), key))
          s.sensitiveInterests.push_back(key);
      }
      std::sort(s.sensitiveInterests.begin(), s.sensitiveInterests.end());
      s.sensitiveInterests.erase(
          std::unique(s.sensitiveInterests.begin(), s.sensitiveInterests.end()),
          s.sensitiveInterests.end());
    }
  }
  if (!root.contains("behavior")) return;
  const Json& b = root["behavior"];
  if (!b.is_object()) {
    problem("behavior", std::string("must be an object, not ") + typeName(b));
    return;
  }
  checkKeys(b, "behavior",
            {"sessionTimeout", "cartAbandonAfter", "lapsedReturnAfter", "lifecycle", "rfm",
             "interestWeights"});
  if (b.contains("sessionTimeout"))
    duration(b["sessionTimeout"], "behavior.sessionTimeout", s.sessionTimeoutMs);
  if (b.contains("cartAbandonAfter"))
    duration(b["cartAbandonAfter"], "behavior.cartAbandonAfter", s.cartAbandonAfterMs);
  double lapsed;
  if (b.contains("lapsedReturnAfter") &&
      duration(b["lapsedReturnAfter"], "behavior.lapsedReturnAfter", lapsed)) {
    s.lapsedReturnAfterDays = lapsed / kMsPerDay;
  }
  if (b.contains("lifecycle")) {
    const Json& l = b["lifecycle"];
    if (!l.is_object()) {
      problem("behavior.lifecycle", "must be an object {\"activeDays\", \"lapsedDays\"}");
    } else {
      checkKeys(l, "behavior.lifecycle", {"activeDays", "lapsedDays"});
      auto days = [&](const char* key, double& out) {
        if (!l.contains(key)) return;
        if (!l[key].is_number() || l[key].get<double>() <= 0) {
          problem(std::string("behavior.lifecycle.") + key, "must be a positive number of days");
        } else {
          out = l[key].get<double>();
        }
      };
      days("activeDays", s.lifecycleActiveDays);
      days("lapsedDays", s.lifecycleLapsedDays);
      if (s.lifecycleLapsedDays <= s.lifecycleActiveDays) {
        problem("behavior.lifecycle.lapsedDays", "must be greater than activeDays");
      }
    }
  }
  if (b.contains("rfm")) {
    const Json& r = b["rfm"];
    if (!r.is_object()) {
      problem("behavior.rfm", "must be an object {\"recencyDays\", \"frequency\", \"monetary\"}");
    } else {
      checkKeys(r, "behavior.rfm", {"recencyDays", "frequency", "monetary"});
      if (r.contains("recencyDays"))
        thresholds(r["recencyDays"], "behavior.rfm.recencyDays", s.rfmRecencyDays);
      if (r.contains("frequency"))
        thresholds(r["frequency"], "behavior.rfm.frequency", s.rfmFrequency);
      if (r.contains("monetary")) thresholds(r["monetary"], "behavior.rfm.monetary", s.rfmMonetary);
    }
  }
  if (b.contains("interestWeights")) {
    const Json& w = b["interestWeights"];
    if (!w.is_object()) {
      problem("behavior.interestWeights", "must be an object {\"view\", \"purchase\"}");
    } else {
      checkKeys(w, "behavior.interestWeights", {"view", "purchase"});
      for (const char* key : {"view", "purchase"}) {
        if (!w.contains(key)) continue;
        if (!w[key].is_number() || w[key].get<double>() < 0 || w[key].get<double>() > 1000) {
          problem(std::string("behavior.interestWeights.") + key,
                  "must be a number from 0 to 1000");
        } else {
          (std::string(key) == "view" ? s.viewWeight : s.purchaseWeight) = w[key].get<double>();
        }
      }
    }
  }
}

void ConfigCompiler::consentPolicy(const Json& c) {
  if (!c.is_object()) {
    problem("consent", std::string("must be an object, not ") + typeName(c));
    return;
  }
  ConsentPolicy& policy = engine_->consentPolicy;
  checkKeys(c, "consent", {"policy", "vendorId", "policyVersion", "tcfMapping"});
  if (c.contains("policy")) {
    const Json& p = c["policy"];
    if (!p.is_string() || (p.get_ref<const std::string&>() != "optIn" &&
                           p.get_ref<const std::string&>() != "optOut")) {
      problem("consent.policy",
              "must be \"optIn\" (nothing but contextual decisions until consent) or \"optOut\"");
    } else {
      policy.optIn = p.get_ref<const std::string&>() == "optIn";
    }
  }
  auto whole = [&](const char* key, uint64_t max, auto& out) {
    if (!c.contains(key)) return;
    const Json& v = c[key];
    if ((!v.is_number_integer() && !v.is_number_unsigned()) || v.get<int64_t>() < 1 ||
        static_cast<uint64_t>(v.get<int64_t>()) > max) {
      problem(std::string("consent.") + key,
              "must be a whole number from 1 to " + std::to_string(max));
    } else {
      out = static_cast<std::remove_reference_t<decltype(out)>>(v.get<int64_t>());
    }
  };
  whole("vendorId", 65535, policy.vendorId);
  whole("policyVersion", 1000000, policy.policyVersion);
  if (c.contains("tcfMapping")) {
    const Json& m = c["tcfMapping"];
    if (!m.is_object()) {
      problem("consent.tcfMapping",
              "must be an object {purpose: {\"consent\": [TCF purposes], \"legitimateInterest\": "
              "[...]}}");
      return;
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
      std::string at = pathKey("consent.tcfMapping", clipped(it.key()));
      Purpose purpose;
      if (!purposeFromName(it.key(), purpose) || purpose == Purpose::Sensitive) {
        problem(at,
                "must be storage, personalization, measurement or marketing (sensitive is never "
                "granted by TCF)");
        continue;
      }
      const Json& spec = it.value();
      if (!spec.is_object()) {
        problem(at, "must be an object {\"consent\": [...], \"legitimateInterest\": [...]}");
        continue;
      }
      checkKeys(spec, at, {"consent", "legitimateInterest"});
      uint8_t index = static_cast<uint8_t>(purpose);
      for (const char* key : {"consent", "legitimateInterest"}) {
        if (!spec.contains(key)) continue;
        uint32_t bits = 0;
        const Json& ids = spec[key];
        bool ok = ids.is_array();
        for (size_t i = 0; ok && i < ids.size(); ++i) {
          ok = (ids[i].is_number_integer() || ids[i].is_number_unsigned()) &&
               ids[i].get<int64_t>() >= 1 && ids[i].get<int64_t>() <= kTcfPurposeCount;
          if (ok) bits |= tcfBit(static_cast<unsigned>(ids[i].get<int64_t>()));
        }
        if (!ok) {
          problem(at + "." + key, "must be an array of TCF purpose ids from 1 to 24");
          continue;
        }
        (std::string(key) == "consent" ? policy.tcfMapping.required
                                       : policy.tcfMapping.legitimateInterest)[index] = bits;
      }
    }
    std::string error;
    if (!validateTcfMapping(policy.tcfMapping, error)) problem("consent.tcfMapping", error);
  }
}

void ConfigCompiler::trigger(const Json& t, const std::string& at, CampaignDef& def) {
  if (!t.is_object()) {
    problem(at, "must be an object {\"event\", \"within\"}");
    return;
  }
  checkKeys(t, at, {"event", "within", "category"});
  std::string event;
  bool ok = true;
  if (!t.contains("event")) {
    problem(at + ".event",
            "is required (welcome, cart_abandoned, birthday, lapsed_return, purchase or an event "
            "type)");
    ok = false;
  } else if (id(t["event"], at + ".event", event)) {
    bool valid = event.size() <= kMaxKeyBytes;
    for (char ch : event) {
      valid = valid && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                        ch == ':' || ch == '.' || ch == '-');
    }
    if (!valid) {
      problem(at + ".event",
              "must be a built-in trigger or an event type matching [a-z0-9_:.-]{1,64}");
      ok = false;
    }
  } else {
    ok = false;
  }
  double within = 0;
  if (!t.contains("within")) {
    problem(at + ".within",
            "is required (how long after the event the campaign stays eligible, e.g. \"2d\")");
    ok = false;
  } else if (!duration(t["within"], at + ".within", within)) {
    ok = false;
  }
  std::string category;
  if (t.contains("category")) {
    if (event != "purchase") {
      problem(at + ".category", "only applies to the purchase trigger");
      ok = false;
    } else if (!id(t["category"], at + ".category", category)) {
      ok = false;
    }
  }
  if (!ok) return;
  def.hasTrigger = true;
  def.triggerEvent = store(event);
  def.triggerCategory = store(category);
  def.triggerWithinMs = within;
}

void ConfigCompiler::orderCandidates() {
  std::vector<std::vector<uint32_t>> byPlacement(engine_->placements.size());
  for (uint32_t i = 0; i < engine_->campaigns.size(); ++i) {
    byPlacement[engine_->campaigns[i].placement].push_back(i);
  }
  for (uint32_t p = 0; p < byPlacement.size(); ++p) {
    std::vector<uint32_t>& list = byPlacement[p];
    // Higher priority first; equal priorities keep config order.
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return engine_->campaigns[a].priority > engine_->campaigns[b].priority;
    });
    engine_->placements[p].firstCandidate = static_cast<uint32_t>(engine_->candidates.size());
    engine_->placements[p].candidateCount = static_cast<uint32_t>(list.size());
    engine_->candidates.insert(engine_->candidates.end(), list.begin(), list.end());
  }
}

}  // namespace

CompileResult compileConfig(std::string_view json, const ConfigLimits& limits) {
  CompileResult result;
  if (json.size() > limits.maxBytes) {
    result.problems.push_back({"", "the config is " + std::to_string(json.size()) +
                                       " bytes; the limit is " + std::to_string(limits.maxBytes)});
    return result;
  }
  uint32_t depth = nestingDepth(json);
  if (depth > limits.maxNesting) {
    result.problems.push_back({"", "the config nests " + std::to_string(depth) +
                                       " levels deep; the limit is " +
                                       std::to_string(limits.maxNesting)});
    return result;
  }
  Json root;
  ErrorCapturingSax sax(root);
  Json::sax_parse(json.begin(), json.end(), &sax);
  if (!sax.error.empty()) {
    result.problems.push_back({"", "invalid JSON: " + sax.error});
    return result;
  }
  ConfigCompiler compiler(limits, result.problems);
  result.engine = compiler.run(root);
  if (!result.problems.empty()) result.engine.reset();
  return result;
}

}  // namespace attune
