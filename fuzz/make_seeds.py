#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets whose seeds are not files of the tree as they are:
fuzz/corpus/trial_reader/, entity_reader/ (the samples, and variants with one mistake each, as
tests/study makes them), search_query/ (realistic query strings), config/ (the example
configuration, sections of it, and mistakes), bundle/ (transactions and batches as the REST
tests send them, and broken ones), hl7v2/ (the HL7 v2 samples and variants: other terminators,
delimiters, character sets, batches, broken headers; oru_mapping/ has the same), mllp/ (framed
streams, cut, with junk), registry_reply/ (what registry servers answer) and package/ (small
.tgz FHIR packages and hostile ones).
The auth seeds come from make_auth_seeds.py.

Run from anywhere: python3 fuzz/make_seeds.py (it replaces what those folders hold).
"""
import copy
import gzip
import io
import json
import pathlib
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def edit(doc, pointer, value=None, erase=False):
    """A copy of doc with the JSON pointer set to value (or erased)."""
    doc = copy.deepcopy(doc)
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = doc
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    last = parts[-1]
    if isinstance(node, list):
        if erase:
            del node[int(last)]
        elif int(last) == len(node):
            node.append(value)
        else:
            node[int(last)] = value
    elif erase:
        node.pop(last, None)
    else:
        node[last] = value
    return doc


def write(folder, seeds):
    path = CORPUS / folder
    path.mkdir(parents=True, exist_ok=True)
    for old in path.iterdir():
        old.unlink()
    for name, text in seeds.items():
        if isinstance(text, bytes):
            (path / name).write_bytes(text)
        else:
            (path / name).write_text(text if isinstance(text, str) else json.dumps(text, indent=1))
    print(f"{len(seeds)} seeds in {path}")


def trial_seeds():
    seeds = {}
    for f in sorted((ROOT / "samples" / "trials").glob("*.json")):
        seeds[f.stem + ".json"] = f.read_text()
    t = json.loads((ROOT / "samples" / "trials" / "NCT06813157.json").read_text())
    mistakes = [
        ("/titles", None, True),
        ("/enrollment/target", "forty", False),
        ("/status", "OPEN", False),
        ("/id", "NCT 06813157", False),
        ("/arms", [], False),
        ("/schedules/1/timepoints/0/offset/unit", "days", False),
        ("/schedules/1/timepoints/6/offset/value", "12", False),
        ("/dates", {"start": "2025/01/01"}, False),
        ("/identifiers/0/value", "NCT0681315", False),
        ("/identifiers/1", {"registry": "other", "value": "X-1"}, False),
        ("/sponsor", "nobody", False),
        ("/sites/0/organization", "nowhere", False),
        ("/arms/0/interventions/0/intervention", "msc2", False),
        ("/schedules/0/arms", ["arm-x"], False),
        ("/schedules/1/timepoints/0/id", "inf-1", False),
        ("/schedules/1/timepoints/0/anchor", {"timepoint": "inf-5"}, False),
        ("/schedules/0/timepoints/3/anchor/timepoint", "inf-9", False),
        ("/eligibility/rules/0/threshold/comparator", "=<", False),
        ("/eligibility/rules/0/threshold/unit", "U/L", False),
        ("/eligibility/minimumAge", {"value": 80, "unit": "a"}, False),
        ("/activities/3/code/codes/0/system", "lonic", False),
        ("/canonicalBase", "https://trials.example.org/fhir/", False),
        ("/arms/0/interventions/0/dose", None, True),
    ]
    for i, (pointer, value, erase) in enumerate(mistakes):
        seeds[f"broken-{i:02d}.json"] = json.dumps(edit(t, pointer, value, erase), indent=1)
    # A registry number long enough to overflow the stack of std::regex_match (fixed).
    long_id = edit(t, "/identifiers/1", {"registry": "chictr", "value": "ChiCTR" + "A" * 40000})
    seeds["long-registry-id.json"] = json.dumps(long_id, separators=(",", ":"))
    seeds["broken-syntax.json"] = '{"id": "nct1", "titles": {"brief": "x"},'
    seeds["broken-duplicate-member.json"] = '{"id": "a", "id": "b"}'
    seeds["broken-not-object.json"] = '["nct06813157"]'
    seeds["minimal.json"] = json.dumps({"id": "t1", "titles": {"brief": "T"}, "status": "active"})
    return seeds


def entity_seeds():
    seeds = {}
    entities = ROOT / "samples" / "entities"
    for f in sorted(entities.glob("*.json")):
        seeds[f.name] = f.read_text()
    subject = json.loads((entities / "nct06813157-subject-itp-0001.json").read_text())
    event = json.loads((entities / "nct06813157-ae-itp-0003-02.json").read_text())
    mistakes = [
        (subject, "/kind", None, True),
        (subject, "/kind", "patient", False),
        (subject, "/trial", "NCT00000000", False),
        (subject, "/hospitalIdentifiers", [], False),
        (subject, "/birthDate", "12/04/1988", False),
        (subject, "/subjectId", "ITP 0001", False),
        (subject, "/status", "active", False),
        (subject, "/statusHistory/1/date", "2025-01-01", False),
        (subject, "/arm", "placebo", False),
        (subject, "/consent/date", "1980-01-01", False),
        (subject, "/consent/withdrawnDate", "2025-01-15", False),
        (subject, "/consent", None, True),
        (event, "/seriousnessCriteria", ["disability"], False),
        (event, "/severity", "severe", False),
        (event, "/ctcae/grade", 6, False),
        (event, "/outcome", "fatal", False),
        (event, "/resolution", "2025-02-11", False),
        (event, "/causality/0/intervention", "ivig", False),
        (event, "/causality/0/relatedness", "maybe", False),
        (event, "/timepoint", "inf-6", False),
        (event, "/codes/0/system", "medra", False),
        (event, "/onset", None, True),
    ]
    for i, (doc, pointer, value, erase) in enumerate(mistakes):
        seeds[f"broken-{i:02d}.json"] = json.dumps(edit(doc, pointer, value, erase), indent=1)
    seeds["broken-syntax.json"] = '{"kind": "subject", "trial": '
    seeds["broken-kind-only.json"] = '{"kind": "adverseEvent"}'
    return seeds


SEARCHES = [
    "Observation?subject=Patient/123&code=http://loinc.org|777-3&date=ge2025-01-01&_count=10",
    "Observation?subject:Patient.identifier=urn:mrn|123&_sort=-date&_count=50",
    "Observation?code=777-3,26515-7&value-quantity=lt150|http://unitsofmeasure.org|10*9/L",
    "Observation?date=ge2025-01-01T00:00:00Z&date=lt2025-02-01&status:not=cancelled",
    "Observation?_lastUpdated=gt2025-01-01T10:00:00.123%2B08:00&_sort=_lastUpdated,_id",
    "Observation?subject.name=Andersen&_include=Observation:subject&_summary=count",
    "Observation?code:text=platelet&category=laboratory&_offset=20&_total=accurate",
    "Observation?value-quantity=ap5.4e2||mg&focus:missing=true&_elements=id,code&_pretty=true",
    "Observation?based-on=ServiceRequest/1,http://other.org/fhir/ServiceRequest/2&_format=json",
    "Observation?_include:iterate=Observation:has-member:Observation&_revinclude=Provenance:target",
    "Patient?identifier=urn:mrn|P-1&name:exact=Berg&birthdate=sa1980&gender=female",
    "Patient?name:contains=and&family=O%27Brien&address-country=DE&_sort=family,-birthdate",
    "Patient?_id=a,b,c&_has:Observation:subject:code=777-3&telecom=phone|%2B4930123",
    "ResearchSubject?study=ResearchStudy/nct06813157&individual:Patient=pat-1&status=on-study",
    "ResearchStudy?identifier=https://clinicaltrials.gov|NCT06813157&status=active,completed",
    "ResearchStudy?title:contains=stem+cell&date=eb2030&keyword=ITP&_revinclude=ResearchSubject:study",
    "AdverseEvent?subject=Patient/p1&seriousness=serious&date=le2025-03-01&severity:not=mild",
    "AdverseEvent?study.identifier=NCT06813157&_sort=-date&_count=0",
    "Encounter?length=gt30&date=ne2025-01&service-provider:Organization.name=Charit%C3%A9",
    "RiskAssessment?probability=ge0.8&probability=le1e0",
    "StructureDefinition?url:below=http://hl7.org/fhir/StructureDefinition/&version=4.0.1",
    "ValueSet?url:above=http://hl7.org/fhir/ValueSet/observation-codes/extra",
    "Observation?code=a\\,b\\|c&subject=Patient%2F1&unknown-param=1&_sort=nonsense",
    "Observation?date=2025-13-45&_count=-1&_summary=maybe&code:below=x",
    "Observation?subject.identifier.system=x&subject:Group.name=g&_include=*",
    "Observation?_count=99999999999999999999&_offset=abc&value-quantity=5|x",
    "Observation?&&=&a&%zz=%41%42%&+=+",
    "Observation?value-quantity=0e-2147483648&value-quantity=1.5e308",
]


def search_seeds():
    return {f"query-{i:02d}": q for i, q in enumerate(SEARCHES)}


REGISTRIES = {
    "registry-hub": {"kind": "fhir", "url": "https://registry.example.org/fhir",
                     "caFile": "/etc/trialbridge/tls/registry-ca.pem",
                     "tokenFile": "/etc/trialbridge/registry-hub.token",
                     "requestsPerMinute": 120, "burst": 5, "intervalSeconds": 300},
    "prs-uploads": {"kind": "file", "directory": "/var/lib/trialbridge/prs", "format": "prs-xml",
                    "prsOrg": "EXAMPLE-ORG",
                    "types": ["ResearchStudy", "Organization", "Location", "PractitionerRole", "Group"],
                    "intervalSeconds": 600},
}


def config_seeds():
    example = json.loads((ROOT / "deploy" / "trialbridge.example.json").read_text())
    seeds = {"example.json": (ROOT / "deploy" / "trialbridge.example.json").read_text()}
    # The deployable example publishes nowhere; the seeds add the targets of
    # docs/configuration.md's `registries` example.
    example.setdefault("registries", REGISTRIES)
    for section, value in example.items():
        seeds[f"section-{section}.json"] = json.dumps({section: value}, indent=1)
    seeds["empty.json"] = "{}"
    seeds["sqlite.json"] = json.dumps({"store": {"backend": "sqlite", "database": "/var/lib/trialbridge/tb.db", "cache": True, "cacheEntries": 1000}})
    seeds["auth-off.json"] = json.dumps({"auth": {"enabled": False}, "tls": {"enabled": False}})
    mistakes = [
        ("/http/port", 70000), ("/http/threads", "64"), ("/tls/privateKey", None),
        ("/auth/jwks", ""), ("/store/backend", "mysql"), ("/store/outbox", {"X": "registry"}),
        ("/fhir/basePath", "fhir/"), ("/fhir/maxBodyBytes", 1.5), ("/fhir/packages", [1]),
        ("/fhir/requiredProfiles", {"Patient": 3}), ("/audit/unknownKey", True),
        ("/trials", "one.json"), ("/http/port", -1), ("/mllp/allow", ["10.0.0.0/40"]),
        ("/mllp/tlsClientCa", None),
        ("/registries/registry-hub/kind", "ftp"), ("/registries/registry-hub/url", "hub"),
        ("/registries/prs-uploads/format", "csv"), ("/registries/prs-uploads/types", ["X"]),
        ("/registries/registry-hub/burst", 0), ("/registries/a b", {"url": "http://x"}),
    ]
    for i, (pointer, value) in enumerate(mistakes):
        seeds[f"broken-{i:02d}.json"] = json.dumps(
            edit(example, pointer, value, erase=value is None), indent=1)
    seeds["broken-syntax.json"] = '{"http": {"port": 8080,}}'
    seeds["broken-not-object.json"] = "[]"
    seeds["broken-duplicate-member.json"] = '{"http": {"port": 8080,\n  "port": 8081}}'
    # Environment variables over the file (config_fuzz.cc: after a line "--env--").
    env = "\n--env--\n"
    seeds["env-overrides.txt"] = ('{"http": {"port": 80}}' + env + "TRIALBRIDGE_HTTP_PORT=8080\n"
                                  "TRIALBRIDGE_HTTP_ACCESS_LOG=true\nTRIALBRIDGE_LOG_FORMAT=json\n"
                                  'TRIALBRIDGE_FHIR_PACKAGES=["a.tgz"]\n'
                                  'TRIALBRIDGE_STORE_OUTBOX={"ResearchStudy":["registry"]}\n'
                                  'TRIALBRIDGE_MLLP_PORT=0\nTRIALBRIDGE_MLLP_ALLOW=["10.0.0.0/8"]\n'
                                  "TRIALBRIDGE_MLLP_TLS_CLIENT_CA=ca.pem\n")
    seeds["env-only.txt"] = ("{}" + env + "STORE_BACKEND=postgresql\nSTORE_DATABASE=host=db\n"
                             "AUTH_JWKS=/etc/jwks.json\nTLS_CERTIFICATE=c.pem\nTLS_PRIVATE_KEY=k.pem\n")
    seeds["env-broken.txt"] = ("{}" + env + "HTTP_PORT=eighty\nHTTP_PROT=1\nTRIALS=[1,\n"
                               "STORE_DATABASE=a\nSTORE_DATABASE_FILE=b\nLOG_LEVEL=loud\n")
    return seeds


PT = "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"
OBS = "urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"


def bundle(kind, *entries):
    return json.dumps({"resourceType": "Bundle", "type": kind, "entry": list(entries)})


def entry(method, url, resource=None, full_url=None, **request):
    e = {}
    if full_url:
        e["fullUrl"] = full_url
    if resource is not None:
        e["resource"] = resource
    e["request"] = dict({"method": method, "url": url}, **request)
    return e


def bundle_seeds():
    patient = {"resourceType": "Patient", "identifier": [{"system": "urn:mrn", "value": "T-1"}],
               "gender": "female", "birthDate": "1980-05"}
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}], "text": "platelets"},
           "subject": {"reference": PT}, "effectiveDateTime": "2025-02-03T10:00:00+08:00",
           "valueQuantity": {"value": 42, "unit": "10*9/L", "system": "http://unitsofmeasure.org",
                             "code": "10*9/L"}}
    subject = {"resourceType": "ResearchSubject", "id": "rs-1", "status": "on-study",
               "study": {"reference": "ResearchStudy/s1"}, "individual": {"reference": PT}}
    study = {"resourceType": "ResearchStudy", "id": "s1", "status": "active",
             "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT06813157"}]}
    return {
        "transaction-rewrites.json": bundle(
            "transaction",
            entry("POST", "Patient", patient, PT, ifNoneExist="identifier=urn:mrn|T-1"),
            entry("POST", "Observation", obs, OBS),
            entry("PUT", "ResearchSubject/rs-1", subject),
            entry("PUT", "ResearchStudy/s1", study, "http://fuzz.local/fhir/ResearchStudy/s1"),
            entry("GET", "Patient?identifier=urn:mrn|T-1")),
        "transaction-conditional.json": bundle(
            "transaction",
            entry("PUT", "Patient?identifier=urn:mrn|T-2", dict(patient, identifier=[
                {"system": "urn:mrn", "value": "T-2"}])),
            entry("DELETE", "Observation?subject:Patient.identifier=urn:mrn|T-9"),
            entry("POST", "Observation", dict(obs, subject={
                "reference": "Patient?identifier=urn:mrn|T-2"})),
            entry("GET", "Observation?code=http://loinc.org|777-3&_include=Observation:subject")),
        "transaction-if-match.json": bundle(
            "transaction",
            entry("POST", "Patient", patient),
            entry("PUT", "ResearchSubject/rs-1", dict(subject, status="withdrawn"),
                  ifMatch='W/"5"')),
        "transaction-delete-read.json": bundle(
            "transaction",
            entry("DELETE", "ResearchSubject/rs-1"),
            entry("GET", "ResearchSubject/rs-1/_history"),
            entry("GET", "http://fuzz.local/fhir/ResearchStudy/s1", ifNoneMatch='W/"1"')),
        "transaction-duplicate-fullurl.json": bundle(
            "transaction",
            entry("POST", "Patient", patient, PT), entry("POST", "Patient", patient, PT)),
        "transaction-cycle.json": bundle(
            "transaction",
            entry("POST", "Observation", dict(obs, subject={"reference": OBS}), OBS,),
            entry("PUT", "Observation/o1", dict(obs, id="o1", hasMember=[{"reference": OBS}]))),
        "transaction-wrong-id.json": bundle(
            "transaction", entry("PUT", "Patient/a", dict(patient, id="b"))),
        "batch.json": bundle(
            "batch",
            entry("GET", "Patient/does-not-exist"),
            entry("POST", "Patient", {"resourceType": "Patient", "gender": "sometimes"}),
            entry("GET", "metadata"),
            entry("PATCH", "Patient/1"),
            entry("GET", "Patient?name:contains=x&_count=1&_sort=-_lastUpdated"),
            entry("DELETE", "Patient?identifier=urn:mrn|T-1")),
        "batch-nested.json": bundle(
            "batch", entry("POST", "", json.loads(bundle("batch", entry("GET", "Patient"))))),
        "collection.json": bundle("collection", {"resource": patient}),
        "empty-transaction.json": bundle("transaction"),
        "no-request.json": bundle("transaction", {"resource": patient}),
        "not-a-bundle.json": json.dumps(patient),
        "broken.json": '{"resourceType":"Bundle","type":"transaction","entry":[{"request":',
    }


def registry_seeds():
    """ClinicalTrials.gov records: the tests' own, the real one cut down to a few locations and
    without its results, a page of studies, and variants that break the API's schema."""
    seeds = {}
    for f in sorted((ROOT / "tests" / "mapping" / "data").glob("ctgov-*.json")):
        seeds[f.name] = f.read_text()
    real = json.loads((ROOT / "tests" / "data" / "clinicaltrials-gov" / "NCT02513394.json").read_text())
    cl = real["protocolSection"]["contactsLocationsModule"]
    cl["locations"] = cl["locations"][:3]
    cl["locations_nested"] = cl["locations_nested"][:1]
    real["resultsSection"] = {"moreInfoModule": real["resultsSection"]["moreInfoModule"]}
    real["derivedSection"] = {"miscInfoModule": real["derivedSection"]["miscInfoModule"]}
    seeds["NCT02513394-cut.json"] = json.dumps(real, indent=1)
    withdrawn = json.loads(seeds["ctgov-withdrawn.json"])
    seeds["page.json"] = json.dumps({"studies": [withdrawn, json.loads(seeds["ctgov-expanded-access.json"])],
                                     "nextPageToken": "x"})
    mistakes = [
        ("/protocolSection/statusModule/overallStatus", "OPEN", False),
        ("/protocolSection/designModule/enrollmentInfo/count", -3, False),
        ("/protocolSection/designModule/phases", "PHASE1", False),
        ("/protocolSection/eligibilityModule/minimumAge", "eighteen", False),
        ("/protocolSection/statusModule/startDateStruct/date", "2015-13-40", False),
        ("/protocolSection/armsInterventionsModule/armGroups/0", None, True),
        ("/protocolSection/identificationModule", [], False),
        ("/protocolSection", None, True),
        ("/protocolSection/conditionsModule/conditions/0", {"name": "x"}, False),
        ("/protocolSection/referencesModule/references/0/pmid", 12345678, False),
    ]
    for i, (pointer, value, erase) in enumerate(mistakes):
        seeds["broken-%02d.json" % i] = json.dumps(edit(withdrawn, pointer, value, erase), indent=1)
    seeds["not-an-object.json"] = "[1, 2, 3]"
    seeds["truncated.json"] = seeds["ctgov-observational.json"][:300]
    return seeds


