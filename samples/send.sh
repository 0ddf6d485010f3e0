#!/usr/bin/env bash
# Sends the sample HL7 v2 lab messages (samples/hl7v2/*.hl7, one MLLP frame a file) to a running
# trialbridge (./deploy/run.sh starts one), prints each ACK, then shows what was stored.
#
#   samples/send.sh [MLLP_PORT] [FHIR_BASE]     defaults: 2575 and http://127.0.0.1:8080/fhir
#
# Sending twice stores nothing new: a resend gets the same ACK (docs/mllp.md).
set -euo pipefail
port=${1:-2575}
base=${2:-http://127.0.0.1:8080/fhir}
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python3 - "$port" "$dir"/hl7v2/*.hl7 <<'PY'
import socket, sys
port = int(sys.argv[1])
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        text = f.read().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    # A batch file (FHS/BHS ... BTS/FTS) is sent as its messages, one frame each.
    messages = []
    for segment in text.split(b"\r"):
        if segment[:3] in (b"FHS", b"BHS", b"BTS", b"FTS") or not segment:
            continue
        if segment.startswith(b"MSH") or not messages:
            messages.append([])
        messages[-1].append(segment)
    for message in messages:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"\x0b" + b"\r".join(message) + b"\r\x1c\x0d")
            reply = b""
            s.settimeout(10)
            try:
                while not reply.endswith(b"\x1c\x0d"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except socket.timeout:
                # Enhanced mode with MSH-15 NE asks for no accept ACK: none comes.
                print(f"{path.rsplit('/', 1)[-1]}: no ACK in 10 s (MSH-15 NE asks for none)")
        for segment in reply.strip(b"\x0b\x1c\x0d").split(b"\r"):
            if segment[:3] in (b"MSA", b"ERR"):
                print(f"{path.rsplit('/', 1)[-1]}: {segment.decode('latin-1')}")
PY

echo
echo "stored (GET $base/...):"
for query in "Observation?_summary=count" "AdverseEvent?_summary=count" \
  "Provenance?_summary=count"; do
  total=$(curl -fsS "$base/$query" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("total"))')
  echo "  ${query%%\?*}: $total"
done
echo "  the results of ITP-0001, by date: curl '$base/Observation?subject=Patient/nct06813157-pt-ITP-0001&_sort=date'"
