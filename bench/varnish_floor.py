"""What Varnish itself costs per cache hit next to nginx, with nothing of Masthead in between.

    .venv/bin/python bench/varnish_floor.py [--sizes 1024,36426] [--connections 1,4,32]
        [--duration 5]

Puts a file of each size under nginx (the same configuration as the `make bench` static row:
sendfile, open_file_cache, no access log) and, in front of that nginx, Varnish with its built-in
VCL (`varnishd -b`, no VCL of ours, no vmods, malloc storage) in two set-ups: Debian's default
parameters, and the leanest we found (shared-memory log records masked, one thread pool, no
linger; not what we ship, see docs/decisions/0010-varnish-floor.md). Every cell is a `wrk -t2`
run against a cached object after a warm-up; nginx is measured before and after each Varnish
run and the ratio uses their mean. CPU figures are those of the server's process tree, as in
stack.py. Prints one table; writes it as JSON to bench/results/varnish-floor-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import stack  # noqa: E402 - the bench's /proc helpers

from masthead.core import localservices as ls  # noqa: E402

LEAN = ["-p", "thread_pools=1", "-p", "timeout_linger=0", "-p", "vsl_mask=" + ",".join(
    f"-{tag}" for tag in (
        "Timestamp", "ReqStart", "ReqMethod", "ReqURL", "ReqProtocol", "ReqHeader",
        "RespProtocol", "RespStatus", "RespReason", "RespHeader", "VCL_call", "VCL_return",
        "Hit", "Link", "Begin", "End", "ReqAcct", "Storage", "VCL_Log", "ReqUnset",
        "RespUnset", "SessOpen", "SessClose"))]


def wrk(url: str, pids: set[int], connections: int, seconds: float) -> dict:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", url]
    subprocess.run([*cmd[:3], "-d2s", url], check=True, capture_output=True)  # warm-up
    stack.wait_quiet(10)
    c0, b0, t0 = stack.tree_cpu(pids), stack.busy(), time.monotonic()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    c1, b1, t1 = stack.tree_cpu(pids), stack.busy(), time.monotonic()
    n = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "cpu_ms": (c1 - c0) * 1000 / max(n, 1),
            "machine_busy": (b1 - b0) / (stack.NCPU * (t1 - t0))}


def start_varnish(backend_port: int, params: list[str]) -> ls.Server:
    """Varnish with the built-in VCL (-b) in front of nginx, extra varnishd parameters added."""
    return ls.start_varnish(backend_port, builtin=True, storage="malloc,64m", params=tuple(params))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1024,36426", help="file sizes in bytes")
    p.add_argument("--connections", default="1,4,32", help="wrk connections per cell")
    p.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    conns = [int(x) for x in args.connections.split(",")]

    root = Path(tempfile.mkdtemp(prefix="masthead-floor-"))
    root.chmod(0o755)
    for size in sizes:
        (root / f"page-{size}.html").write_bytes((b"<p>Masthead floor test.</p>\n" * size)[:size])
    servers, rows = [], []
    try:
        nginx = ls.start_nginx_static(root)
        servers.append(nginx)
        npids = stack.tree_pids({nginx.proc.pid})
        for setup, params in (("Varnish, Debian defaults", []), ("Varnish, lean params", LEAN)):
            varnish = start_varnish(nginx.port, params)
            servers.append(varnish)
            vpids = stack.tree_pids({varnish.proc.pid})
            for size in sizes:
                path = f"/page-{size}.html"
                stack.http_get(varnish.url + path)  # now cached
                for c in conns:
                    before = wrk(nginx.url + path, npids, c, args.duration)
                    v = wrk(varnish.url + path, vpids, c, args.duration)
                    after = wrk(nginx.url + path, npids, c, args.duration)
                    n_rps = (before["rps"] + after["rps"]) / 2
                    n_cpu = (before["cpu_ms"] + after["cpu_ms"]) / 2
                    rows.append({"setup": setup, "bytes": size, "connections": c,
                                 "nginx_rps": n_rps, "nginx_cpu_ms": n_cpu,
                                 "varnish_rps": v["rps"], "varnish_cpu_ms": v["cpu_ms"],
                                 "ratio_rps": v["rps"] / n_rps,
                                 "machine_busy": max(before["machine_busy"], v["machine_busy"],
                                                     after["machine_busy"])})
                    r = rows[-1]
                    print(f"{setup:<26} {size:>6} B  c{c:<3} nginx {n_rps:>7.0f}/s "
                          f"{n_cpu:.4f} ms  varnish {v['rps']:>7.0f}/s {v['cpu_ms']:.4f} ms  "
                          f"ratio {r['ratio_rps']:.2f}", flush=True)
            varnish.stop()
            servers.remove(varnish)
    finally:
        for server in reversed(servers):
            server.stop()
    best = max(rows, key=lambda r: r["ratio_rps"])
    print(f"\nbest Varnish/nginx req/s ratio: {best['ratio_rps']:.2f} ({best['setup']}, "
          f"{best['bytes']} B, {best['connections']} connections); the target asks 0.9")
    stack.RESULTS.mkdir(exist_ok=True)
    out = stack.RESULTS / f"varnish-floor-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"bench": "varnish-floor", "rows": rows,
                               "varnishd": subprocess.run(["varnishd", "-V"], capture_output=True,
                                                          text=True).stderr.splitlines()[0]},
                              indent=1))
    print(f"written {out.relative_to(stack.ROOT)}")


if __name__ == "__main__":
    main()