HL7_BASE = (
    "MSH|^~\\&|LAB|TAIXIN|TRIALBRIDGE|STUDY|20250312083000+0800||ORU^R01^ORU_R01|MSG1|P|2.5.1"
    "|||AL|NE|CHN|UNICODE UTF-8\r"
    "PID|1||MRN0048213^^^TAIXIN&2.16.156.99999.1&ISO^MR~440-1973^^^CN&1.2&ISO^PI||Wang^Li||19880412|F\r"
    "PV1|1|O\r"
    "ORC|RE|ORD1|FIL1\r"
    "OBR|1|ORD1|FIL1|58410-2^CBC^LN|||20250312073000+0800|||||||||||||||20250312082500|||F\r"
    "OBX|1|NM|777-3^Platelets^LN||45|10*9/L^^UCUM|150-400|L|||F|||20250312073000+0800\r"
    "NTE|1|L|Clumps \\T\\ fibrin \\.br\\ checked\r"
    "OBX|2|SN|X^Y^L||<^10|U/L|||||C\r"
    "SPM|1|SP1||119297000^Blood^SCT\r"
    "ZPI|1|x\r"
)


def hl7v2_seeds():
    seeds = {}
    for folder in (ROOT / "tests" / "data" / "hl7v2-elr", ROOT / "samples" / "hl7v2"):
        for f in sorted(folder.glob("*.hl7")):
            seeds[folder.name + "-" + f.name] = f.read_bytes()
    base = HL7_BASE
    custom = base.replace("|", "!").replace("^", "@").replace("~", "*").replace("&", "%")
    custom = custom.replace("\\", "$")
    variants = {
        "base.hl7": base,
        "lf.hl7": base.replace("\r", "\n"),
        "crlf.hl7": base.replace("\r", "\r\n"),
        "custom-delimiters.hl7": custom,
        "truncation-v27.hl7": base.replace("^~\\&|", "^~\\&#|", 1).replace("2.5.1", "2.7"),
        "batch.hl7": "FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r" + base + base + "BTS|2\rFTS|1\r",
        "batch-bad-counts.hl7": "BHS|^~\\&\r" + base + "BTS|7\rFTS|x\r",
        "no-msh.hl7": base[base.index("PID"):],
        "bad-msh2.hl7": base.replace("^~\\&", "^~", 1),
        "adt.hl7": base.replace("ORU^R01^ORU_R01", "ADT^A01"),
        "old-version.hl7": base.replace("2.5.1", "2.1", 1),
        "bad-segment-id.hl7": base.replace("NTE|", "nte|"),
        "nulls.hl7": base.replace("|45|", '|""|').replace("|O\r", '|""\r'),
        "many-repetitions.hl7": base.replace("|Wang^Li|", "|" + "~".join(["A^B"] * 300) + "|"),
        "escapes.hl7": base.replace("|45|", "|\\X41\\\\H\\x\\N\\\\.sp 3\\\\Z1\\\\C2842\\"
                                    "\\Q\\\\unclosed|"),
        "out-of-order.hl7": base.replace("PV1|1|O\r", "").replace("PID|", "OBX|1|NM|A||1\rPID|"),
    }
    for name, text in variants.items():
        seeds[name] = text.encode("utf-8")
    seeds["latin1.hl7"] = (base.replace("UNICODE UTF-8", "8859/1").replace("Wang^Li", "M\u00fcller^Ren\u00e9")
                           .encode("latin-1"))
    seeds["undeclared-latin1.hl7"] = base.replace("UNICODE UTF-8", "").replace(
        "Wang^Li", "M\u00fcller^Ren\u00e9").encode("latin-1")
    seeds["bad-utf8.hl7"] = base.encode("utf-8").replace(b"Wang", b"W\xe4ng\xff")
    seeds["utf16-declared.hl7"] = base.replace("UNICODE UTF-8", "UNICODE UTF-16").encode("utf-8")
    seeds["bom.hl7"] = b"\xef\xbb\xbf" + base.encode("utf-8")
    return seeds


