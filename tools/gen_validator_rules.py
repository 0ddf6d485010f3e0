#!/usr/bin/env python3
"""Writes docs/conformance/validator-rules.md: for each key of the HL7 Java validator's message
catalogue (Messages.properties, one key a rule), whether trialbridge implements the rule, where,
and which test shows it; the keys outside R4 validation without a terminology server are listed
with the reason. The decisions are in tools/validator_rules.txt; this script joins them to the
catalogue's keys, so the document stays in step with both.

    tools/gen_validator_rules.py                 # write the document
    tools/gen_validator_rules.py --check         # exit 1 if it is not up to date
    tools/gen_validator_rules.py --unmatched     # list the catalogue keys no decision covers
    tools/gen_validator_rules.py --catalogue PATH

The catalogue is not part of the repository (it is in the workspace's ../shared/references): when
it is absent the script says so and exits 0 without touching the document, which is committed.
Only the keys are read from the catalogue; its messages are never copied into the document.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CATALOGUE = os.path.join(ROOT, "..", "shared", "references", "java-validator",
                                 "Messages.properties")
DECISIONS = os.path.join(ROOT, "tools", "validator_rules.txt")
SUITE = os.path.join(ROOT, "tests", "data", "conformance", "validator")
DISAGREEMENTS = os.path.join(ROOT, "tests", "validation", "known_disagreements.inc")
OUTPUT = os.path.join(ROOT, "docs", "conformance", "validator-rules.md")

# Why a key is not a rule of R4 validation without a terminology server.
CATEGORIES = {
    "tx": "needs a terminology server or its services (expansions of external code systems, "
          "SNOMED CT and LOINC content, OIDs, ECL, server batches and caches)",
    "r5": "belongs to later FHIR versions or to tooling built for them (obligation profiles, "
          "additional bindings, type parameters, matchetypes, additional resources, "
          "cross-version extensions, SQL-on-FHIR ViewDefinitions, keyed JSON arrays)",
    "tooling": "a message about the Java validator, the IG publisher or the snapshot generator "
               "themselves (internal errors, command line, packages, signposts, rendering, limits), "
               "not a rule that an instance can break",
    "format": "a format trialbridge does not read (Turtle/RDF) or a template language (Liquid)",
    "publishing": "HL7's own publication policy for the resources it publishes (work groups, "
                  "publishers, maturity, standards status, shareable profiles, IG dependencies)",
    "text": "not a rule: a fragment the Java validator puts inside other messages",
}

# Families, by key prefix (first match), in the order of the document.
FAMILIES = [
    ("Slicing", r"(Slice_|Slicing|SLICING|DN_|Did_not_find|Could_not_match|Discriminator|"
                r"Profile_based|Unsupported_|UNSUPPORTED_|Unable_to_resolve_slice|Found__items|"
                r"No_reference_resolving|Unable_to_find__resolving|Unable_to_find_resource__at|"
                r"Named_items|Invalid_slicing|This_element_does_not_match|Problem_evaluating|"
                r"Error_at_path|Attempt_to_a_slice|ATTEMPT_TO_CHANGE|DISCRIMINATOR_)"),
    ("JSON and XML", r"(JSON_|ILLEGAL_PROPERTY|Error_parsing|DUPLICATE_JSON|ELEMENT_CANNOT|Element_must|Object_must|"
                     r"OBJECT_CAN|ARRAY_|RESOURCETYPE|Unable_to_find_resourceType|This_|Undefined_|"
                     r"Unrecognised_property|UNRECOGNISED|xml_|XSI_|CDATA|No_processing|Node_type|"
                     r"Wrong_namespace|Wrong_type|ILLEGAL_COMMENT|UNICODE|NDJSON|Contained_resource_does|"
                     r"Unknown_resource_type|Unexpected_datatype|Unrecognised_predicate|Parser_)"),
    ("Structure, cardinality and profiles", r"(Validation_VAL|VALIDATION_VAL|Profile_|PROFILE_|"
                                            r"Validation_BUNDLE|Unable_to_locate|Resource_RES|"
                                            r"RESOURCE_|Fixed_Type|_DT_Fixed|PATTERN_|"
                                            r"PRIMITIVE_|INV_|MustSupport|Details_for|Does_not_match|"
                                            r"Unknown_type|Validation_|VALIDATION_|FHIR_RESOURCE)"),
    ("Datatypes", r"(Type_Specific|TYPE_SPECIFIC|TYPE_CHECKS|TYPE_SPECIFIER|INVALID_REGEX|REGEX_|"
                  r"SECURITY_|Meta_|DUPLICATE_ID|Same_id)"),
    ("References and contained resources", r"(Reference_|REFERENCE_|reference_|CONTAINED_|"
                                           r"Unable_to_resolve_|Unable_to_resolve_reference)"),
    ("Extensions", r"(Extension_|EXTENSION_|EXT_|Unrecognised_extension)"),
    ("Bundles", r"(Bundle_|BUNDLE_)"),
    ("Questionnaires", r"(Questionnaire_|QUESTIONNAIRE_)"),
    ("Measures", r"(MEASURE_|Measure_)"),
    ("Narrative and XHTML", r"(XHTML_|Language_|NARRATIVE_|TEXT_|Text_should)"),
    ("Search parameters and capability statements", r"(SEARCHPARAMETER_|CapabalityStatement|"
                                                    r"CONFORMANCE_|OPDEF_|PARAMETERS_)"),
    ("Terminology (offline)", r"(Terminology_|TERMINOLOGY_|TX_|Display_|NO_VALID_DISPLAY|INACTIVE_|"
                              r"ABSTRACT_|BINDING_|CODE_|Code_|Coding_|CONCEPT_|None_of|UNABLE_|"
                              r"Unable_to_check|UNKNOWN_CODE|Unknown_Code|NO_CODE|SCT_|FILTER_|"
                              r"INVALID_|STATUS_|DEPRECATED_|SYSTEM_|Unable_to_handle|"
                              r"Unable_to_resolve_system|Unable_to_validate|Unable_to_resolve_value|"
                              r"UNABLE_TO|Error_validating|Error_expanding|No_Expansion|"
                              r"No_ExpansionProfile|No_Parameters|no_url|no_value_set|Unknown_Code)"),
    ("Terminology resources", r"(CODESYSTEM_|CodeSystem_|VALUESET_|CONCEPTMAP_|VS_|CS_|"
                              r"Reference__refers)"),
    ("StructureMaps", r"SM_"),
    ("Best practice", r"All_observations"),
    ("StructureDefinitions", r"(SD_|ED_|The_base_snapshot|StructureDefinition_|Illegal_path|Base_|Derived_|"
                             r"Differential_|Error_at|Error_in_profile|type_on_first|No_path|"
                             r"No_type_found|SNAPSHOT|Attempt_|ATTEMPT_|_has_|Cant_have|"
                             r"Circular|Unexpected_condition|Unxpected|Unhandled|needs_a_snapshot|"
                             r"Adding_wrong|element_|Internal_|Unable_to_find|no_base|"
                             r"no_derived|RESOURCEDEFINITION|LOGICAL_|MULTIPLE_LOGICAL|"
                             r"ERROR_GENERATING|ERROR_PROCESSING|Error_generating|Can_only|"
                             r"getSliceList|Unknown_|UNKNOWN_|null_min|defined_in)"),
    ("FHIRPath", r"(FHIRPATH_|Problem_processing|UNABLE_TO_DETERMINE_TYPE)"),
    ("Messages about dependencies", r"(MSG_|CANONICAL_|RESOURCE_INTERNAL)"),
    ("Other", r".*"),
]


def read_templates(path):
    """Each key's message as a regular expression (parameters match anything), for finding which
    official validator cases exercise which rule. Templates with little fixed text are left out:
    they would match anything."""
    templates = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, text = (part.strip() for part in line.split("=", 1))
            if key in templates:
                continue
            parts = re.split(r"\{\d+\}", text.replace("''", "'"))
            fixed = sum(len(p) for p in parts)
            if fixed >= 12:
                templates[key] = (re.compile(".*".join(re.escape(p) for p in parts) + r"\Z", re.S),
                                  fixed)
    return templates


def suite_cases(templates):
    """Key -> the official validator cases (tests/data/conformance/validator) whose Java outcome
    reports it and with which trialbridge agrees (the run is not a known disagreement)."""
    with open(os.path.join(SUITE, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(DISAGREEMENTS, encoding="utf-8") as f:
        disagreeing = set(re.findall(r'^\{"([^"]+)",', f.read(), re.M))
    runs = {}
    for case in manifest["test-cases"]:
        if "java" in case:
            runs[case["java"]] = f"{case['name']} [base]"
        if "java" in case.get("profile", {}):
            runs[case["profile"]["java"]] = f"{case['name']} [profile]"
    found = {}
    for java, run in sorted(runs.items()):
        path = os.path.join(SUITE, "outcomes", java)
        if run in disagreeing or not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            outcome = json.load(f)
        for issue in outcome.get("issue", []):
            text = issue.get("details", {}).get("text", "")
            best = None
            for key, (rx, fixed) in templates.items():
                if (best is None or fixed > best[1]) and rx.match(text):
                    best = (key, fixed)
            if best and run not in found.setdefault(best[0], []):
                found[best[0]].append(run)
    return found


def read_keys(path):
    """The catalogue's keys, in its order (comments and blank lines skipped)."""
    keys = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key = line.split("=", 1)[0].strip()
            if key and key not in keys:
                keys.append(key)
    return keys


