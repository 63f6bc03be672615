#!/usr/bin/python3
"""Closed-loop mixed load for bench/classes (standard library only).

Usage: classes_load.py PORT DURATION WARMUP HEAVY_CLIENTS INTERACTIVE_CLIENTS THINK_MS SEED [HEAVY_PATH]

HEAVY_CLIENTS threads each loop (no think time) over heavy requests: a synchronous GP execute or a large
MapServer export (f=json), half each, in a seeded random order. INTERACTIVE_CLIENTS threads each loop over map
tiles (z 3, 64 tiles) and feature queries, half each, pausing THINK_MS between requests (a map user's pace).
With HEAVY_PATH, the "heavy" clients loop over that one path instead (bench/autolimit: a uniform closed loop of
one cheap request, INTERACTIVE_CLIENTS 0).
Each thread keeps one keep-alive connection (re-opened after an error).

Only requests started after WARMUP seconds and finished by DURATION seconds count; heavy throughput is heavy
requests finished in that window per second. The load is bounded: no request starts after DURATION, a request
gives up after 120 s, and the process waits at most 30 s for stragglers (they are abandoned: daemon threads).
Prints one JSON object on stdout.
"""
import http.client
import json
import random
import sys
import threading
import time

HEAVY = [
    "/arcgis/rest/services/Utilities/PrintingTools/GPServer/ExportWebMap/execute?f=json",
    "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90&size=3072,3072&f=json",
]
QUERY = "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query?where=1=1&outFields=*&resultRecordCount=100&f=json"


def tile(rnd):
    return f"/arcgis/rest/services/SampleWorldCities/MapServer/tile/3/{rnd.randrange(8)}/{rnd.randrange(8)}"


def main():
    port, duration, warmup = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    heavy_clients, interactive_clients = int(sys.argv[4]), int(sys.argv[5])
    think, seed = float(sys.argv[6]) / 1000.0, int(sys.argv[7])
    heavy_paths = [sys.argv[8]] if len(sys.argv) > 8 and sys.argv[8] else HEAVY
    t0 = time.monotonic()
    end = t0 + duration
    lock = threading.Lock()
    # kind -> list of (start, finish, ok)
    results = {"heavy": [], "interactive": []}
    error_samples = []

    def client(kind, index):
        rnd = random.Random(seed * 1000 + index + (500 if kind == "interactive" else 0))
        conn = None
        # Stagger the start a little so the clients do not arrive in lockstep.
        time.sleep(rnd.uniform(0, 0.5))
        while time.monotonic() < end:
            if kind == "heavy":
                target = rnd.choice(heavy_paths)
            else:
                target = tile(rnd) if rnd.random() < 0.5 else QUERY
            start = time.monotonic()
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", target)
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200 and not (body[:9] == b'{"error":')
                if not ok:
                    with lock:
                        if len(error_samples) < 5:
                            error_samples.append(f"{resp.status} {target[:70]} {body[:120]!r}")
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001 - any failure is an error of this request
                with lock:
                    if len(error_samples) < 5:
                        error_samples.append(f"{type(e).__name__}: {e} ({target[:70]})")
                if conn is not None:
                    conn.close()
                conn = None
            finish = time.monotonic()
            with lock:
                results[kind].append((start - t0, finish - t0, ok))
            if not ok:
                time.sleep(0.2)  # no tight loop of failures
            elif kind == "interactive" and think > 0:
                time.sleep(think)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=("heavy", i), daemon=True) for i in range(heavy_clients)]
    threads += [threading.Thread(target=client, args=("interactive", i), daemon=True)
                for i in range(interactive_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, end + 30 - time.monotonic()))

    def pct(sorted_values, p):
        if not sorted_values:
            return 0.0
        i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
        return sorted_values[i]

    with lock:
        snapshot = {k: list(v) for k, v in results.items()}
    window = duration - warmup
    out = {"window_s": window, "errors_sample": error_samples}
    for kind, rows in snapshot.items():
        counted = [r for r in rows if r[0] >= warmup and r[1] <= duration]
        lat = sorted(r[1] - r[0] for r in counted if r[2])
        finished = [r for r in rows if warmup <= r[1] <= duration]
        out[kind] = {
            "count": len(counted),
            "ok": len(lat),
            "errors": sum(1 for r in counted if not r[2]),
            "p50_ms": round(pct(lat, 50) * 1000, 1),
            "p95_ms": round(pct(lat, 95) * 1000, 1),
            "p99_ms": round(pct(lat, 99) * 1000, 1),
            "max_ms": round((lat[-1] if lat else 0) * 1000, 1),
            # Throughput: successful requests that finished inside the window, per second.
            "rps": round(sum(1 for r in finished if r[2]) / window, 3) if window > 0 else 0.0,
            "unfinished": sum(1 for r in rows if r[1] > duration),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
