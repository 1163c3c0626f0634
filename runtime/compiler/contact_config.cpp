#include "contact_config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "json_path.h"
#include "local_time.h"

namespace attune {

namespace {

constexpr uint32_t kMaxCapMax = 1000000000;
constexpr double kMaxMultiplier = 100;
// After expanding "each campaign" and the like, campaign caps included (10,000 campaigns
// with a few caps each); decisions read only a campaign's own list, so this bounds memory.
constexpr size_t kMaxCaps = 50000;

class ContactConfig {
 public:
  ContactConfig(Engine& engine, Problems& problems) : engine_(engine), problems_(problems) {}

  void run(const Json& root) {
    ContactRules& rules = engine_.contactRules;
    rules = ContactRules();
    rules.sessionTimeoutMs = engine_.profileSettings.sessionTimeoutMs;
    for (uint32_t p = 0; p < engine_.placements.size(); ++p) {
      const PlacementDef& placement = engine_.placements[p];
      rules.placementNames.emplace_back(engine_.str(placement.id));
      std::string channel(engine_.str(placement.channel));
      if (!channels_.count(channel)) {
        channels_[channel] = static_cast<uint32_t>(rules.channelNames.size());
        rules.channelNames.push_back(channel);
      }
    }
    for (const CampaignDef& c : engine_.campaigns) {
      CampaignContactRules r;
      r.key = contactKey(engine_.str(c.id));
      r.placement = c.placement;
      r.channel = channels_[std::string(engine_.str(engine_.placements[c.placement].channel))];
      rules.campaigns.push_back(r);
      campaignIds_[std::string(engine_.str(c.id))] =
          static_cast<uint32_t>(rules.campaigns.size() - 1);
    }
    if (root.contains("caps")) topLevelCaps(root["caps"]);
    if (root.contains("capMultipliers")) multipliers(root["capMultipliers"]);
    if (root.contains("quietHours")) quietHours(root["quietHours"]);
    if (root.contains("campaigns") && root["campaigns"].is_array()) {
      const Json& list = root["campaigns"];
      for (size_t i = 0; i < list.size() && i < rules.campaigns.size(); ++i)
        campaignRules(list[i], pathIndex("campaigns", i), static_cast<uint32_t>(i));
    }
    if (rules.caps.size() > kMaxCaps) {
      problem("caps", "the caps expand to " + std::to_string(rules.caps.size()) +
                          " rules (one per channel, placement or campaign when no target is "
                          "named); the limit is " +
                          std::to_string(kMaxCaps));
    }
    if (!problems_.empty()) return;
    std::string error;
    if (!finishContactRules(rules, largestMultiplier_, error)) reportFinishError(error);
  }

 private:
  void problem(const std::string& path, const std::string& message) {
    problems_.push_back({path, message});
  }

  bool checkKeys(const Json& object, const std::string& at,
                 std::initializer_list<const char*> allowed) {
    bool ok = true;
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (std::none_of(allowed.begin(), allowed.end(),
                       [&](const char* a) { return it.key() == a; })) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        problem(pathKey(at, clipped(it.key())), "unknown key (expected one of: " + list + ")");
        ok = false;
      }
    }
    return ok;
  }

  bool duration(const Json& v, const std::string& at, double& ms) {
    if (!v.is_string() || !parseDuration(v.get_ref<const std::string&>(), ms)) {
      problem(at,
              "must be a duration such as \"30m\", \"12h\", \"14d\" or \"2w\" (at most 10 years)");
      return false;
    }
    return true;
  }

  // The fields every cap has; false (with problems) when any is wrong.
  bool capBody(const Json& c, const std::string& at, CapRule& rule) {
    bool ok = true;
    if (!c.contains("max")) {
      problem(at + ".max", "is required (how many contacts the window allows)");
      ok = false;
    } else {
      const Json& m = c["max"];
      if ((!m.is_number_integer() && !m.is_number_unsigned()) || m.get<int64_t>() < 1 ||
          m.get<int64_t>() > kMaxCapMax) {
        problem(at + ".max", "must be a whole number from 1 to " + std::to_string(kMaxCapMax));
        ok = false;
      } else {
        rule.max = static_cast<uint32_t>(m.get<int64_t>());
      }
    }
    if (!c.contains("per")) {
      problem(at + ".per",
              "is required: \"day\", \"week\", \"session\", \"lifetime\" or a rolling duration "
              "such as \"12h\"");
      ok = false;
    } else if (!c["per"].is_string() || !parseCapPeriod(c["per"].get_ref<const std::string&>(),
                                                        rule.period, rule.rollingMs)) {
      problem(at + ".per",
              "must be \"day\", \"week\", \"session\", \"lifetime\" or a rolling duration such "
              "as \"12h\" or \"7d\"");
      ok = false;
    } else if (rule.period == CapPeriod::Rolling && rule.rollingMs < 1000) {
      problem(at + ".per", "a rolling window must last at least 1s");
      ok = false;
    }
    if (c.contains("count")) {
      if (!c["count"].is_string() ||
          !parseCapCount(c["count"].get_ref<const std::string&>(), rule.count)) {
        problem(at + ".count", "must be \"impression\" or \"click\"");
        ok = false;
      }
    }
    return ok;
  }

