#!/usr/bin/env python3
"""Generates fhir-profiles/r4-core/ from the official hl7.fhir.r4.core-4.0.1 package.

The output is what trialbridge carries so that a fresh clone works offline:
  core.ndjson      one conformance resource a line, minified, with narrative, mappings,
                   differentials and long ElementDefinition prose removed (the validator and the
                   model do not read them);
  core.index.tsv   one line a resource: resourceType, id, url, version, kind, type, byte offset,
                   byte length; lets the loader find a resource by canonical URL without parsing.
The pack is embedded into the trialbridge binary at build time and parsed lazily, one resource at a
time, when first asked for.

Usage: tools/gen_core_pack.py [PATH-TO-hl7.fhir.r4.core-4.0.1.tgz] [OUT-DIR]
"""
import json
import sys
import tarfile

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/fhir-packages/hl7.fhir.r4.core-4.0.1.tgz"
OUT = sys.argv[2] if len(sys.argv) > 2 else "fhir-profiles/r4-core"

DROP_ELEMENT_KEYS = {"mapping", "definition", "comment", "requirements", "alias", "example"}


def strip(res):
    res.pop("text", None)
    if res.get("resourceType") == "StructureDefinition":
        res.pop("mapping", None)
        if res.get("snapshot"):
            res.pop("differential", None)
            for e in res["snapshot"].get("element", []):
                for k in DROP_ELEMENT_KEYS:
                    e.pop(k, None)
    return res


def sd_field(res, name):
    """kind and type are indexed for StructureDefinitions only (elsewhere they are other things)."""
    return res.get(name, "") if res["resourceType"] == "StructureDefinition" else ""


def main():
    resources = []
    package_json = None
    with tarfile.open(SRC, "r:gz") as tar:
        for m in tar.getmembers():
            if not m.isfile() or not m.name.endswith(".json"):
                continue
            data = json.load(tar.extractfile(m))
            if m.name == "package/package.json":
                package_json = data
                continue
            if "resourceType" not in data:
                continue
            resources.append(strip(data))
    # Stable order: by resource type, then id, so regenerating gives the same bytes.
    resources.sort(key=lambda r: (r["resourceType"], r.get("id", "")))
    offset = 0
    with open(f"{OUT}/core.ndjson", "wb") as nd, open(f"{OUT}/core.index.tsv", "w") as ix:
        ix.write("# resourceType\tid\turl\tversion\tkind\ttype\toffset\tlength\n")
        for r in resources:
            line = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            nd.write(line + b"\n")
            fields = [r["resourceType"], r.get("id", ""), r.get("url", ""), r.get("version", ""),
                      sd_field(r, "kind"), sd_field(r, "type"), str(offset), str(len(line))]
            ix.write("\t".join(f.replace("\t", " ") for f in fields) + "\n")
            offset += len(line) + 1
    with open(f"{OUT}/package.json", "w") as pj:
        json.dump(package_json, pj, indent=2)
        pj.write("\n")
    print(f"{len(resources)} resources, {offset} bytes -> {OUT}")


if __name__ == "__main__":
    main()
