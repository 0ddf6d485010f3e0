#!/usr/bin/env python3
"""Generates the trialbridge FHIR package (fhir-profiles/trialbridge/package/) from its sources.

Sources (hand-written, in src/):
  structures.json   the differentials of the project's profiles and extensions, and copies of
                    foreign extensions the validator needs offline;
  terminology.json  the project's CodeSystems (each also gets a ValueSet of all its codes).

Output (generated; do not edit by hand):
  package/package.json, package/.index.json       the NPM package layout FHIR tools expect;
  package/StructureDefinition-*.json              with differential AND snapshot;
  package/CodeSystem-*.json, package/ValueSet-*.json;
  embedded.ndjson                                 the same resources, one minified per line, which
                                                  the trialbridge binary embeds (adapter/mapping).

Snapshots are generated from the R4 core definitions in ../r4-core/core.ndjson (made by
tools/gen_core_pack.py), so the script needs nothing outside the repository. The algorithm is the
usual one: copy the base snapshot; for each differential element, in snapshot order, find or make
its target (expanding a complex datatype's children from the datatype's snapshot, or creating a
slice after the sliced element's subtree), then merge the differential's constraints into it, and
check that they only narrow the base (cardinality inside the base's, types a subset of the base's).
The core pack drops ElementDefinition.definition; snapshot elements get it back from `short`
(sdf-3 requires a definition on every snapshot element).

Usage: fhir-profiles/trialbridge/gen_package.py [--check]
  --check  regenerate in memory and fail (exit 1) if package/ differs: used by the tests.
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = os.path.join(HERE, "..", "r4-core", "core.ndjson")
OUT = os.path.join(HERE, "package")

CANONICAL = "http://trialbridge.org/fhir"
VERSION = "0.1.0"
DATE = "2025-06-01"
PUBLISHER = "trialbridge"
CORE_SD = "http://hl7.org/fhir/StructureDefinition/"
PACKAGE_NAME = "trialbridge.fhir"


class GenError(Exception):
    pass


def load_core():
    sds = {}
    with open(CORE, encoding="utf-8") as f:
        for line in f:
            if '"resourceType":"StructureDefinition"' not in line[:60]:
                continue
            sd = json.loads(line)
            sds[sd["url"]] = sd
    return sds


def pascal(ident):
    return "".join(p[:1].upper() + p[1:] for p in ident.replace("_", "-").split("-"))


def narrative(title, description):
    def esc(s):
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>%s</b></p><p>%s</p></div>'
        % (esc(title), esc(description)),
    }


# ---------------------------------------------------------------------------------------------
# Snapshot generation


class Snapshot:
    def __init__(self, core, base_elements):
        self.core = core
        self.added_slicing = []  # ids of elements given the default extension slicing
        self.elements = copy.deepcopy(base_elements)
        for e in self.elements:
            fill_definition(e)

    def index(self, ident):
        for i, e in enumerate(self.elements):
            if e["id"] == ident:
                return i
        return -1

    def subtree_end(self, i):
        """Index just after element i's descendants and slices."""
        ident = self.elements[i]["id"]
        j = i + 1
        while j < len(self.elements):
            other = self.elements[j]["id"]
            if other.startswith(ident + ".") or other.startswith(ident + ":"):
                j += 1
            else:
                break
        return j

    def expand(self, i):
        """Inserts the children of element i's (single, complex) type after it."""
        e = self.elements[i]
        if self.subtree_end(i) > i + 1 and self.elements[i + 1]["id"].startswith(e["id"] + "."):
            return  # already expanded
        types = e.get("type", [])
        if len(types) != 1:
            raise GenError("cannot expand %s: it has %d types" % (e["id"], len(types)))
        code = types[0]["code"]
        tsd = self.core.get(CORE_SD + code)
        if tsd is None or tsd["kind"] != "complex-type":
            raise GenError("cannot expand %s: type %s is not a complex datatype" % (e["id"], code))
        children = []
        for c in tsd["snapshot"]["element"][1:]:
            c = copy.deepcopy(c)
            c["id"] = e["id"] + c["id"][len(code):]
            c["path"] = e["path"] + c["path"][len(code):]
            fill_definition(c)
            children.append(c)
        self.elements[i + 1:i + 1] = children


def fill_definition(e):
    if "definition" not in e:
        e["definition"] = e.get("short", e["path"])


