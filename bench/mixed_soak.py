#!/usr/bin/env python3
"""The load driver of bench/mixed_soak.sh (see there): MLLP senders, REST readers and a writer
against a running `trialbridge serve`, the server's RSS and open descriptors sampled every second
into a CSV, then a summary on standard output and an SVG plot. Standard library only."""
import argparse
import http.client
import json
import os
import random
import re
import socket
import threading
import time
import urllib.parse
import urllib.request

MLLP_SENDERS = 8
REST_READERS = int(os.environ.get("TB_SOAK_READERS", "4"))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}  # kind -> [seconds]
        self.codes = {}  # kind -> {code: count}
        self.errors = {}  # kind -> count

    def add(self, kind, seconds, code):
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            per = self.codes.setdefault(kind, {})
            per[code] = per.get(code, 0) + 1

    def error(self, kind):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def read_messages(paths):
    messages = []
    for path in paths:
        with open(path, "rb") as f:
            text = f.read().replace(b"\r\n", b"\r").replace(b"\n", b"\r").strip(b"\r")
        messages.append(text.split(b"\r"))
    return messages


def variant(segments, tag):
    """The message with MSH-10 and the filler order numbers (ORC-3, OBR-3) made unique, and MSH-15
    and MSH-16 emptied (original mode: one ACK a message); the frame and the control id."""
    out = []
    control = b""
    for seg in segments:
        if seg[:3] in (b"MSH", b"ORC", b"OBR"):
            sep = seg[3:4]
            fields = seg.split(sep)
            index = 9 if seg[:3] == b"MSH" else 3
            if len(fields) > index:
                parts = fields[index].split(b"^", 1)
                parts[0] = parts[0] + b"-" + tag
                fields[index] = b"^".join(parts)
            if seg[:3] == b"MSH":
                control = fields[9]
                for i in (14, 15):
                    if len(fields) > i:
                        fields[i] = b""
            seg = sep.join(fields)
        out.append(seg)
    return b"\x0b" + b"\r".join(out) + b"\r\x1c\r", control


def msa(ack):
    """MSA-1 and MSA-2 of an ACK."""
    for seg in ack.strip(b"\x0b\x1c\r").split(b"\r"):
        if seg.startswith(b"MSA"):
            f = seg.split(seg[3:4])
            return f[1].decode("ascii", "replace"), f[2] if len(f) > 2 else b""
    return "no-MSA", b""


