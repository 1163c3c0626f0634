#!/usr/bin/env python3
"""Independent reference for tests/vectors/kpi.json (docs/KPI.md, "Vectors").

Computes every KPI of docs/KPI.md with mpmath at 50 significant digits, from the raw events
(no code shared with runtime/kpi.cpp): Wilson intervals from the closed form, Newcombe's
hybrid interval, Welch's interval with the Student t quantile found by mpmath.findroot on
mpmath.betainc. Writes the cases with every number rounded to 6 decimals.
"""
import json
import random
import sys

import mpmath as mp

mp.mp.dps = 50
Z = mp.sqrt(2) * mp.erfinv(mp.mpf("0.95"))  # the normal 0.975 quantile


def wilson(k, n):
    n = mp.mpf(n)
    p = k / n
    denom = 1 + Z**2 / n
    center = (p + Z**2 / (2 * n)) / denom
    half = Z * mp.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denom
    return max(mp.mpf(0), center - half), min(mp.mpf(1), center + half)


def t_quantile_975(df):
    df = mp.mpf(df)
    upper = lambda t: mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return mp.findroot(lambda t: upper(t) - mp.mpf("0.025"), mp.mpf(2))


def figures(events):
    cells = {}
    for e in events:
        key = (e["campaign"], bool(e.get("holdout", False)), e.get("variant"))
        c = cells.setdefault(key, {"impressions": 0, "clicks": 0, "dismissals": 0,
                                   "conversions": 0, "revenue": mp.mpf(0), "visitors": {},
                                   "converted": set()})
        t = e["type"]
        c[{"impression": "impressions", "click": "clicks", "dismiss": "dismissals",
           "conversion": "conversions"}[t]] += 1
        rev = c["visitors"].setdefault(e["visitor"], mp.mpf(0))
        if t == "conversion":
            v = mp.mpf(e.get("value", 0))
            c["revenue"] += v
            c["visitors"][e["visitor"]] = rev + v
            c["converted"].add(e["visitor"])
    return cells


def row(key, c):
    n = len(c["visitors"])
    k = len(c["converted"])
    r = {"variant": None if key[1] else key[2], "holdout": key[1],
         "impressions": c["impressions"], "clicks": c["clicks"], "dismissals": c["dismissals"],
         "conversions": c["conversions"], "exposedVisitors": n, "convertedVisitors": k,
         "ctr": c["clicks"] / mp.mpf(c["impressions"]) if c["impressions"] else None,
         "conversionRate": k / mp.mpf(n) if n else None, "revenue": c["revenue"],
         "revenuePerVisitor": c["revenue"] / n if n else None,
         "visitorSampleRate": 1, "approximate": False}
    return r


def uplift(v, h):
    n1, n0 = len(v["visitors"]), len(h["visitors"])
    k1, k0 = len(v["converted"]), len(h["converted"])
    p1, p0 = k1 / mp.mpf(n1), k0 / mp.mpf(n0)
    l1, u1 = wilson(k1, n1)
    l0, u0 = wilson(k0, n0)
    d = p1 - p0
    cr = {"absolute": d, "low": d - mp.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
          "high": d + mp.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2),
          "relative": d / p0 if p0 > 0 else None}
    r1 = list(v["visitors"].values())
    r0 = list(h["visitors"].values())
    m1, m0 = mp.fsum(r1) / n1, mp.fsum(r0) / n0
    rpv = {"absolute": m1 - m0, "low": None, "high": None}
    if n1 >= 2 and n0 >= 2:
        s1 = mp.fsum((x - m1) ** 2 for x in r1) / (n1 - 1) / n1
        s0 = mp.fsum((x - m0) ** 2 for x in r0) / (n0 - 1) / n0
        if s1 + s0 > 0:
            df = (s1 + s0) ** 2 / (s1**2 / (n1 - 1) + s0**2 / (n0 - 1))
            t = t_quantile_975(df)
            se = mp.sqrt(s1 + s0)
            rpv["low"] = m1 - m0 - t * se
            rpv["high"] = m1 - m0 + t * se
    return {"conversionRate": cr, "revenuePerVisitor": rpv}