def element_id(snap, d):
    """The id the differential element d targets."""
    path = d["path"]
    if "sliceOf" in d:
        # The nearest ancestor path that has the named slice.
        parts = path.split(".")
        for k in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:k])
            sliced = prefix + ":" + d["sliceOf"]
            # the ancestor may itself sit under other ids; look for an element whose path is the
            # prefix and whose id ends in the slice
            for e in snap.elements:
                if e["path"] == prefix and e["id"].endswith(":" + d["sliceOf"]):
                    return e["id"] + "." + ".".join(parts[k:])
        raise GenError("%s: no slice %s above it" % (path, d["sliceOf"]))
    ident = path
    if "sliceName" in d:
        ident += ":" + d["sliceName"]
    return ident


def target(snap, d):
    ident = element_id(snap, d)
    i = snap.index(ident)
    if i >= 0:
        return i
    if "sliceName" in d:
        base_id = ident[: ident.rindex(":")]
        b = snap.index(base_id)
        if b < 0:
            raise GenError("%s: no element %s to slice" % (ident, base_id))
        base = snap.elements[b]
        if "slicing" not in base:
            if base["path"].endswith(".extension") or base["path"].endswith(".modifierExtension"):
                base["slicing"] = {"discriminator": [{"type": "value", "path": "url"}],
                                   "description": "Extensions are always sliced by (at least) url",
                                   "rules": "open"}
                snap.added_slicing.append(base_id)
            else:
                raise GenError("%s: %s is not sliced (give its slicing first)" % (ident, base_id))
        s = copy.deepcopy(base)
        del s["slicing"]
        s["id"] = ident
        s["sliceName"] = d["sliceName"]
        s["min"] = 0
        end = snap.subtree_end(b)
        snap.elements.insert(end, s)
        return end
    parent_id = ident[: ident.rindex(".")]
    p = snap.index(parent_id)
    if p < 0:
        raise GenError("%s: no parent element %s" % (ident, parent_id))
    snap.expand(p)
    i = snap.index(ident)
    if i < 0:
        raise GenError("%s: no such element in %s's type" % (ident, parent_id))
    return i


def max_value(m):
    return float("inf") if m == "*" else int(m)


def merge(e, d, where):
    for key, value in d.items():
        if key in ("path", "sliceOf", "sliceName"):
            continue
        if key == "min":
            if value < e.get("base", {}).get("min", 0) and "sliceName" not in e:
                raise GenError("%s: min %d is below the base's" % (where, value))
            e["min"] = value
        elif key == "max":
            base_max = e.get("base", {}).get("max", "*")
            if max_value(value) > max_value(base_max):
                raise GenError("%s: max %s is above the base's %s" % (where, value, base_max))
            e["max"] = value
        elif key == "type":
            base_codes = {t["code"] for t in e.get("type", [])}
            for t in value:
                if t["code"] not in base_codes:
                    raise GenError("%s: type %s is not allowed by the base" % (where, t["code"]))
            e["type"] = copy.deepcopy(value)
        elif key.startswith("fixed") or key.startswith("pattern"):
            for k in [k for k in e if k.startswith("fixed") or k.startswith("pattern")]:
                del e[k]
            e[key] = copy.deepcopy(value)
        elif key == "constraint":
            e.setdefault("constraint", []).extend(copy.deepcopy(value))
        elif key in ("binding", "slicing", "short", "definition", "comment", "mustSupport"):
            e[key] = copy.deepcopy(value)
        else:
            raise GenError("%s: unsupported differential property %s" % (where, key))
    if max_value(e["max"]) < e["min"]:
        raise GenError("%s: min %d is above max %s" % (where, e["min"], e["max"]))
    if "definition" not in d and "short" in d:
        e["definition"] = d["short"]


def build_structure(core, sd, diff):
    """Fills sd's snapshot and differential from the base snapshot and diff elements."""
    base = core[sd["baseDefinition"]]
    snap = Snapshot(core, base["snapshot"]["element"])
    placed = []
    for d in diff:
        i = target(snap, d)
        ident = snap.elements[i]["id"]
        merge(snap.elements[i], d, sd["id"] + ": " + ident)
        out = {"id": ident, "path": d["path"]}
        if "sliceName" in d:
            out["sliceName"] = d["sliceName"]
        for k, v in d.items():
            if k not in ("path", "sliceOf", "sliceName"):
                out[k] = copy.deepcopy(v)
        placed.append(out)
    for ident in snap.added_slicing:
        e = snap.elements[snap.index(ident)]
        placed.append({"id": ident, "path": e["path"], "slicing": copy.deepcopy(e["slicing"])})
    order = {e["id"]: n for n, e in enumerate(snap.elements)}
    # Differential elements in snapshot order; one per id (later entries refine earlier ones).
    merged = {}
    for p in placed:
        if p["id"] in merged:
            merged[p["id"]].update(p)
        else:
            merged[p["id"]] = p
    differential = sorted(merged.values(), key=lambda p: order[p["id"]])
    check_snapshot(sd["id"], snap.elements)
    sd["snapshot"] = {"element": snap.elements}
    sd["differential"] = {"element": differential}


