#include "serialize.h"

#include <algorithm>
#include <cstring>

#include "byte_writer.h"

namespace attune {

namespace {

uint32_t checksum(std::string_view bytes) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
  return h;
}

// The compiled form's writer: the shared primitives plus string references and lists.
// Its integers are all 32-bit, written as varints.
class Writer : public ByteWriter {
 public:
  using ByteWriter::ByteWriter;
  void u32(uint32_t v) { varint(v); }
  void ref(StrRef r) {
    u32(r.off);
    u32(r.len);
  }
  template <class T, class F>
  void list(const std::vector<T>& items, F&& each) {
    u32(static_cast<uint32_t>(items.size()));
    for (const T& item : items) each(item);
  }
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == in_.size(); }
  void fail() { ok_ = false; }
  uint8_t u8() {
    if (pos_ >= in_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint16_t u16() {
    uint16_t lo = u8();
    return static_cast<uint16_t>(lo | (u8() << 8));
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b = u8();
      if (shift == 28 && b > 0x0F) ok_ = false;  // more than 32 bits
      v |= static_cast<uint32_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  uint32_t fixed32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  double f64() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(u8()) << (8 * i);
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  void bytes(std::string& out) {
    uint32_t n = u32();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    out.assign(in_.data() + pos_, n);
    pos_ += n;
  }
  StrRef ref() {
    StrRef r;
    r.off = u32();
    r.len = u32();
    return r;
  }
  // Reads a count, refusing counts that could not fit in the remaining bytes (each item
  // takes at least `minItemBytes`), so a hostile count cannot make us allocate gigabytes.
  template <class T, class F>
  void list(std::vector<T>& items, size_t minItemBytes, F&& each) {
    uint32_t n = u32();
    if (!ok_ || static_cast<uint64_t>(n) * minItemBytes > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    items.resize(n);
    for (T& item : items) {
      each(item);
      if (!ok_) return;
    }
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void writePayload(const Engine& e, Writer& w) {
  w.bytes(e.strings);
  w.ref(e.defaultLocale);
  w.list(e.locales, [&](StrRef r) { w.ref(r); });
  w.list(e.placements, [&](const PlacementDef& p) {
    w.ref(p.id);
    w.ref(p.channel);
    w.u32(p.maxItems);
    w.u32(p.defaultContent);
    w.u32(p.firstCandidate);
    w.u32(p.candidateCount);
  });
  w.list(e.campaigns, [&](const CampaignDef& c) {
    w.ref(c.id);
    w.u32(c.placement);
    w.f64(c.priority);
    w.u32(c.audience);
    w.u8(c.hasSchedule);
    w.f64(c.schedule.startMs);
    w.f64(c.schedule.endMs);
    w.u8(c.schedule.daysMask);
    w.u32(static_cast<uint32_t>(c.schedule.fromMinute));
    w.u32(static_cast<uint32_t>(c.schedule.toMinute));
    w.ref(c.seed);
    w.f64(c.holdout);
    w.u32(c.firstVariant);
    w.u32(c.variantCount);
    w.u8(c.hasTrigger);
    w.ref(c.triggerEvent);
    w.ref(c.triggerCategory);
    w.f64(c.triggerWithinMs);
    w.u8(c.requiredPurposes);
  });
  w.list(e.candidates, [&](uint32_t c) { w.u32(c); });
  w.list(e.variants, [&](const VariantDef& v) {
    w.ref(v.id);
    w.f64(v.rangeStart);
    w.f64(v.rangeEnd);
    w.u32(v.content);
  });
  w.list(e.contentSets, [&](const ContentSet& s) {
    w.u32(s.firstLocale);
    w.u32(s.localeCount);
    w.u32(s.defaultLocale);
  });
  w.list(e.contentLocales, [&](const ContentLocale& l) {
    w.ref(l.tag);
    w.u32(l.firstField);
    w.u32(l.fieldCount);
  });
  w.list(e.contentFields, [&](const ContentField& f) {
    w.ref(f.name);
    w.u32(f.templateIndex);
    w.u8(f.hasFallback);
    w.ref(f.fallback);
    w.u32(f.maxLength);
  });
  w.list(e.templates, [&](const CompiledTemplate& t) {
    w.bytes(t.text);
    w.list(t.parts, [&](const TemplatePart& p) {
      w.u8(static_cast<uint8_t>(p.kind));
      w.u8(p.hasFallback);
      w.u32(p.offset);
      w.u32(p.length);
      w.u32(p.fallbackOffset);
      w.u32(p.fallbackLength);
    });
  });
  w.list(e.segments, [&](const SegmentDef& s) {
    w.ref(s.name);
    w.u32(s.condition);
    w.u32(s.group);
    w.f64(s.capMultiplier);
  });
  w.u32(e.groupCount);
  const CondProgram& p = e.conditions;
  w.list(p.nodes, [&](const CondNode& n) {
    w.u8(static_cast<uint8_t>(n.op));
    w.u8(n.flag);
    w.u32(n.a);
    w.u32(n.b);
    w.u32(n.kidsBegin);
    w.u32(n.kidsEnd);
  });
  w.list(p.kids, [&](uint32_t k) { w.u32(k); });
  w.list(p.paths, [&](const CondPath& cp) {
    w.u32(cp.off);
    w.u32(cp.len);
  });
  w.bytes(p.strings);
  w.bytes(p.constants.chars());
  w.list(p.constants.nodes(), [&](const Node& n) {
    w.u8(static_cast<uint8_t>(n.type));
    w.u8(n.boolean);
    w.u32(n.count);
    w.f64(n.number);
    w.u32(n.strOff);
    w.u32(n.strLen);
    w.u32(n.keyOff);
    w.u32(n.keyLen);
    w.u32(n.firstChild);
    w.u32(n.lastChild);
    w.u32(n.next);
  });
  w.list(p.regexes, [&](const RegexProgram& r) {
    w.list(r.code, [&](const RegexInst& i) {
      w.u32(static_cast<uint32_t>(i.op));
      w.u32(i.a);
      w.u32(i.b);
    });
    w.list(r.ranges, [&](const RegexClassRange& cr) {
      w.u32(cr.lo);
      w.u32(cr.hi);
    });
    w.u8(r.caseInsensitive);
    w.u8(r.anchoredStart);
  });
  const ProfileSettings& ps = e.profileSettings;
  for (double v :
       {ps.interestHalfLifeMs, ps.sessionTimeoutMs, ps.cartAbandonAfterMs, ps.lapsedReturnAfterDays,
        ps.lifecycleActiveDays, ps.lifecycleLapsedDays, ps.viewWeight, ps.purchaseWeight}) {
    w.f64(v);
  }
  for (const double* table : {ps.rfmRecencyDays, ps.rfmFrequency, ps.rfmMonetary}) {
    for (int i = 0; i < 4; ++i) w.f64(table[i]);
  }
  w.list(ps.sensitiveInterests, [&](const std::string& key) { w.bytes(key); });
  const ConsentPolicy& cp = e.consentPolicy;
  w.u8(cp.optIn);
  w.u32(cp.vendorId);
  w.u32(cp.policyVersion);
  for (int i = 0; i < 5; ++i) {
    w.u32(cp.tcfMapping.required[i]);
    w.u32(cp.tcfMapping.legitimateInterest[i]);
  }
  // Contact rules as given; finishContactRules derives the rest again on load.
  const ContactRules& cr = e.contactRules;
  w.list(cr.caps, [&](const CapRule& c) {
    w.u8(static_cast<uint8_t>(c.scope));
    w.u32(c.target);
    w.u32(c.max);
    w.u8(static_cast<uint8_t>(c.count));
    w.u8(static_cast<uint8_t>(c.period));
    w.f64(c.rollingMs);
  });
  w.list(cr.campaigns, [&](const CampaignContactRules& c) {
    w.fixed32(c.key);
    w.u32(c.placement);
    w.u32(c.channel);
    w.u32(c.fatigueImpressions);
    w.f64(c.fatigueSuppressMs);
    w.f64(c.cooldownAfterDismissMs);
  });
  w.list(cr.channelNames, [&](const std::string& name) { w.bytes(name); });
  w.list(cr.quietHours, [&](const QuietHours& q) {
    w.u32(static_cast<uint32_t>(q.fromMinute + 1));
    w.u32(static_cast<uint32_t>(q.toMinute + 1));
  });
  w.list(cr.placementNames, [&](const std::string& name) { w.bytes(name); });
  w.f64(cr.sessionTimeoutMs);
}

void readPayload(Reader& r, Engine& e) {
  r.bytes(e.strings);
  e.defaultLocale = r.ref();
  r.list(e.locales, 2, [&](StrRef& s) { s = r.ref(); });
  r.list(e.placements, 8, [&](PlacementDef& p) {
    p.id = r.ref();
    p.channel = r.ref();
    p.maxItems = r.u32();
    p.defaultContent = r.u32();
    p.firstCandidate = r.u32();
    p.candidateCount = r.u32();
  });
  r.list(e.campaigns, 58, [&](CampaignDef& c) {
    c.id = r.ref();
    c.placement = r.u32();
    c.priority = r.f64();
    c.audience = r.u32();
    c.hasSchedule = r.u8() != 0;
    c.schedule.startMs = r.f64();
    c.schedule.endMs = r.f64();
    c.schedule.daysMask = r.u8();
    c.schedule.fromMinute = static_cast<int32_t>(r.u32());
    c.schedule.toMinute = static_cast<int32_t>(r.u32());
    c.seed = r.ref();
    c.holdout = r.f64();
    c.firstVariant = r.u32();
    c.variantCount = r.u32();
    c.hasTrigger = r.u8() != 0;
    c.triggerEvent = r.ref();
    c.triggerCategory = r.ref();
    c.triggerWithinMs = r.f64();
    c.requiredPurposes = r.u8();
  });
  r.list(e.candidates, 1, [&](uint32_t& c) { c = r.u32(); });
  r.list(e.variants, 19, [&](VariantDef& v) {
    v.id = r.ref();
    v.rangeStart = r.f64();
    v.rangeEnd = r.f64();
    v.content = r.u32();
  });
  r.list(e.contentSets, 3, [&](ContentSet& s) {
    s.firstLocale = r.u32();
    s.localeCount = r.u32();
    s.defaultLocale = r.u32();
  });
  r.list(e.contentLocales, 4, [&](ContentLocale& l) {
    l.tag = r.ref();
    l.firstField = r.u32();
    l.fieldCount = r.u32();
  });
  r.list(e.contentFields, 7, [&](ContentField& f) {
    f.name = r.ref();
    f.templateIndex = r.u32();
    f.hasFallback = r.u8() != 0;
    f.fallback = r.ref();
    f.maxLength = r.u32();
  });
  r.list(e.templates, 2, [&](CompiledTemplate& t) {
    r.bytes(t.text);
    r.list(t.parts, 6, [&](TemplatePart& p) {
      p.kind = static_cast<TemplatePartKind>(r.u8());
      p.hasFallback = r.u8() != 0;
      p.offset = r.u32();
      p.length = r.u32();
      p.fallbackOffset = r.u32();
      p.fallbackLength = r.u32();
    });
  });
  r.list(e.segments, 12, [&](SegmentDef& s) {
    s.name = r.ref();
    s.condition = r.u32();
    s.group = r.u32();
    s.capMultiplier = r.f64();
  });
  e.groupCount = r.u32();
  CondProgram& p = e.conditions;
  r.list(p.nodes, 6, [&](CondNode& n) {
    n.op = static_cast<CondOp>(r.u8());
    n.flag = r.u8();
    n.a = r.u32();
    n.b = r.u32();
    n.kidsBegin = r.u32();
    n.kidsEnd = r.u32();
  });
  r.list(p.kids, 1, [&](uint32_t& k) { k = r.u32(); });
  r.list(p.paths, 2, [&](CondPath& cp) {
    cp.off = r.u32();
    cp.len = r.u32();
  });
  r.bytes(p.strings);
  r.bytes(p.constants.mutableChars());
  r.list(p.constants.mutableNodes(), 18, [&](Node& n) {
    n.type = static_cast<Type>(r.u8());
    n.boolean = r.u8() != 0;
    n.count = r.u32();
    n.number = r.f64();
    n.strOff = r.u32();
    n.strLen = r.u32();
    n.keyOff = r.u32();
    n.keyLen = r.u32();
    n.firstChild = r.u32();
    n.lastChild = r.u32();
    n.next = r.u32();
  });
  r.list(p.regexes, 4, [&](RegexProgram& rp) {
    r.list(rp.code, 3, [&](RegexInst& i) {
      i.op = static_cast<RegexOp>(r.u32());
      i.a = r.u32();
      i.b = r.u32();
    });
    r.list(rp.ranges, 2, [&](RegexClassRange& cr) {
      cr.lo = r.u32();
      cr.hi = r.u32();
    });
    rp.caseInsensitive = r.u8() != 0;
    rp.anchoredStart = r.u8() != 0;
  });
  ProfileSettings& ps = e.profileSettings;
  for (double* v : {&ps.interestHalfLifeMs, &ps.sessionTimeoutMs, &ps.cartAbandonAfterMs,
                    &ps.lapsedReturnAfterDays, &ps.lifecycleActiveDays, &ps.lifecycleLapsedDays,
                    &ps.viewWeight, &ps.purchaseWeight}) {
    *v = r.f64();
  }
  for (double* table : {ps.rfmRecencyDays, ps.rfmFrequency, ps.rfmMonetary}) {
    for (int i = 0; i < 4; ++i) table[i] = r.f64();
  }
  r.list(ps.sensitiveInterests, 1, [&](std::string& key) { r.bytes(key); });
  ConsentPolicy& cp = e.consentPolicy;
  cp.optIn = r.u8() != 0;
  cp.vendorId = static_cast<uint16_t>(r.u32());
  cp.policyVersion = r.u32();
  for (int i = 0; i < 5; ++i) {
    cp.tcfMapping.required[i] = r.u32();
    cp.tcfMapping.legitimateInterest[i] = r.u32();
  }
  ContactRules& cr = e.contactRules;
  r.list(cr.caps, 13, [&](CapRule& c) {
    uint8_t scope = r.u8();
    c.target = r.u32();
    c.max = r.u32();
    uint8_t count = r.u8();
    uint8_t period = r.u8();
    c.rollingMs = r.f64();
    if (scope > static_cast<uint8_t>(CapScope::Campaign) ||
        count > static_cast<uint8_t>(CapCount::Click) ||
        period > static_cast<uint8_t>(CapPeriod::Lifetime)) {
      r.fail();
      return;
    }
    c.scope = static_cast<CapScope>(scope);
    c.count = static_cast<CapCount>(count);
    c.period = static_cast<CapPeriod>(period);
  });
  r.list(cr.campaigns, 23, [&](CampaignContactRules& c) {
    c.key = r.fixed32();
    c.placement = r.u32();
    c.channel = r.u32();
    c.fatigueImpressions = r.u32();
    c.fatigueSuppressMs = r.f64();
    c.cooldownAfterDismissMs = r.f64();
  });
  r.list(cr.channelNames, 1, [&](std::string& name) { r.bytes(name); });
  r.list(cr.quietHours, 2, [&](QuietHours& q) {
    q.fromMinute = static_cast<int32_t>(std::min<uint32_t>(r.u32(), 2000)) - 1;
    q.toMinute = static_cast<int32_t>(std::min<uint32_t>(r.u32(), 2000)) - 1;
  });
  r.list(cr.placementNames, 1, [&](std::string& name) { r.bytes(name); });
  cr.sessionTimeoutMs = r.f64();
}

// Every index and range of a loaded engine, checked before anything dereferences it.
class Checker {
 public:
  explicit Checker(const Engine& e) : e_(e) {}

  const char* run() {
    const Engine& e = e_;
    if (!ref(e.defaultLocale)) return "default locale out of range";
    for (StrRef l : e.locales)
      if (!ref(l)) return "locale out of range";
    for (const PlacementDef& p : e.placements) {
      if (!ref(p.id) || !ref(p.channel)) return "placement name out of range";
      if (p.maxItems < 1 || p.maxItems > 1000) return "placement maxItems out of range";
      if (p.defaultContent != kNone && p.defaultContent >= e.contentSets.size())
        return "placement default out of range";
      if (!span(p.firstCandidate, p.candidateCount, e.candidates.size()))
        return "placement candidates out of range";
    }
    for (uint32_t c : e.candidates)
      if (c >= e.campaigns.size()) return "candidate out of range";
    for (const CampaignDef& c : e.campaigns) {
      if (!ref(c.id) || !ref(c.seed)) return "campaign name out of range";
      if (c.placement >= e.placements.size()) return "campaign placement out of range";
      if (c.audience != kNone && c.audience >= e.conditions.nodes.size())
        return "campaign audience out of range";
      if (c.variantCount == 0 || !span(c.firstVariant, c.variantCount, e.variants.size()))
        return "campaign variants out of range";
      if (!(c.holdout >= 0 && c.holdout < 1)) return "campaign holdout out of range";
      if (!ref(c.triggerEvent) || !ref(c.triggerCategory)) return "campaign trigger out of range";
      if (c.hasTrigger && !(c.triggerWithinMs > 0 && c.triggerWithinMs < 1e13))
        return "campaign trigger window out of range";
      if (c.schedule.daysMask > 0x7F || c.schedule.fromMinute < -1 ||
          c.schedule.fromMinute > 1440 || c.schedule.toMinute < -1 || c.schedule.toMinute > 1440) {
        return "campaign schedule out of range";
      }
    }
    for (const VariantDef& v : e.variants) {
      if (!ref(v.id) || v.content >= e.contentSets.size()) return "variant out of range";
    }
    for (const ContentSet& s : e.contentSets) {
      if (s.localeCount == 0 || !span(s.firstLocale, s.localeCount, e.contentLocales.size()) ||
          s.defaultLocale >= s.localeCount) {
        return "content locales out of range";
      }
    }
    for (const ContentLocale& l : e.contentLocales) {
      if (!ref(l.tag) || !span(l.firstField, l.fieldCount, e.contentFields.size()))
        return "content fields out of range";
    }
    for (const ContentField& f : e.contentFields) {
      if (!ref(f.name) || !ref(f.fallback) || f.templateIndex >= e.templates.size())
        return "content field out of range";
    }
    for (const CompiledTemplate& t : e.templates) {
      for (const TemplatePart& p : t.parts) {
        if (static_cast<uint8_t>(p.kind) > 1 || !span(p.offset, p.length, t.text.size()) ||
            !span(p.fallbackOffset, p.fallbackLength, t.text.size())) {
          return "template part out of range";
        }
      }
    }
    for (const SegmentDef& s : e.segments) {
      if (!ref(s.name) || s.condition >= e.conditions.nodes.size()) return "segment out of range";
      if (s.group != kNone && s.group >= e.groupCount) return "segment group out of range";
    }
    if (e.groupCount > e.segments.size()) return "too many exclusive groups";
    const ProfileSettings& ps = e.profileSettings;
    for (double v : {ps.interestHalfLifeMs, ps.sessionTimeoutMs, ps.cartAbandonAfterMs,
                     ps.lapsedReturnAfterDays, ps.lifecycleActiveDays, ps.lifecycleLapsedDays}) {
      if (!(v > 0 && v < 1e13)) return "behaviour settings out of range";
    }
    for (double v : {ps.viewWeight, ps.purchaseWeight}) {
      if (!(v >= 0 && v <= 1000)) return "interest weights out of range";
    }
    for (const double* table : {ps.rfmRecencyDays, ps.rfmFrequency, ps.rfmMonetary}) {
      for (int i = 0; i < 4; ++i) {
        if (!(table[i] >= 0 && table[i] < 1e15)) return "RFM thresholds out of range";
      }
    }
    if (!std::is_sorted(ps.sensitiveInterests.begin(), ps.sensitiveInterests.end())) {
      return "sensitive interests not sorted";
    }
    std::string why;
    if (!validateTcfMapping(e.consentPolicy.tcfMapping, why)) return "TCF mapping invalid";
    for (const CampaignDef& c : e.campaigns) {
      if (c.requiredPurposes > kAllPurposes) return "campaign consent purposes invalid";
    }
    if (const char* why = contactRules()) return why;
    if (const char* why = constants()) return why;
    if (const char* why = conditions()) return why;
    return regexes();
  }

 private:
  static bool span(uint64_t first, uint64_t count, uint64_t size) { return first + count <= size; }

  // The contact rules must describe this engine's campaigns and placements; their own
  // invariants are finishContactRules' to check (loadEngine runs it).
  const char* contactRules() const {
    const Engine& e = e_;
    const ContactRules& cr = e.contactRules;
    if (cr.campaigns.size() != e.campaigns.size()) return "contact rules do not match campaigns";
    if (cr.placementNames.size() != e.placements.size())
      return "contact rules do not match placements";
    for (size_t i = 0; i < e.campaigns.size(); ++i) {
      if (cr.campaigns[i].key != contactKey(e.str(e.campaigns[i].id)) ||
          cr.campaigns[i].placement != e.campaigns[i].placement) {
        return "contact rules do not match campaigns";
      }
    }
    for (size_t i = 0; i < e.placements.size(); ++i)
      if (cr.placementNames[i] != e.str(e.placements[i].id))
        return "contact rules do not match placements";
    for (const SegmentDef& s : e.segments)
      if (!(s.capMultiplier >= 1 && s.capMultiplier <= 100)) return "cap multiplier out of range";
    return nullptr;
  }
  bool ref(StrRef r) const { return span(r.off, r.len, e_.strings.size()); }

  // Doc invariants: children and siblings come after their node, so walks terminate; depth
  // is bounded so Doc::equal's recursion is too.
  const char* constants() const {
    const Doc& d = e_.conditions.constants;
    size_t n = d.size();
    std::vector<uint8_t> depth(n, 0);
    for (size_t i = n; i-- > 0;) {
      const Node& node = d.node(static_cast<NodeId>(i));
      if (static_cast<uint8_t>(node.type) > static_cast<uint8_t>(Type::Object))
        return "constant type invalid";
      if (!span(node.strOff, node.strLen, d.chars().size()) ||
          !span(node.keyOff, node.keyLen, d.chars().size())) {
        return "constant text out of range";
      }
      uint32_t count = 0;
      for (NodeId c = node.firstChild; c != kNoNode; c = d.node(c).next) {
        // Children are created after their parent, so every valid link points forward.
        if (c <= i || c >= n || ++count > node.count) return "constant structure invalid";
        if (depth[c] >= 64) return "constants nested too deeply";
        depth[i] = std::max<uint8_t>(depth[i], static_cast<uint8_t>(depth[c] + 1));
        if (d.node(c).next != kNoNode && d.node(c).next <= c) return "constant structure invalid";
      }
      if (count != node.count) return "constant structure invalid";
      bool container = node.type == Type::Array || node.type == Type::Object;
      if (!container && node.count) return "constant structure invalid";
    }
    return nullptr;
  }

  // Condition nodes only point to earlier nodes (the compiler emits children first), which
  // makes the graph acyclic; depth is bounded so evaluation's recursion is too.
  const char* conditions() const {
    const CondProgram& p = e_.conditions;
    std::vector<uint8_t> depth(p.nodes.size(), 0);
    for (uint32_t i = 0; i < p.nodes.size(); ++i) {
      const CondNode& n = p.nodes[i];
      auto child = [&](uint32_t c) {
        if (c >= i) return false;
        depth[i] = std::max<uint8_t>(depth[i], static_cast<uint8_t>(depth[c] + 1));
        return depth[i] <= 96;
      };
      auto constant = [&](uint32_t c) { return c < p.constants.size(); };
      if (n.kidsBegin > n.kidsEnd || n.kidsEnd > p.kids.size())
        return "condition children out of range";
      for (uint32_t k = n.kidsBegin; k < n.kidsEnd; ++k) {
        if (!child(p.kids[k])) return "condition child invalid";
      }
      bool ok = true;
      switch (n.op) {
        case CondOp::True:
        case CondOp::And:
        case CondOp::Or:
        case CondOp::Nor:
        case CondOp::AllOf:
        case CondOp::All:
          break;
        case CondOp::Not:
          ok = n.kidsEnd > n.kidsBegin;
          break;
        case CondOp::Field:
          ok = n.a < p.paths.size() && child(n.b) &&
               span(p.paths[n.a].off, p.paths[n.a].len, p.strings.size());
          break;
        case CondOp::EqConst:
        case CondOp::Ne:
        case CondOp::Lt:
        case CondOp::Lte:
        case CondOp::Gt:
        case CondOp::Gte:
          ok = constant(n.a);
          break;
        case CondOp::In:
        case CondOp::Nin:
          ok = constant(n.a) && p.constants.type(n.a) == Type::Array;
          break;
        case CondOp::Exists:
          break;
        case CondOp::TypeIs:
          ok = n.flag <= static_cast<uint8_t>(ValueKind::Object);
          break;
        case CondOp::Regex:
          ok = n.a < p.regexes.size();
          break;
        case CondOp::NotMatch:
        case CondOp::Size:
        case CondOp::ElemMatchValue:
        case CondOp::ElemMatchCond:
          ok = child(n.b);
          break;
        case CondOp::VersionCmp:
          ok = span(n.a, n.b, p.strings.size()) && n.flag <= static_cast<uint8_t>(VersionOp::Lte);
          break;
        default:
          ok = false;
      }
      if (!ok) return "condition node invalid";
    }
    return nullptr;
  }

  const char* regexes() const {
    for (const RegexProgram& r : e_.conditions.regexes) {
      size_t n = r.code.size();
      if (n == 0 || n > 100000) return "regex program size invalid";
      for (size_t i = 0; i < n; ++i) {
        const RegexInst& inst = r.code[i];
        switch (inst.op) {
          case RegexOp::Char:
          case RegexOp::AnyButLine:
          case RegexOp::Any:
            if (i + 1 >= n) return "regex program invalid";
            break;
          case RegexOp::Class:
            if (i + 1 >= n || !span(inst.a, inst.b, r.ranges.size()))
              return "regex program invalid";
            break;
          case RegexOp::Split:
            if (inst.a >= n || inst.b >= n) return "regex program invalid";
            break;
          case RegexOp::Jump:
            if (inst.a >= n) return "regex program invalid";
            break;
          case RegexOp::LineStart:
          case RegexOp::LineEnd:
          case RegexOp::WordBoundary:
          case RegexOp::NotWordBoundary:
            if (i + 1 >= n) return "regex program invalid";
            break;
          case RegexOp::Match:
            break;
          default:
            return "regex opcode invalid";
        }
      }
    }
    return nullptr;
  }

  const Engine& e_;
};

}  // namespace

void saveEngine(const Engine& engine, std::string& out) {
  std::string payload;
  Writer w(payload);
  writePayload(engine, w);
  Writer header(out);
  out += "ATNC";
  header.u16(kBinaryFormatVersion);
  header.u16(0);
  header.fixed32(static_cast<uint32_t>(payload.size()));
  out += payload;
  header.fixed32(checksum(payload));
}

bool loadEngine(std::string_view bytes, Engine& engine, std::string& error) {
  if (bytes.size() < 16 || bytes.substr(0, 4) != "ATNC") {
    error = "not an Attune compiled config (bad magic)";
    return false;
  }
  Reader header(bytes.substr(4));
  uint16_t version = header.u16();
  header.u16();
  uint32_t length = header.fixed32();
  if (version != kBinaryFormatVersion) {
    error = "compiled config format " + std::to_string(version) + " is not supported (expected " +
            std::to_string(kBinaryFormatVersion) + "); recompile the config";
    return false;
  }
  if (length != bytes.size() - 16) {
    error = "compiled config is truncated or has trailing bytes";
    return false;
  }
  std::string_view payload = bytes.substr(12, length);
  Reader tail(bytes.substr(12 + length));
  if (tail.fixed32() != checksum(payload)) {
    error = "compiled config checksum mismatch (corrupted)";
    return false;
  }
  Reader r(payload);
  readPayload(r, engine);
  if (!r.ok() || !r.atEnd()) {
    error = "compiled config payload is malformed";
    return false;
  }
  if (const char* why = Checker(engine).run()) {
    error = std::string("compiled config is inconsistent: ") + why;
    return false;
  }
  double largestMultiplier = 1;
  for (const SegmentDef& s : engine.segments)
    largestMultiplier = std::max(largestMultiplier, s.capMultiplier);
  std::string why;
  if (!finishContactRules(engine.contactRules, largestMultiplier, why)) {
    error = "compiled config is inconsistent: contact rules: " + why;
    return false;
  }
  return true;
}

}  // namespace attune