def mllp_seeds():
    msg = HL7_BASE.encode("utf-8")
    frame = b"\x0b" + msg + b"\x1c\r"
    return {
        "one.bin": b"\x01\x07" + frame,
        "two.bin": b"\x03\x40" + frame + b"\r\n" + frame,
        "junk.bin": b"\x02\x10" + b"GET / HTTP/1.1\r\n" + frame,
        "cut.bin": b"\x05\x05" + frame[:40] + frame,
        "no-cr.bin": b"\x00\x00" + b"\x0bA\x1c\x0bB\x1c\r\x0bC\x1c",
        "unterminated.bin": b"\x09\x09" + frame[:-2],
        "oversized.bin": b"\x10\xf0" + b"\x0b" + b"x" * 5000 + b"\x1c\r" + frame,
        "empty-frames.bin": b"\x01\x01" + b"\x0b\x1c\r" * 5,
    }


# .tgz packages for fuzz/package_fuzz.cc: gzip streams as they are, plain tars (the target gzips
# what does not start with the gzip magic).
def tar_bytes(entries, fmt=tarfile.USTAR_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, content, kind in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = content
                tar.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = content.encode("utf-8")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def package_seeds():
    manifest = ("package/package.json",
                json.dumps({"name": "example.fhir", "version": "1.0.0",
                            "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}), "file")
    vs = ("package/ValueSet-v.json", json.dumps(
        {"resourceType": "ValueSet", "id": "v", "url": "http://example.org/ValueSet/v",
         "version": "1", "status": "active"}), "file")
    sd = ("package/StructureDefinition-p.json", json.dumps(
        {"resourceType": "StructureDefinition", "id": "p", "kind": "resource", "type": "Patient",
         "url": "http://example.org/StructureDefinition/p"}), "file")
    small = tar_bytes([("package", "", "dir"), manifest, vs, sd])
    return {
        "small.tgz": gzip.compress(small, mtime=0),
        "small.tar": small,
        "long-name.tar": tar_bytes([manifest, ("package/" + "n" * 120 + ".json", vs[1], "file")],
                                   tarfile.GNU_FORMAT),
        "pax-path.tar": tar_bytes([manifest, ("package/" + "p" * 120 + ".json", sd[1], "file")],
                                  tarfile.PAX_FORMAT),
        "link.tar": tar_bytes([manifest, ("package/l.json", "../../etc/passwd", "link")]),
        "escape.tar": tar_bytes([manifest, ("package/../../x.json", vs[1], "file")]),
        "no-manifest.tgz": gzip.compress(tar_bytes([vs]), mtime=0),
        "bomb.tgz": gzip.compress(tar_bytes([manifest, ("package/z.json", " " * 2_000_000, "file")]),
                                  mtime=0),
        "examples.tar": tar_bytes([manifest, ("package/example/Patient-x.json", json.dumps(
            {"resourceType": "Patient", "id": "x"}), "file"), ("package/other/x.json", "{}", "file")]),
    }


# What registry servers answer (fuzz/registry_reply_fuzz.cc): search Bundles, resources,
# OperationOutcomes as Medplum and trialbridge write them, and Retry-After values.
def reply_seeds():
    study = {"resourceType": "ResearchStudy", "id": "8f2c0a6e-1b7d-4e55-9c3a-2f1d6b0e9a11",
             "meta": {"versionId": "0c1d2e3f-aaaa-bbbb-cccc-1234567890ab",
                      "lastUpdated": "2026-01-02T03:04:05.678Z"},
             "identifier": [{"use": "official", "system": "https://clinicaltrials.gov",
                             "value": "NCT06813157"}],
             "status": "active", "title": "MSC in refractory ITP",
             "sponsor": {"reference": "Organization/5d1e", "display": "Sponsor"},
             "site": [{"reference": "Location/77"}],
             "enrollment": [{"reference": "Group/ab-1"}]}
    group = {"resourceType": "Group", "id": "ab-1", "meta": {"versionId": "2"}, "type": "person",
             "actual": False, "quantity": 30,
             "characteristic": [{"code": {"text": "platelets"}, "exclude": False,
                                 "valueQuantity": {"value": 30.0, "unit": "10*9/L"}}]}
    seeds = {
        "study.json": study,
        "group.json": group,
        "searchset.json": {"resourceType": "Bundle", "type": "searchset", "total": 1,
                           "entry": [{"fullUrl": "https://r/fhir/ResearchStudy/1",
                                      "resource": study, "search": {"mode": "match"}}]},
        "empty-searchset.json": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "outcome.json": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "processing", "diagnostics": "Precondition Failed"}]},
        "retry-after-seconds.txt": "120",
        "retry-after-date.txt": "Thu, 01 Jan 2026 00:00:30 GMT",
        "retry-after-rfc850.txt": "Thursday, 01-Jan-26 00:01:00 GMT",
        "retry-after-asctime.txt": "Thu Jan  1 00:00:05 2026",
        "etag.txt": "W/\"0c1d2e3f-aaaa\"",
        "broken-truncated.json": json.dumps(study)[:90],
        "broken-deep.json": "[" * 200,
        "broken-duplicate.json": '{"id": "a", "id": "b"}',
    }
    return seeds


def main():
    write("trial_reader", trial_seeds())
    write("registry_import", registry_seeds())
    write("entity_reader", entity_seeds())
    write("search_query", search_seeds())
    write("config", config_seeds())
    write("bundle", bundle_seeds())
    write("hl7v2", hl7v2_seeds())
    write("oru_mapping", hl7v2_seeds())
    write("mllp", mllp_seeds())
    write("registry_reply", reply_seeds())
    write("package", package_seeds())


if __name__ == "__main__":
    main()