  void add(const CapRule& rule, const std::string& at) {
    engine_.contactRules.caps.push_back(rule);
    capPaths_.push_back(at);
  }

  void topLevelCaps(const Json& v) {
    if (!v.is_array()) {
      problem("caps", "must be an array of caps {\"scope\", \"max\", \"per\", \"count\"}");
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string at = pathIndex("caps", i);
      const Json& c = v[i];
      if (!c.is_object()) {
        problem(at, "must be an object {\"scope\", \"max\", \"per\", \"count\"}");
        continue;
      }
      bool ok =
          checkKeys(c, at, {"scope", "max", "per", "count", "channel", "placement", "campaign"});
      CapRule rule;
      if (!c.contains("scope") || !c["scope"].is_string() ||
          !parseCapScope(c["scope"].get_ref<const std::string&>(), rule.scope)) {
        problem(at + ".scope", "must be \"global\", \"channel\", \"placement\" or \"campaign\"");
        continue;
      }
      ok = capBody(c, at, rule) && ok;
      const char* targetKey = rule.scope == CapScope::Channel     ? "channel"
                              : rule.scope == CapScope::Placement ? "placement"
                              : rule.scope == CapScope::Campaign  ? "campaign"
                                                                  : nullptr;
      for (const char* key : {"channel", "placement", "campaign"}) {
        if (c.contains(key) && (!targetKey || std::string(key) != targetKey)) {
          problem(at + "." + key, std::string("does not apply to a cap of scope \"") +
                                      c["scope"].get<std::string>() + "\"");
          ok = false;
        }
      }
      if (!ok) continue;
      if (!targetKey) {
        add(rule, at);
        continue;
      }
      // No target named: the cap applies to each channel, placement or campaign alone.
      size_t count = rule.scope == CapScope::Channel     ? engine_.contactRules.channelNames.size()
                     : rule.scope == CapScope::Placement ? engine_.placements.size()
                                                         : engine_.campaigns.size();
      if (!c.contains(targetKey)) {
        for (uint32_t t = 0; t < count; ++t) {
          rule.target = t;
          add(rule, at);
        }
        continue;
      }
      const Json& target = c[targetKey];
      std::string name = target.is_string() ? target.get<std::string>() : std::string();
      bool found = false;
      if (rule.scope == CapScope::Channel) {
        auto it = channels_.find(name);
        found = it != channels_.end();
        if (found) rule.target = it->second;
      } else if (rule.scope == CapScope::Placement) {
        rule.target = engine_.findPlacement(name);
        found = rule.target != kNone;
      } else {
        auto it = campaignIds_.find(name);
        found = it != campaignIds_.end();
        if (found) rule.target = it->second;
      }
      if (!target.is_string() || !found) {
        problem(at + "." + targetKey,
                std::string("must name a ") + targetKey + " of this config" +
                    (target.is_string() ? ", not \"" + clipped(name) + "\"" : std::string()));
        continue;
      }
      add(rule, at);
    }
  }

  void multipliers(const Json& v) {
    if (!v.is_object()) {
      problem("capMultipliers", "must be an object of segment: multiplier, e.g. {\"hvc\": 2}");
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string at = pathKey("capMultipliers", clipped(it.key()));
      SegmentDef* segment = nullptr;
      for (SegmentDef& s : engine_.segments) {
        if (engine_.str(s.name) == it.key()) segment = &s;
      }
      if (!segment) {
        problem(at, "must name a segment defined in \"segments\"");
        continue;
      }
      const Json& m = it.value();
      if (!m.is_number() || !(m.get<double>() >= 1) || m.get<double>() > kMaxMultiplier) {
        problem(at, "must be a number from 1 to 100 (a multiplier never tightens a cap)");
        continue;
      }
      segment->capMultiplier = m.get<double>();
      largestMultiplier_ = std::max(largestMultiplier_, segment->capMultiplier);
    }
  }