def mllp_sender(n, port, messages, stop, stats):
    count = 0
    sock = None
    while not stop.is_set():
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            frame, control = variant(messages[count % len(messages)], f"S{n}N{count}".encode())
            count += 1
            start = time.monotonic()
            sock.sendall(frame)
            reply = b""
            while not reply.endswith(b"\x1c\r"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                reply += chunk
            code, acked = msa(reply)
            # An ACK for another message than the one sent is counted apart (it must not happen).
            stats.add("mllp", time.monotonic() - start, code if acked == control else "other-MSA-2")
        except (OSError, ConnectionError):
            stats.error("mllp")
            if sock is not None:
                sock.close()
            sock = None
            time.sleep(0.5)
    if sock is not None:
        sock.close()


class Rest:
    def __init__(self, base):
        url = urllib.parse.urlparse(base)
        self.host, self.port, self.prefix = url.hostname, url.port, url.path
        self.conn = None

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                headers = {"Accept": "application/fhir+json"}
                if body is not None:
                    headers["Content-Type"] = "application/fhir+json"
                self.conn.request(method, self.prefix + path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        return 0, b""


def ids_of(body, resource_type):
    try:
        doc = json.loads(body)
    except ValueError:
        return []
    return [e["resource"]["id"] for e in doc.get("entry", [])
            if e.get("resource", {}).get("resourceType") == resource_type]


def rest_reader(base, stop, stats):
    rest = Rest(base)
    patients = []
    rng = random.Random()
    while not stop.is_set():
        try:
            if not patients:
                status, body = rest.request("GET", "/Patient?_count=20")
                patients = ids_of(body, "Patient")
                if not patients:
                    time.sleep(0.2)
                    continue
            p = rng.choice(patients)
            kind, path = rng.choice([
                ("read", f"/Patient/{p}"),
                ("search", f"/Observation?subject=Patient/{p}&_count=10"),
                ("search", "/Observation?code=http://loinc.org|777-3&_count=10"),
                ("search", "/ResearchSubject?_count=10"),
            ])
            start = time.monotonic()
            status, _ = rest.request("GET", path)
            stats.add(kind, time.monotonic() - start, str(status))
        except (OSError, http.client.HTTPException):
            stats.error("rest")
            time.sleep(0.5)


def rest_writer(base, stop, stats):
    rest = Rest(base)
    n = 0
    while not stop.wait(2.0):
        n += 1
        org = json.dumps({"resourceType": "Organization", "active": True,
                          "identifier": [{"system": "urn:soak", "value": f"org-{n}"}],
                          "name": f"Soak site {n}"})
        try:
            start = time.monotonic()
            status, _ = rest.request("POST", "/Organization", org)
            stats.add("write", time.monotonic() - start, str(status))
        except (OSError, http.client.HTTPException):
            stats.error("write")


def sample(pid):
    kib = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name = line.split(":", 1)[0]
            if name in ("VmRSS", "RssAnon", "RssFile"):
                kib[name] = int(line.split()[1])
    rss = kib["VmRSS"]
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    threads = int(fields[17])
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, s
    # RSS split: heap and stacks (anon) against mapped files (the SQLite mmap of the database).
    return rss, fds, threads, cpu, kib.get("RssAnon", 0), kib.get("RssFile", 0)


HEAP_METRICS = ("trialbridge_malloc_in_use_bytes", "trialbridge_malloc_free_bytes",
                "trialbridge_store_cache_bytes", "trialbridge_store_sqlite_heap_bytes")


def heap_figures(root):
    """The server's own heap figures from GET /metrics, in KiB, in HEAP_METRICS order: the C
    library's heap in use and held free, the version cache, SQLite's heap (None if unread)."""
    try:
        with urllib.request.urlopen(root + "/metrics", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in HEAP_METRICS:
            values[name] = float(value) / 1024.0
    return tuple(values.get(n, 0.0) for n in HEAP_METRICS)


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def svg_plot(rows, path, title):
    """RSS (MiB, left axis) and open descriptors (right axis) over time, as an SVG."""
    w, h, left, right, top, bottom = 900, 360, 70, 70, 40, 50
    t = [r[0] for r in rows]
    rss = [r[1] / 1024.0 for r in rows]
    fds = [r[2] for r in rows]
    tmax = max(t) or 1
    rmax = max(rss) * 1.15 or 1
    fmax = max(max(fds) * 1.15, 10)

    def x(v):
        return left + (w - left - right) * v / tmax

    def y(v, vmax):
        return top + (h - top - bottom) * (1 - v / vmax)

    def line(vals, vmax, color):
        pts = " ".join(f"{x(a):.1f},{y(b, vmax):.1f}" for a, b in zip(t, vals))
        return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{pts}"/>'

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#1f77b4"/>',
             f'<line x1="{w - right}" y1="{top}" x2="{w - right}" y2="{h - bottom}" stroke="#d62728"/>']
    for i in range(6):
        tv = tmax * i / 5
        parts.append(f'<text x="{x(tv):.1f}" y="{h - bottom + 16}" text-anchor="middle">{tv:.0f}</text>')
        rv, fv = rmax * i / 5, fmax * i / 5
        parts.append(f'<text x="{left - 6}" y="{y(rv, rmax) + 4:.1f}" text-anchor="end" '
                     f'fill="#1f77b4">{rv:.0f}</text>')
        parts.append(f'<text x="{w - right + 6}" y="{y(fv, fmax) + 4:.1f}" fill="#d62728">{fv:.0f}</text>')
        parts.append(f'<line x1="{left}" y1="{y(rv, rmax):.1f}" x2="{w - right}" y2="{y(rv, rmax):.1f}" '
                     f'stroke="#eee"/>')
    parts.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">seconds</text>')
    parts.append(f'<text x="16" y="{h / 2}" fill="#1f77b4" transform="rotate(-90 16 {h / 2})" '
                 f'text-anchor="middle">RSS (MiB)</text>')
    parts.append(f'<text x="{w - 16}" y="{h / 2}" fill="#d62728" transform="rotate(90 {w - 16} {h / 2})" '
                 f'text-anchor="middle">open descriptors</text>')
    parts.append(line(rss, rmax, "#1f77b4"))
    parts.append(line(fds, fmax, "#d62728"))
    # The heap: RSS anon, malloc's live bytes, and the two caches bounded by settings.
    series = [([r[4] / 1024.0 for r in rows], "#2ca02c", "RSS anon"),
              ([r[6] / 1024.0 for r in rows], "#9467bd", "malloc in use"),
              ([(r[8] + r[9]) / 1024.0 for r in rows], "#ff7f0e", "version cache + SQLite heap")]
    legend = [("#1f77b4", "RSS")] + [(color, label) for _, color, label in series]
    for i, (color, label) in enumerate(legend):
        parts.append(f'<text x="{left + 10 + 190 * i}" y="{top + 14}" fill="{color}">{label}</text>')
    for vals, color, _ in series:
        parts.append(line(vals, rmax, color))
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--mllp-port", type=int, required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("messages", nargs="+")
    a = ap.parse_args()

    messages = read_messages(a.messages)
    stats = Stats()
    stop = threading.Event()
    threads = [threading.Thread(target=mllp_sender, args=(i, a.mllp_port, messages, stop, stats))
               for i in range(MLLP_SENDERS)]
    threads += [threading.Thread(target=rest_reader, args=(a.base, stop, stats))
                for _ in range(REST_READERS)]
    threads.append(threading.Thread(target=rest_writer, args=(a.base, stop, stats)))
    rows = []
    start = time.monotonic()
    for th in threads:
        th.start()
    with open(a.csv, "w") as csv:
        csv.write("seconds,rss_kib,fds,threads,cpu_seconds,mllp_acks,rest_requests,"
                  "rss_anon_kib,rss_file_kib,malloc_in_use_kib,malloc_free_kib,cache_kib,"
                  "sqlite_heap_kib\n")
        root = a.base[: a.base.rfind("/fhir")]
        heap = (0.0, 0.0, 0.0, 0.0)
        cpu0 = sample(a.pid)[3]
        while time.monotonic() - start < a.seconds:
            time.sleep(1.0 - (time.monotonic() - start) % 1.0)
            t = time.monotonic() - start
            rss, fds, nthreads, cpu, anon, mapped = sample(a.pid)
            with stats.lock:
                acks = len(stats.latencies.get("mllp", []))
                reqs = sum(len(v) for k, v in stats.latencies.items() if k != "mllp")
            heap = heap_figures(root) or heap  # the last figures when a scrape fails
            rows.append((t, rss, fds, cpu - cpu0, anon, mapped, *heap))
            csv.write(f"{t:.1f},{rss},{fds},{nthreads},{cpu - cpu0:.2f},{acks},{reqs},"
                      f"{anon},{mapped},{heap[0]:.0f},{heap[1]:.0f},{heap[2]:.0f},{heap[3]:.0f}\n")
            csv.flush()
    stop.set()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start

    print(f"duration {elapsed:.0f} s; {MLLP_SENDERS} MLLP connections, {REST_READERS} REST "
          "readers, 1 REST writer, a registry sync every 2 s")
    for kind in ("mllp", "read", "search", "write"):
        lat = stats.latencies.get(kind, [])
        ms = [v * 1000 for v in lat]
        print(f"{kind:7s} {len(lat):7d} done, {len(lat) / elapsed:8.1f}/s, p50 {percentile(ms, 50):7.1f} ms,"
              f" p95 {percentile(ms, 95):7.1f} ms, p99 {percentile(ms, 99):7.1f} ms,"
              f" codes {json.dumps(stats.codes.get(kind, {}), sort_keys=True)}")
    rest_all = sum(len(stats.latencies.get(k, [])) for k in ("read", "search", "write"))
    cpu = rows[-1][3]
    print(f"server CPU: {cpu:.0f} s in {elapsed:.0f} s ({cpu / elapsed:.2f} cores of "
          f"{os.cpu_count()}); load average at the end {os.getloadavg()[0]:.1f}")
    print(f"REST all {rest_all / elapsed:.1f} req/s; errors (connection lost, retried): "
          f"{json.dumps(stats.errors, sort_keys=True)}")
    rss = [r[1] for r in rows]
    fds = [r[2] for r in rows]
    print(f"RSS: start {rss[0] / 1024:.1f} MiB, peak {max(rss) / 1024:.1f} MiB, end {rss[-1] / 1024:.1f} MiB; "
          f"descriptors: min {min(fds)}, max {max(fds)}, end {fds[-1]}")
    print(f"RSS anon (heap, stacks): peak {max(r[4] for r in rows) / 1024:.1f} MiB, end "
          f"{rows[-1][4] / 1024:.1f} MiB; file (mapped database): peak "
          f"{max(r[5] for r in rows) / 1024:.1f} MiB, end {rows[-1][5] / 1024:.1f} MiB")
    half = rows[len(rows) // 2:]
    ts = [r[0] / 60.0 for r in half]
    print(f"slope over the last half ({half[0][0]:.0f}-{half[-1][0]:.0f} s): RSS "
          f"{slope(ts, [r[1] / 1024.0 for r in half]):+.2f} MiB/min, descriptors "
          f"{slope(ts, [float(r[2]) for r in half]):+.2f}/min; RSS anon "
          f"{slope(ts, [r[4] / 1024.0 for r in half]):+.2f} MiB/min")
    end = rows[-1]
    print(f"heap (the server's /metrics): malloc in use peak {max(r[6] for r in rows) / 1024:.1f} "
          f"MiB, end {end[6] / 1024:.1f}; malloc free end {end[7] / 1024:.1f} MiB; version cache end "
          f"{end[8] / 1024:.1f} MiB; SQLite heap end {end[9] / 1024:.1f} MiB")
    print(f"slope over the last half: malloc in use {slope(ts, [r[6] / 1024.0 for r in half]):+.2f} "
          f"MiB/min, of it the version cache {slope(ts, [r[8] / 1024.0 for r in half]):+.2f} and "
          f"SQLite's heap {slope(ts, [r[9] / 1024.0 for r in half]):+.2f}; in use less both "
          f"{slope(ts, [(r[6] - r[8] - r[9]) / 1024.0 for r in half]):+.2f} MiB/min; malloc free "
          f"{slope(ts, [r[7] / 1024.0 for r in half]):+.2f} MiB/min")
    created = stats.codes.get("write", {}).get("201", 0)
    time.sleep(6)  # the sync after the last write
    try:
        search = a.peer + "/fhir/Organization?identifier=urn:soak%7C&_count=1&_total=accurate"
        with urllib.request.urlopen(a.peer + "/control/log", timeout=30) as r:
            log = json.load(r)
        entries = log if isinstance(log, list) else log.get("requests", log.get("log", []))
        writes = [e for e in entries if e.get("method") in ("PUT", "POST")]
        orgs = {m for e in writes for m in re.findall(r"org-[0-9]+", urllib.parse.unquote(e.get("url", "")))}
        print(f"registry (Medplum peer): {len(entries)} requests, {len(writes)} writes; "
              f"Organizations created in trialbridge {created}, of them written to the registry "
              f"{len(orgs)}")
        del search
    except (OSError, ValueError) as e:
        print(f"registry (Medplum peer): log not read ({e})")
    svg_plot(rows, a.svg, f"trialbridge serve under mixed load: memory (MiB) and open descriptors "
             f"({elapsed / 60:.0f} min)")
    print(f"wrote {a.csv} and {a.svg}")


if __name__ == "__main__":
    main()