def read_decisions(path):
    decisions = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            # The pattern ends at the first " | " (a regex may hold "|" without spaces); the note,
            # last, may hold "|".
            if " | " not in line:
                sys.exit(f"{path}:{n}: expected 'pattern | status | where | test | note'")
            head, rest = line.split(" | ", 1)
            parts = [head.strip()] + [p.strip() for p in rest.split("|", 3)]
            parts += [""] * (5 - len(parts))
            pattern, status, where, test, note = parts[:5]
            if not (status in ("yes", "partial", "no") or
                    (status.startswith("n/a:") and status[4:] in CATEGORIES)):
                sys.exit(f"{path}:{n}: unknown status '{status}'")
            if status == "no" and not note:
                sys.exit(f"{path}:{n}: a rule not implemented needs its reason")
            if status in ("yes", "partial") and not where:
                sys.exit(f"{path}:{n}: an implemented rule needs its place")
            regex = re.compile(pattern[3:] + r"\Z") if pattern.startswith("re:") else None
            decisions.append(dict(pattern=pattern, regex=regex, status=status, where=where,
                                  test=test, note=note, line=n, used=False))
    return decisions


def decide(key, decisions):
    for d in decisions:
        if (d["regex"] is not None and d["regex"].match(key)) or d["pattern"] == key:
            d["used"] = True
            return d
    return None


