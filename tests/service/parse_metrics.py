#!/usr/bin/python3
"""Parses a Prometheus text exposition (version 0.0.4) with the prometheus_client library's own
parser (Debian python3-prometheus-client) and prints one line per sample, sorted:

    NAME{LABEL="VALUE",...} VALUE

with the labels sorted by name, so metrics_view_test.cc can compare scrapes. Exits 1 with the
parser's error when the text does not parse, or when a family has no TYPE the parser knows.

    /usr/bin/python3 parse_metrics.py FILE
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    lines = []
    try:
        for family in text_string_to_metric_families(text):
            if family.type not in ("counter", "gauge", "histogram"):
                print(f"{family.name}: unexpected type {family.type}", file=sys.stderr)
                return 1
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                lines.append(f"{s.name}{{{labels}}} {s.value!r}")
    except Exception as e:  # the parser raises ValueError and others on bad text
        print(f"does not parse: {e}", file=sys.stderr)
        return 1
    print("\n".join(sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
