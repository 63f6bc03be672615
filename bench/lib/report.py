#!/usr/bin/env python3
"""Turn bench/run's raw TSV files into the Markdown report (stdout). stdlib only."""
import argparse
import re
import statistics
from collections import defaultdict

PEER_ORDER = ["direct", "haproxy", "nginx", "gisgate", "gisgate-base"]
SCEN_TITLE = {"small": "small JSON (~1 KB, GET /arcgis/rest/info, wrk -c64)",
              "big": "10 MB body (GET /big.bin, wrk -c8)"}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def f(x, fmt):
    return "–" if x is None else format(x, fmt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs"); ap.add_argument("idle"); ap.add_argument("micro")
    for k in ["date", "nproc", "cpu", "haproxy", "nginx", "wrk", "gisgate", "binary", "base",
              "duration", "rounds", "idle_n", "quick"]:
        ap.add_argument("--" + k.replace("idle_n", "idle"), dest=k, default="")
    a = ap.parse_args()

    runs = defaultdict(list)  # (w, scenario, peer) -> [dict]
    with open(a.runs) as fh:
        for line in fh:
            c = line.rstrip("\n").split("\t")
            if len(c) < 12:
                continue
            w, sc, peer = c[0], c[1], c[2]
            rps, mbps, p50, p99 = float(c[4]), float(c[5]), float(c[6]), float(c[7])
            err, reqs = int(c[8]), int(c[9])
            cpu = None if c[10] == "-" else float(c[10])
            rss = int(c[11]) if peer != "direct" else None
            if sc == "big":   # CPU seconds per GB moved: the natural unit for large bodies
                gb = mbps * float(a.duration or 0) / 1024
                cpu_n = cpu / gb if cpu is not None and gb else None
            else:
                cpu_n = cpu / reqs * 100000 if cpu is not None and reqs else None
            runs[(w, sc, peer)].append(dict(rps=rps, mbps=mbps, p50=p50, p99=p99, err=err,
                                            cpu=cpu_n, rss=rss))

    out = []
    p = out.append
    p("# gisgate side-by-side benchmark")
    p("")
    p(f"- date: {a.date}")
    p(f"- machine: nproc={a.nproc}, {a.cpu}")
    p(f"- gisgate: commit {a.gisgate} (binary `{a.binary}`)")
    if a.base:
        p(f"- gisgate-base: {a.base}, the same configuration on its own port, in the same interleaved rounds")
    p(f"- haproxy {a.haproxy}, nginx {a.nginx}, wrk {a.wrk}")
    p(f"- load: `wrk -t2 --latency -d{a.duration}s`, {a.rounds} interleaved round(s) "
      f"(haproxy, nginx, gisgate, haproxy, …); values are medians over rounds"
      + (" — **QUICK smoke run, numbers not meaningful**" if a.quick == "1" else ""))
    p("- all on 127.0.0.1; backend = NGINX 1 worker on two ports; load generator, proxy and backend share the same cores")
    p("- CPU = proxy utime+stime (all processes/threads) per 100k requests (per GB for the 10 MB body); RSS = proxy VmRSS after the run")
    p("")
    ws = sorted({k[0] for k in runs}, key=int)
    for w in ws:
        for sc in ["small", "big"]:
            if not any(k[0] == w and k[1] == sc for k in runs):
                continue
            p(f"## {SCEN_TITLE.get(sc, sc)} — workers/threads = {w}")
            p("")
            unit = "CPU s/GB" if sc == "big" else "CPU s/100k req"
            p(f"| peer | req/s | MB/s | p50 ms | p99 ms | errors | {unit} | RSS KiB | req/s vs haproxy |")
            p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            base = None
            if (w, sc, "haproxy") in runs:
                base = med([r["rps"] for r in runs[(w, sc, "haproxy")]])
            for peer in PEER_ORDER:
                rs = runs.get((w, sc, peer))
                if not rs and peer == "direct":
                    rs = runs.get((ws[0], sc, "direct"))  # direct is measured once
                if not rs:
                    continue
                rps = med([r["rps"] for r in rs])
                ratio = f"{rps / base:.2f}×" if base and peer != "direct" else "–"
                err = sum(r["err"] for r in rs)
                p(f"| {peer} | {rps:,.0f} | {f(med([r['mbps'] for r in rs]), '.1f')} | "
                  f"{f(med([r['p50'] for r in rs]), '.3f')} | {f(med([r['p99'] for r in rs]), '.3f')} | "
                  f"{err} | {f(med([r['cpu'] for r in rs]), '.2f')} | "
                  f"{f(med([r['rss'] for r in rs]), ',.0f')} | {ratio} |")
            p("")
            if base and (w, sc, "gisgate") in runs:
                g = med([r["rps"] for r in runs[(w, sc, "gisgate")]])
                p(f"gisgate/haproxy req/s: **{g / base:.2f}**")
                p("")
            if (w, sc, "gisgate") in runs and (w, sc, "gisgate-base") in runs:
                g = med([r["rps"] for r in runs[(w, sc, "gisgate")]])
                b = med([r["rps"] for r in runs[(w, sc, "gisgate-base")]])
                gc = med([r["cpu"] for r in runs[(w, sc, "gisgate")]])
                bc = med([r["cpu"] for r in runs[(w, sc, "gisgate-base")]])
                cpu = f", CPU {gc / bc:.2f}×" if gc and bc else ""
                p(f"gisgate/gisgate-base req/s: **{g / b:.2f}**{cpu}")
                p("")

    idle = []
    try:
        with open(a.idle) as fh:
            for line in fh:
                c = line.rstrip("\n").split("\t", 2)
                if len(c) == 3:
                    kv = dict(re.findall(r"(\w+)=([\d.]+)", c[2]))
                    idle.append((c[0], c[1], kv))
    except OSError:
        pass
    if idle:
        p(f"## Idle keep-alive clients (up to {a.idle_n} connections, one request each, then held open)")
        p("")
        p("| workers | peer | conns open | failed | RSS before KiB | RSS after KiB | KiB per conn |")
        p("|---:|---|---:|---:|---:|---:|---:|")
        for w, peer, kv in idle:
            p(f"| {w} | {peer} | {kv.get('conns', '?')} | {kv.get('failed', '?')} | "
              f"{kv.get('rss_before_kib', '?')} | {kv.get('rss_after_kib', '?')} | {kv.get('kib_per_conn', '?')} |")
        p("")

    try:
        with open(a.micro) as fh:
            micro = fh.read().strip()
    except OSError:
        micro = ""
    if micro:
        p("## Micro-benchmarks (`bench_micro --benchmark_min_time=0.2`)")
        p("")
        p("```")
        p(micro)
        p("```")
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