def check_snapshot(name, elements):
    seen = set()
    root = elements[0]["path"]
    for e in elements:
        if e["id"] in seen:
            raise GenError("%s: duplicate element id %s" % (name, e["id"]))
        seen.add(e["id"])
        if e["path"] != root and not e["path"].startswith(root + "."):
            raise GenError("%s: element %s is outside %s" % (name, e["path"], root))
        for k in ("definition", "min", "max", "base"):
            if k not in e:
                raise GenError("%s: element %s has no %s" % (name, e["id"], k))


# ---------------------------------------------------------------------------------------------
# Resources


def structure_header(ident, url, name, title, description, kind, type_, base, version=VERSION,
                     publisher=PUBLISHER):
    return {
        "resourceType": "StructureDefinition",
        "id": ident,
        "text": narrative(title, description),
        "url": url,
        "version": version,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": publisher,
        "description": description,
        "fhirVersion": "4.0.1",
        "kind": kind,
        "abstract": False,
        "type": type_,
        "baseDefinition": base,
        "derivation": "constraint",
    }


def profile(core, p):
    url = "%s/StructureDefinition/%s" % (CANONICAL, p["id"])
    sd = structure_header(p["id"], url, pascal(p["id"]), p["title"], p["description"], "resource",
                          p["type"], CORE_SD + p["type"])
    t = p["type"]
    constraints = [{
        "key": "tb-meta-1",
        "severity": "error",
        "human": "meta.profile names this profile (%s)" % url,
        "expression": "meta.profile.where($this = '%s' or $this.startsWith('%s|')).exists()"
                      % (url, url),
        "source": url,
    }]
    for c in p.get("constraints", []):
        c = dict(c)
        c["source"] = url
        constraints.append(c)
    diff = [{"path": t, "short": p["title"], "definition": p["description"], "constraint": constraints},
            {"path": t + ".meta", "min": 1},
            {"path": t + ".meta.profile", "min": 1,
             "short": "Names " + url}]
    diff += p["elements"]
    build_structure(core, sd, diff)
    return sd


def extension_value_type(x):
    t = {"code": x["valueType"]}
    if "targetProfile" in x:
        t["targetProfile"] = [x["targetProfile"]]
    return [t]


def extension(core, x, url=None, version=VERSION, publisher=PUBLISHER):
    url = url or "%s/StructureDefinition/%s" % (CANONICAL, x["id"])
    sd = structure_header(x["id"], url, x.get("name", pascal(x["id"])), x["title"], x["description"],
                          "complex-type", "Extension", CORE_SD + "Extension", version, publisher)
    sd["context"] = [{"type": "element", "expression": c} for c in x["context"]]
    # keep the StructureDefinition key order of the specification: context after derivation
    diff = [{"path": "Extension", "short": x["title"], "definition": x["description"],
             "max": x.get("max", "1")}]
    if "parts" in x:
        diff.append({"path": "Extension.extension", "min": 1})
        for part in x["parts"]:
            name = part["name"]
            diff.append({"path": "Extension.extension", "sliceName": name, "min": part["min"],
                         "max": part.get("max", "1")})
            diff.append({"path": "Extension.extension.extension", "sliceOf": name, "max": "0"})
            diff.append({"path": "Extension.extension.url", "sliceOf": name, "fixedUri": name})
            v = {"path": "Extension.extension.value[x]", "sliceOf": name, "min": 1,
                 "type": extension_value_type(part)}
            if "binding" in part:
                v["binding"] = {"strength": "required", "valueSet": part["binding"]}
            diff.append(v)
        diff.append({"path": "Extension.url", "fixedUri": url})
        diff.append({"path": "Extension.value[x]", "max": "0"})
    else:
        diff.append({"path": "Extension.extension", "max": "0"})
        diff.append({"path": "Extension.url", "fixedUri": url})
        v = {"path": "Extension.value[x]", "min": 1, "type": extension_value_type(x)}
        if "binding" in x:
            v["binding"] = {"strength": "required", "valueSet": x["binding"]}
        diff.append(v)
    build_structure(core, sd, diff)
    return sd