def report(events):
    cells = figures(events)
    campaigns = {}
    for key in cells:
        campaigns.setdefault(key[0], []).append(key)
    out = []
    for name in sorted(campaigns, key=lambda s: s.encode()):
        keys = sorted(campaigns[name], key=lambda k: (not k[1], (k[2] or "").encode()))
        hold = next((k for k in keys if k[1]), None)
        rows = []
        for k in keys:
            r = row(k, cells[k])
            r["uplift"] = uplift(cells[k], cells[hold]) if hold and not k[1] else None
            rows.append(r)
        out.append({"campaign": name, "variants": rows})
    return {"campaigns": out, "acceptedEvents": len(events), "rejectedEvents": 0}


def rounded(x):
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, mp.mpf):
        v = round(float(x), 6)
        return 0.0 if v == 0 else v
    return x


def ev(visitor, campaign, variant, type_, value=None, holdout=False):
    e = {"visitor": visitor, "campaign": campaign, "type": type_}
    if holdout:
        e["variant"] = None
        e["holdout"] = True
    else:
        e["variant"] = variant
    if value is not None:
        e["value"] = value
    return e


def arm(campaign, variant, prefix, n, buyers, holdout=False, clicks=(), dismiss=()):
    """n visitors with an impression each; buyers: {index: [values]}."""
    out = []
    for i in range(n):
        vid = f"{prefix}{i}"
        out.append(ev(vid, campaign, variant, "impression", holdout=holdout))
        if i in clicks:
            out.append(ev(vid, campaign, variant, "click", holdout=holdout))
        if i in dismiss:
            out.append(ev(vid, campaign, variant, "dismiss", holdout=holdout))
        for value in buyers.get(i, []):
            out.append(ev(vid, campaign, variant, "conversion", value, holdout=holdout))
    return out


