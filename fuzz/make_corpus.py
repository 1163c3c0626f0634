#!/usr/bin/env python3
"""Writes the committed seed corpora (fuzz/corpus/<target>/) from the shared test vectors and
the state fixtures, in each target's input format (fuzz/README.md). Deterministic: running it
again rewrites the same files. Reproducers of fixed findings live in fuzz/corpus/<target>/
as regression-* files and are left alone.

The config target also gets compiled configs (binary form) from the native CLI, build/attune
(`cmake --build build --target attune`); rerun after a change of the binary format.

    python3 fuzz/make_corpus.py
"""
import hashlib
import json
import os
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "tests", "vectors")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def load(name):
    with open(os.path.join(VECTORS, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write(target, seeds):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        if old.startswith("seed-"):
            os.remove(os.path.join(folder, old))
    unique = list(dict.fromkeys(seeds))
    for data in unique:
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(unique)} seeds, {sum(map(len, unique))} bytes")


def spread(items, count):
    """`count` items taken evenly across `items` (vectors are grouped by topic)."""
    if len(items) <= count:
        return items
    return [items[i * len(items) // count] for i in range(count)]


def operators(value, found):
    if isinstance(value, dict):
        for k, v in value.items():
            if k.startswith("$"):
                found.add(k)
            operators(v, found)
    elif isinstance(value, list):
        for v in value:
            operators(v, found)
    return found


def conditions():
    cases = load("conditions")
    chosen, covered = [], set()
    for case in cases:  # every operator at least twice, then an even spread
        ops = operators(case["condition"], set())
        if any(op not in covered for op in ops) or len(chosen) < 10:
            chosen.append(case)
            covered |= ops
    chosen += spread(cases, 30)
    return [compact(c["condition"]) + b"\0" + compact(c["attributes"]) for c in chosen]


def configs():
    seen, out = set(), []
    for name in ("decisions", "profile", "contacts"):
        for case in spread(load(name), 20):
            config = case.get("config") or case["request"]["config"]
            data = compact(config)
            if data not in seen and len(data) <= 4096:
                seen.add(data)
                out.append(data)
    # Refused ones: each reaches a different part of validation.
    out += [
        b'{"version":2}',
        b'{"version":1,"placements":[{"id":"hero"}],"campaigns":[{"id":"c","placement":"nope",'
        b'"variants":[{"id":"a","weight":-1,"content":{"en-":{"h":"{{x"}}}]}]}',
        b'{"version":1,"placements":[],"segments":[{"name":"a","condition":{"segments":"b"}},'
        b'{"name":"b","condition":{"segments":"a"}}]}',
    ]
    return out


def compiled(configs):
    """Binary forms of some configs, written by `attune compile`."""
    cli = os.path.join(ROOT, "build", "attune")
    if not os.path.exists(cli):
        raise SystemExit("make_corpus.py: build/attune is missing (cmake --build build --target attune)")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, config in enumerate(spread([c for c in configs if c.startswith(b'{"version":1')], 12)):
            src, dst = os.path.join(tmp, f"{i}.json"), os.path.join(tmp, f"{i}.bin")
            with open(src, "wb") as f:
                f.write(config)
            subprocess.run([cli, "compile", src, "-o", dst], check=True, capture_output=True)
            with open(dst, "rb") as f:
                out.append(f.read())
    return out


def locales():
    out = []
    for case in load("locale"):
        request = case["request"]
        if "acceptLanguage" in request:
            out.append(request["acceptLanguage"].encode("utf-8"))
        if "requested" in request:
            out.append("\n".join(request["requested"]).encode("utf-8"))
    return out


def tcf():
    return [case["tcString"].encode("ascii") for case in load("tcf")]


def templates():
    out = []
    for case in load("templates"):
        request = case["request"]
        max_length = request.get("maxLength", 0)
        max_length = max_length if isinstance(max_length, int) and 0 <= max_length < 256 else 0
        data = bytes([max_length]) + request.get("template", "").encode("utf-8")
        if "context" in request:
            data += b"\0" + compact(request["context"])
        out.append(data)
    return out


def state_blobs():
    return [fixture(n) for n in sorted(os.listdir(FIXTURES)) if n.startswith("state-")]


def cookies():
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        if not name.startswith("state-"):
            continue
        for budget in (4096, 900, 600, 300, 100):
            out.append(struct.pack("<H", budget) + fixture(name))
    return out


if __name__ == "__main__":
    write("condition", conditions())
    write("config", configs() + compiled(configs()))
    write("locale", locales())
    write("tcf", tcf())
    write("template", templates())
    write("state_blob", state_blobs())
    write("cookie", cookies())