def family_of(key):
    for name, pattern in FAMILIES:
        if re.match(pattern, key):
            return name
    return "Other"


def cell(text):
    return text.replace("|", "\\|") if text else ""


def test_text(key, d, suite):
    """The test column: a named test, the official cases that show the rule ("suite"), or none."""
    if d["test"] == "suite":
        cases = suite.get(key)
        if not cases:
            sys.exit(f"{DECISIONS}:{d['line']}: '{key}' is said to be shown by the official "
                     "cases, but no case that trialbridge agrees on reports it")
        shown = ", ".join(f"`{c}`" for c in cases[:3]) + (" ..." if len(cases) > 3 else "")
        return "ConformanceSuite: " + shown
    if d["test"] in ("", "none"):
        return "" if d["status"] == "no" else "none"
    return d["test"]


def render(keys, decisions, catalogue_note, suite):
    rows = {name: [] for name, _ in FAMILIES}
    out_of_scope = {c: [] for c in CATEGORIES}
    counts = {"yes": 0, "partial": 0, "no": 0}
    for key in keys:
        d = decide(key, decisions)
        if d["status"].startswith("n/a:"):
            out_of_scope[d["status"][4:]].append(key)
            continue
        counts[d["status"]] += 1
        rows[family_of(key)].append((key, d))
    in_scope = sum(counts.values())
    lines = [
        "# Validator rules: the Java validator's catalogue, rule by rule",
        "",
        "<!-- Generated by tools/gen_validator_rules.py from tools/validator_rules.txt and the",
        "     catalogue; edit those, not this file. -->",
        "",
        "The HL7 Java validator has one message key for every rule it checks, in its message",
        "catalogue (`Messages.properties`, " + catalogue_note + "). This page takes the",
        "catalogue as a checklist: for each key that concerns validating R4 resources without a",
        "terminology server, whether trialbridge implements the rule, where, and which test shows",
        "it; a rule it does not implement has the reason. Keys outside that scope are listed at the",
        "end with the reason. Only the keys are taken from the catalogue: the descriptions here are",
        "the project's own.",
        "",
        f"Of {len(keys)} keys, {in_scope} concern R4 validation without a terminology server: "
        f"**{counts['yes']} implemented**, {counts['partial']} in part, {counts['no']} not "
        f"implemented. {len(keys) - in_scope} are outside that scope.",
        "",
        "Statuses: **yes** the rule is checked; **partial** some of it is (the note says what);",
        "**no** it is not (the note says why). Places are files under `adapter/`; tests are under",
        "`tests/`. `ConformanceSuite` is `tests/validation/conformance_suite_test.cc`: the official",
        "validator cases ([validator.md](validator.md)) whose Java outcome reports the rule and on",
        "which trialbridge agrees (found by the script). A rule with no test (none) is checked by",
        "code whose own tests are not specific to it.",
        "",
        "Regenerate after changing a rule or its decision (`--check` tells whether it is up to",
        "date):",
        "",
        "```sh",
        "tools/gen_validator_rules.py [--catalogue ../shared/references/java-validator/Messages.properties]",
        "```",
        "",
    ]
    for name, _ in FAMILIES:
        if not rows[name]:
            continue
        lines += [f"## {name}", "", "| key | status | where | test | note |",
                  "| --- | --- | --- | --- | --- |"]
        for key, d in rows[name]:
            where = f"`{cell(d['where'])}`" if d["where"] else ""
            lines.append(f"| `{key}` | {d['status']} | {where} | {cell(test_text(key, d, suite))} | "
                         f"{cell(d['note'])} |")
        lines.append("")
    lines += ["## Outside the scope", "",
              "Keys that are not rules of R4 validation without a terminology server, by reason.",
              ""]
    for cat, why in CATEGORIES.items():
        if not out_of_scope[cat]:
            continue
        lines += [f"### {cat}: {len(out_of_scope[cat])} keys", "", why[0].upper() + why[1:] + ".",
                  "", ", ".join(f"`{k}`" for k in out_of_scope[cat]), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", default=DEFAULT_CATALOGUE)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--unmatched", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(args.catalogue):
        print(f"gen_validator_rules: the catalogue {args.catalogue} is not here (it is not part of "
              "the repository); the committed document is left as it is")
        return 0
    keys = read_keys(args.catalogue)
    decisions = read_decisions(DECISIONS)
    unmatched = [k for k in keys if decide(k, decisions) is None]
    if args.unmatched or unmatched:
        for k in unmatched:
            print(k)
        if unmatched:
            print(f"gen_validator_rules: {len(unmatched)} keys have no decision in {DECISIONS}",
                  file=sys.stderr)
        return 1 if unmatched else 0
    unused = [d for d in decisions if not d["used"]]
    for d in unused:
        print(f"{DECISIONS}:{d['line']}: '{d['pattern']}' matches no key of the catalogue",
              file=sys.stderr)
    if unused:
        return 1
    suite = suite_cases(read_templates(args.catalogue))
    text = render(keys, decisions, "commit b06c7ee of hapifhir/org.hl7.fhir.core, Apache-2.0",
                  suite)
    if args.check:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text + "\n":
                print(f"gen_validator_rules: {OUTPUT} is not up to date", file=sys.stderr)
                return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"gen_validator_rules: wrote {OUTPUT} ({len(keys)} keys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
