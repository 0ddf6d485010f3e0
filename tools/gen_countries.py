#!/usr/bin/env python3
"""Writes mappings/countries.json: ISO 3166-1 alpha-2 codes and country names as ClinicalTrials.gov
writes them, for the registry formats (FHIR Address.country holds the code; ClinicalTrials.gov,
PRS and the WHO data set hold the English name).

The names come from Debian's iso-codes package (/usr/share/iso-codes/json/iso_3166-1.json, the ISO
3166-1 short names); ClinicalTrials.gov spells a few countries differently (OVERRIDES, its
common names). Every other name iso-codes knows (short, common, official) is kept as an alias, so
that an import recognises any of them.

Usage: tools/gen_countries.py [ISO-3166-1.json] [OUT]
"""
import json
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/iso-codes/json/iso_3166-1.json"
OUT = sys.argv[2] if len(sys.argv) > 2 else "mappings/countries.json"

# ClinicalTrials.gov's spelling where it is not the ISO short name.
OVERRIDES = {
    "BO": "Bolivia",
    "TR": "Turkey",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "VE": "Venezuela",
    "VN": "Vietnam",
}


def main():
    with open(SRC, encoding="utf-8") as f:
        countries = json.load(f)["3166-1"]
    out = {}
    for c in sorted(countries, key=lambda c: c["alpha_2"]):
        code = c["alpha_2"]
        name = OVERRIDES.get(code, c["name"])
        aliases = []
        for key in ("name", "common_name", "official_name"):
            v = c.get(key)
            if v and v != name and v not in aliases:
                aliases.append(v)
        entry = {"name": name}
        if aliases:
            entry["aliases"] = aliases
        out[code] = entry
    doc = {
        "description": "ISO 3166-1 alpha-2 country codes and the English names the registry formats use "
                       "(ClinicalTrials.gov's spelling), with other names as aliases for imports. Generated "
                       "by tools/gen_countries.py from Debian's iso-codes; see docs/registries.md.",
        "countries": out,
    }
    # One country a line.
    lines = ['  "%s": %s' % (code, json.dumps(e, ensure_ascii=False)) for code, e in out.items()]
    text = ('{\n "description": %s,\n "countries": {\n' % json.dumps(doc["description"])
            + ",\n".join(lines) + "\n }\n}\n")
    json.loads(text)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