def cases():
    c = []
    # The worked example of docs/KPI.md.
    spring = (arm("spring", None, "h", 8, {1: [20], 4: [35.5]}, holdout=True, clicks={0})
              + arm("spring", "a", "a", 6, {0: [40, 10], 2: [25], 5: [12.25]},
                    clicks={0, 2, 3}, dismiss={4})
              + arm("spring", "b", "b", 5, {1: [0]}, clicks={1}))
    spring.append(ev("b0", "spring", "b", "impression"))  # a repeat: one visitor still
    c.append(("two variants and a holdout", spring))
    c.append(("no holdout: uplift is null",
              arm("solo", "a", "x", 4, {0: [9.99]}, clicks={1})
              + arm("solo", "b", "y", 3, {}, dismiss={0, 1})))
    c.append(("holdout converts 0%, variant 100%",
              arm("edge", None, "h", 10, {}, holdout=True)
              + arm("edge", "v", "v", 10, {i: [5] for i in range(10)})))
    c.append(("everyone converts in both arms",
              arm("all", None, "h", 4, {0: [1], 1: [2], 2: [3], 3: [4]}, holdout=True)
              + arm("all", "v", "v", 3, {0: [10], 1: [10], 2: [13]})))
    c.append(("one visitor per arm: no revenue interval",
              arm("tiny", None, "h", 1, {0: [3]}, holdout=True)
              + arm("tiny", "v", "v", 1, {})))
    c.append(("no revenue anywhere: revenue interval null, relative null",
              arm("free", None, "h", 5, {}, holdout=True) + arm("free", "v", "v", 7, {})))
    c.append(("zero-value conversions convert but earn nothing",
              arm("signup", None, "h", 6, {0: [0]}, holdout=True)
              + arm("signup", "v", "v", 6, {0: [0], 1: [0], 2: [0]})))
    order = []
    for name in ["\u03a9mega", "b", "B", "a b", "a"]:
        order += arm(name, "v2", name + "/p", 1, {})
        order += arm(name, "V1", name + "/q", 1, {})
        order += arm(name, None, name + "/h", 1, {}, holdout=True)
    c.append(("campaigns and variants ordered by bytes, holdout first", order))
    conv_only = arm("late", None, "h", 3, {}, holdout=True) + [
        ev("z1", "late", "v", "conversion", 7), ev("z2", "late", "v", "impression"),
        ev("z3", "late", "v", "click")]
    c.append(("a conversion without an impression still counts its visitor", conv_only))
    c.append(("holdout only", arm("control", None, "h", 4, {2: [8]}, holdout=True)))
    c.append(("a visitor seen in two variants counts in each",
              arm("moved", None, "h", 3, {0: [1]}, holdout=True)
              + arm("moved", "a", "m", 2, {0: [5]}) + arm("moved", "b", "m", 2, {1: [6]})))
    c.append(("value on a non-conversion event is ignored",
              arm("vals", None, "h", 2, {}, holdout=True)
              + [ev("v0", "vals", "v", "impression", 100), ev("v0", "vals", "v", "click", 5)]))
    rng = random.Random(20240601)
    big = []
    for arm_name, prefix, rate, mean, hold in [(None, "h", 0.10, 40, True),
                                               ("treat", "t", 0.16, 45, False)]:
        for i in range(300):
            vid = f"{prefix}{i}"
            big.append(ev(vid, "bigger", arm_name, "impression", holdout=hold))
            if rng.random() < 0.3:
                big.append(ev(vid, "bigger", arm_name, "click", holdout=hold))
            if rng.random() < rate:
                big.append(ev(vid, "bigger", arm_name, "conversion",
                              round(rng.expovariate(1 / mean), 2), holdout=hold))
                if rng.random() < 0.2:
                    big.append(ev(vid, "bigger", arm_name, "conversion",
                                  round(rng.expovariate(1 / mean), 2), holdout=hold))
    rng.shuffle(big)
    c.append(("300 visitors per arm, shuffled", big))
    out = [{"name": n, "events": e, "expected": rounded(report(e))} for n, e in c]
    errors = [
        ("error: not an array", {"visitor": "a"}),
        ("error: event is not an object", [1]),
        ("error: unknown type", [ev("a", "c", "v", "view")]),
        ("error: missing visitor", [{"campaign": "c", "variant": "v", "type": "click"}]),
        ("error: empty visitor", [ev("", "c", "v", "click")]),
        ("error: empty campaign", [ev("a", "", "v", "click")]),
        ("error: variant missing without holdout", [{"visitor": "a", "campaign": "c",
                                                     "type": "click"}]),
        ("error: empty variant", [ev("a", "c", "", "click")]),
        ("error: variant on a holdout event", [{"visitor": "a", "campaign": "c",
                                                "variant": "v", "holdout": True,
                                                "type": "impression"}]),
        ("error: negative value", [ev("a", "c", "v", "conversion", -1)]),
        ("error: value above 1e15", [ev("a", "c", "v", "conversion", 1e16)]),
        ("error: value as a string", [ev("a", "c", "v", "conversion", "12")]),
        ("error: holdout as a string", [{"visitor": "a", "campaign": "c", "variant": None,
                                         "holdout": "yes", "type": "click"}]),
        ("error: unknown property", [dict(ev("a", "c", "v", "click"), at=5)]),
        ("error: campaign id longer than 256 bytes", [ev("a", "c" * 257, "v", "click")]),
        ("error: a bad event after good ones", [ev("a", "c", "v", "click"),
                                                ev("a", "c", "v", "click", None) | {"type": 3}]),
    ]
    out += [{"name": n, "events": e, "expected": {"error": True}} for n, e in errors]
    return out


if __name__ == "__main__":
    text = json.dumps(cases(), ensure_ascii=False, indent=1)
    (open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout).write(text + "\n")