  void quietHours(const Json& v) {
    if (!v.is_object()) {
      problem("quietHours",
              "must be an object of channel: {\"from\": \"HH:MM\", \"to\": \"HH:MM\"}, e.g. "
              "{\"popup\": {\"from\": \"22:00\", \"to\": \"08:00\"}}");
      return;
    }
    ContactRules& rules = engine_.contactRules;
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string at = pathKey("quietHours", clipped(it.key()));
      auto channel = channels_.find(it.key());
      if (channel == channels_.end()) {
        problem(at, "must name the channel of a placement (placements[].channel)");
        continue;
      }
      const Json& q = it.value();
      if (!q.is_object()) {
        problem(at, "must be an object {\"from\": \"HH:MM\", \"to\": \"HH:MM\"}");
        continue;
      }
      if (!checkKeys(q, at, {"from", "to"})) continue;
      QuietHours hours;
      bool ok = true;
      for (const char* key : {"from", "to"}) {
        int minutes = 0;
        if (!q.contains(key) || !q[key].is_string() ||
            !parseClock(q[key].get<std::string>(), minutes) ||
            (std::string(key) == "from" && minutes == 1440)) {
          problem(at + "." + key, std::string("must be a local time \"HH:MM\" from 00:00 to ") +
                                      (std::string(key) == "from" ? "23:59" : "24:00"));
          ok = false;
        } else {
          (std::string(key) == "from" ? hours.fromMinute : hours.toMinute) = minutes;
        }
      }
      if (ok && hours.fromMinute == hours.toMinute) {
        problem(at, "from and to are equal; leave the channel out for no quiet hours");
        ok = false;
      }
      if (!ok) continue;
      if (rules.quietHours.size() <= channel->second) rules.quietHours.resize(channel->second + 1);
      rules.quietHours[channel->second] = hours;
    }
  }

  void campaignRules(const Json& c, const std::string& at, uint32_t index) {
    if (!c.is_object()) return;
    CampaignContactRules& rules = engine_.contactRules.campaigns[index];
    if (c.contains("caps")) {
      const Json& caps = c["caps"];
      if (!caps.is_array()) {
        problem(at + ".caps", "must be an array of caps {\"max\", \"per\", \"count\"}");
      } else {
        for (size_t i = 0; i < caps.size(); ++i) {
          std::string cat = pathIndex(at + ".caps", i);
          const Json& cap = caps[i];
          if (!cap.is_object()) {
            problem(cat, "must be an object {\"max\", \"per\", \"count\"}");
            continue;
          }
          bool ok = checkKeys(cap, cat, {"scope", "max", "per", "count"});
          if (cap.contains("scope") &&
              (!cap["scope"].is_string() || cap["scope"].get<std::string>() != "campaign")) {
            problem(cat + ".scope",
                    "a campaign's own caps have scope \"campaign\"; put shared caps in the "
                    "top-level \"caps\"");
            ok = false;
          }
          CapRule rule;
          rule.scope = CapScope::Campaign;
          rule.target = index;
          if (capBody(cap, cat, rule) && ok) add(rule, cat);
        }
      }
    }
    if (c.contains("fatigue")) {
      const Json& f = c["fatigue"];
      std::string fat = at + ".fatigue";
      if (!f.is_object()) {
        problem(fat, "must be an object {\"impressions\": N, \"suppress\": \"7d\"}");
      } else if (checkKeys(f, fat, {"impressions", "suppress"})) {
        const Json* n = f.contains("impressions") ? &f["impressions"] : nullptr;
        if (!n || (!n->is_number_integer() && !n->is_number_unsigned()) || n->get<int64_t>() < 1 ||
            n->get<int64_t>() > static_cast<int64_t>(kMaxKeptContacts)) {
          problem(fat + ".impressions",
                  "must be a whole number from 1 to " + std::to_string(kMaxKeptContacts) +
                      " (impressions without a click before the campaign is suppressed)");
        } else if (!f.contains("suppress")) {
          problem(fat + ".suppress", "is required (how long the campaign stays suppressed)");
        } else if (duration(f["suppress"], fat + ".suppress", rules.fatigueSuppressMs)) {
          rules.fatigueImpressions = static_cast<uint32_t>(n->get<int64_t>());
        }
      }
    }
    if (c.contains("cooldownAfterDismiss"))
      duration(c["cooldownAfterDismiss"], at + ".cooldownAfterDismiss",
               rules.cooldownAfterDismissMs);
  }

  // finishContactRules names caps by their index in the expanded list and campaigns by
  // config index; map them back to the config's paths.
  void reportFinishError(const std::string& error) {
    size_t colon = error.find("]: ");
    if (error.rfind("caps[", 0) == 0 && colon != std::string::npos) {
      size_t i = std::strtoul(error.c_str() + 5, nullptr, 10);
      if (i < capPaths_.size()) {
        problem(capPaths_[i], error.substr(colon + 3));
        return;
      }
    }
    if (error.rfind("campaigns[", 0) == 0 && colon != std::string::npos) {
      problem(error.substr(0, colon + 1), error.substr(colon + 3));
      return;
    }
    problem("", error);
  }

  Engine& engine_;
  Problems& problems_;
  std::map<std::string, uint32_t> channels_;
  std::map<std::string, uint32_t> campaignIds_;
  std::vector<std::string> capPaths_;
  double largestMultiplier_ = 1;
};

}  // namespace

void compileContactRules(const Json& root, Engine& engine, Problems& problems) {
  ContactConfig(engine, problems).run(root);
}

}  // namespace attune