def code_system(cs):
    url = "%s/CodeSystem/%s" % (CANONICAL, cs["id"])
    return {
        "resourceType": "CodeSystem",
        "id": cs["id"],
        "text": narrative(cs["title"], cs["description"]),
        "url": url,
        "version": VERSION,
        "name": pascal(cs["id"]),
        "title": cs["title"],
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": PUBLISHER,
        "description": cs["description"],
        "caseSensitive": True,
        "valueSet": "%s/ValueSet/%s" % (CANONICAL, cs["id"]),
        "content": "complete",
        "count": len(cs["concepts"]),
        "concept": [{"code": c[0], "display": c[1], "definition": c[2]} for c in cs["concepts"]],
    }


def value_set(cs):
    return {
        "resourceType": "ValueSet",
        "id": cs["id"],
        "text": narrative(cs["title"], "All codes of " + cs["title"] + "."),
        "url": "%s/ValueSet/%s" % (CANONICAL, cs["id"]),
        "version": VERSION,
        "name": pascal(cs["id"]),
        "title": cs["title"],
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": PUBLISHER,
        "description": "All codes of " + cs["title"] + ".",
        "compose": {"include": [{"system": "%s/CodeSystem/%s" % (CANONICAL, cs["id"])}]},
    }


def build():
    core = load_core()
    with open(os.path.join(HERE, "src", "structures.json"), encoding="utf-8") as f:
        structures = json.load(f)
    with open(os.path.join(HERE, "src", "terminology.json"), encoding="utf-8") as f:
        terminology = json.load(f)
    resources = []
    for p in structures["profiles"]:
        resources.append(profile(core, p))
    for x in structures["extensions"]:
        resources.append(extension(core, x))
    for x in structures["foreign"]:
        resources.append(extension(core, x, url=x["url"], version=x["version"],
                                   publisher=x["publisher"]))
    for cs in terminology["codeSystems"]:
        resources.append(code_system(cs))
        resources.append(value_set(cs))
    files = {}
    index = []
    for r in resources:
        name = "%s-%s.json" % (r["resourceType"], r["id"])
        files[name] = json.dumps(r, indent=2, ensure_ascii=False) + "\n"
        entry = {"filename": name, "resourceType": r["resourceType"], "id": r["id"], "url": r["url"],
                 "version": r["version"]}
        if r["resourceType"] == "StructureDefinition":
            entry["kind"] = r["kind"]
            entry["type"] = r["type"]
        index.append(entry)
    index.sort(key=lambda e: e["filename"])
    manifest = {
        "name": PACKAGE_NAME,
        "version": VERSION,
        "title": "trialbridge profiles",
        "description": "The FHIR R4 profiles, extensions, CodeSystems and ValueSets of the resources trialbridge emits for clinical trials. Generated by fhir-profiles/trialbridge/gen_package.py.",
        "canonical": CANONICAL,
        "url": CANONICAL,
        "fhirVersions": ["4.0.1"],
        "type": "fhir.ig",
        "license": "Apache-2.0",
        "author": PUBLISHER,
        "dependencies": {"hl7.fhir.r4.core": "4.0.1"},
    }
    files["package.json"] = json.dumps(manifest, indent=2) + "\n"
    embedded = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                       for r in sorted(resources, key=lambda r: (r["resourceType"], r["id"])))
    files[".index.json"] = json.dumps({"index-version": 1, "files": index}, indent=2) + "\n"
    return files, embedded


EMBEDDED = os.path.join(HERE, "embedded.ndjson")


def main():
    check = "--check" in sys.argv[1:]
    try:
        files, embedded = build()
    except GenError as e:
        print("gen_package.py: " + str(e), file=sys.stderr)
        return 1
    existing = set(os.listdir(OUT)) if os.path.isdir(OUT) else set()
    if check:
        stale = [n for n in sorted(files) if n not in existing
                 or open(os.path.join(OUT, n), encoding="utf-8").read() != files[n]]
        extra = sorted(existing - set(files))
        if not os.path.exists(EMBEDDED) or open(EMBEDDED, encoding="utf-8").read() != embedded:
            stale.append("../embedded.ndjson")
        if stale or extra:
            print("gen_package.py --check: package/ is out of date (%s); run "
                  "fhir-profiles/trialbridge/gen_package.py" % ", ".join(stale + extra), file=sys.stderr)
            return 1
        return 0
    os.makedirs(OUT, exist_ok=True)
    for n in existing - set(files):
        os.remove(os.path.join(OUT, n))
    for n, text in files.items():
        with open(os.path.join(OUT, n), "w", encoding="utf-8") as f:
            f.write(text)
    with open(EMBEDDED, "w", encoding="utf-8") as f:
        f.write(embedded)
    print("wrote %d files to %s, and %s" % (len(files), os.path.relpath(OUT), os.path.relpath(EMBEDDED)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
