#!/usr/bin/python3
"""Samples gisgate's status API once a second for bench/autolimit (standard library only).

Usage: autolimit_sample.py ADMIN_PORT TOKEN DURATION

Prints one JSON line per sample: {"ts": epoch seconds, "servers": {name: {"limit", "active", "requests",
"measuring", "baseline_ms"}}, "queued": pool queue}. Bounded: stops after DURATION seconds; a failed read is
skipped (no line).
"""
import json
import sys
import time
import urllib.request


def main():
    port, token, duration = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    end = time.monotonic() + duration
    nxt = time.monotonic()
    while time.monotonic() < end:
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/status",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=2) as r:
                st = json.load(r)
            pool = st["pools"][0]
            servers = {}
            for s in pool["servers"]:
                auto = s.get("limit_auto") or {}
                servers[s["name"]] = {"limit": s.get("limit"), "active": s.get("active"),
                                      "requests": s.get("requests_total"), "measuring": auto.get("measuring"),
                                      "baseline_ms": auto.get("baseline_ms")}
            print(json.dumps({"ts": round(time.time(), 3), "servers": servers, "queued": pool.get("queued")}),
                  flush=True)
        except Exception as e:  # noqa: BLE001 - a missed sample is only a gap
            print(f"sample failed: {e}", file=sys.stderr)
        nxt += 1.0
        time.sleep(max(0.0, nxt - time.monotonic()))


if __name__ == "__main__":
    main()
