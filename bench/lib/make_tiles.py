"""Writes the benchmarks' 256 map tiles as files, and the list of their URIs.

Usage: make_tiles.py ROOT URIS
  ROOT  directory the tiles go under (arcgis/rest/services/World/MapServer/tile/{z}/{y}/{x})
  URIS  file that gets one path per line (/arcgis/...), for h2load -i and lib/tile_cycle.lua

Sizes are log-uniform in 1-40 KB, the bytes are seeded: every run, and every script (bench/https, bench/cache),
serves the same tiles.
"""
import math
import os
import random
import sys


def main():
    root, uris = sys.argv[1], sys.argv[2]
    rnd = random.Random(2026)
    paths = []
    for i in range(256):
        z, y, x = 6 + i % 4, i // 16, i % 16
        rel = f"arcgis/rest/services/World/MapServer/tile/{z}/{y}/{x}"
        os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
        size = int(math.exp(rnd.uniform(math.log(1024), math.log(40 * 1024))))
        with open(os.path.join(root, rel), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + rnd.randbytes(size - 8))
        paths.append("/" + rel)
    with open(uris, "w") as f:
        f.write("\n".join(paths) + "\n")


if __name__ == "__main__":
    main()
