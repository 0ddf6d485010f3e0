#!/usr/bin/env python3
"""Seeds a running trialbridge server for bench/rest_wrk.sh: PATIENTS Patients (p-1..) and
COUNT Observations (obs-1..) spread over them, in transactions of 500 PUTs."""
import json
import sys
import urllib.request

base, count, patients, template = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
obs = json.load(open(template))


def post(entries):
    body = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()
    req = urllib.request.Request(base, data=body, method="POST",
                                 headers={"Content-Type": "application/fhir+json",
                                          "Prefer": "return=minimal"})
    with urllib.request.urlopen(req, timeout=300) as r:
        assert r.status == 200, r.status


entries = [{"resource": {"resourceType": "Patient", "id": f"p-{i}", "active": True},
            "request": {"method": "PUT", "url": f"Patient/p-{i}"}} for i in range(1, patients + 1)]
post(entries)
batch = []
for i in range(1, count + 1):
    o = dict(obs)
    o["id"] = f"obs-{i}"
    o["subject"] = {"reference": f"Patient/p-{(i % patients) + 1}"}
    o["effectiveDateTime"] = f"2025-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}T08:00:00Z"
    o["valueQuantity"] = dict(obs["valueQuantity"], value=20 + i % 300)
    batch.append({"resource": o, "request": {"method": "PUT", "url": f"Observation/obs-{i}"}})
    if len(batch) == 500:
        post(batch)
        batch = []
if batch:
    post(batch)
