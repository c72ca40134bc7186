"""A bounded wapiti scan of a local Masthead, failing on high-severity findings (`make audit`).

    .venv/bin/python audit/wapiti_scan.py [--url http://127.0.0.1:PORT] [--max-scan-time 300]

Without --url, starts a production-like app with the demo magazine on loopback
(audit/instance.py) and stops it afterwards. Runs Debian's wapiti (`apt-get install wapiti`)
against it, every request as nginx would forward it (Host news.example.org, https), with the
modules that matter to a publisher (MODULES), within the app's own URL (--scope folder from
its root; the crawl starts at the home page and the admin login, which no reader page links), at most --max-scan-time seconds in all and --max-attack-time per module. Nothing
leaves the machine: crash reports are off (--no-bugreport), the wapp module (built even when
not chosen) finds an empty database instead of downloading one, and the endpoint the ssrf module
asks the target to call is a small server started here on 127.0.0.1, which records the calls
and answers wapiti's question about them as wapiti's own endpoint would.

Reads wapiti's JSON report (written to audit/results/wapiti-<time>.json, its output beside it)
and maps its levels: 4 critical, 3 high, 2 medium, 1 low, 0 info. Fails on any vulnerability
or anomaly (a 500 is an anomaly) of level high or critical that audit/wapiti-accepted.toml does
not accept with a reason; lists the rest.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from instance import HEADERS, app_url  # noqa: E402

RESULTS = HERE / "results"
ACCEPTED = HERE / "wapiti-accepted.toml"
# Reflected and stored XSS, SQL injection (error-based), command and code execution, path
# traversal and file inclusion, open redirects, CRLF (header) injection, SSRF, forms without a
# CSRF token. Left out: blindsql (time-based: a 5-minute budget spent waiting on sleeps),
# brute_login_form, buster, nikto (brute force and signature lists that download at run time),
# wapp (downloads its database), xxe (no endpoint takes XML), the header and cookie modules
# (audit/headers.py checks those, with the site's own rules).
MODULES = "xss,permanentxss,sql,exec,file,redirect,crlf,ssrf,csrf"
LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
FAIL_AT = 3


class SsrfEndpoint(ThreadingHTTPServer):
    """What wapiti's ssrf module needs of its endpoint, on loopback.

    Payloads point the target at /ssrf/<session>/<path id>/<hex parameter>/; at the end the
    module asks /get_ssrf.php?id=<session> for {path id: {hex parameter: [calls]}}.
    """

    def __init__(self):
        self.calls: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        super().__init__(("127.0.0.1", 0), SsrfHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


class SsrfHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path.endswith("get_ssrf.php"):
            session = parse_qs(url.query).get("id", [""])[0]
            self._answer(json.dumps(self.server.calls.get(session, {})).encode(),
                         "application/json")
            return
        parts = url.path.strip("/").split("/")
        if len(parts) >= 4 and parts[0] == "ssrf":
            session, path_id, hex_param = parts[1:4]
            self.server.calls[session][path_id][hex_param].append({
                "url": self.path, "date": datetime.now(UTC).isoformat(),
                "ip": self.client_address[0], "method": self.command, "size": 0})
        self._answer(b"ok")

    do_POST = do_PUT = do_HEAD = do_GET


def findings(report: dict) -> list[dict]:
    out = []
    for kind in ("vulnerabilities", "anomalies"):
        for category, items in (report.get(kind) or {}).items():
            for item in items:
                out.append({"kind": kind, "category": category, "level": int(item.get("level", 0)),
                            "method": item.get("method", ""), "path": item.get("path", ""),
                            "parameter": item.get("parameter", ""),
                            "request": item.get("http_request", ""),
                            "info": (item.get("info") or "").splitlines()[0][:160]})
    return out


def accepted_reason(finding: dict, rules: list[dict]) -> str | None:
    for rule in rules:
        if (rule["category"] == finding["category"]
                and re.fullmatch(rule["path"], finding["path"])
                and rule.get("method", finding["method"]) == finding["method"]
                and rule.get("request_contains", "") in finding["request"]):
            return rule["reason"]
    return None


def scan(base: str, args, say=print) -> list[str]:
    wapiti = shutil.which("wapiti")
    if wapiti is None:
        return ["wapiti is not installed (apt-get install wapiti)"]
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    report_path = RESULTS / f"wapiti-{stamp}.json"
    endpoint = SsrfEndpoint()
    thread = threading.Thread(target=endpoint.serve_forever, daemon=True)
    thread.start()
    store = Path(tempfile.mkdtemp(prefix="masthead-wapiti-"))
    # wapiti builds every module, chosen or not, and the wapp module's constructor downloads its
    # database from GitHub when the config folder has none: give it an empty one so nothing
    # leaves the machine (nikto's download is disabled by Debian).
    (store / "config").mkdir()
    (store / "config" / "apps.json").write_text("{}")
    root = base.rstrip("/") + "/"
    # The admin login is linked from no reader page: start there too.
    command = [wapiti, "-u", root, "-s", f"{root}admin/login/", "--scope", "folder", "-m", MODULES,
               "--max-scan-time", str(args.max_scan_time),
               "--max-attack-time", str(args.max_attack_time),
               "-d", "4", "--max-links-per-page", "40", "--max-files-per-dir", "30",
               "-t", "20", "-S", "normal", "--flush-session", "--no-bugreport",
               "--store-session", str(store / "session"), "--store-config", str(store / "config"),
               # No -x: Debian's wapiti 3.0.4 builds its exclusion patterns with a regex flag
               # Python 3.11 refuses ("global flags not at the start"), and any -x crashes it.
               # Static files and media have no parameters: the modules have nothing to attack.
               "--endpoint", endpoint.url, "-f", "json", "-o", str(report_path), "-v", "1"]
    for name, value in HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    say(f"wapiti {MODULES} on {root}, at most {args.max_scan_time} s "
        f"({args.max_attack_time} s a module); ssrf endpoint {endpoint.url}")
    log_path = RESULTS / f"wapiti-{stamp}.log"
    try:
        with log_path.open("w") as log:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False,
                                  timeout=args.max_scan_time + 900)
        if not report_path.exists():
            return [f"wapiti exited with {done.returncode} and wrote no report (log {log_path})"]
    finally:
        endpoint.shutdown()
        shutil.rmtree(store, ignore_errors=True)
    report = json.loads(report_path.read_text())
    rules = tomllib.loads(ACCEPTED.read_text())["accept"] if ACCEPTED.exists() else []
    problems = []
    items = findings(report)
    say(f"\nreport {report_path.relative_to(HERE.parent)} (log {log_path.relative_to(HERE.parent)})"
        f"\n{len(items)} findings")
    for f in sorted(items, key=lambda f: (-f["level"], f["category"], f["path"])):
        reason = accepted_reason(f, rules)
        mark = "accepted" if reason else ("FAIL" if f["level"] >= FAIL_AT else "report")
        say(f"  [{LEVELS.get(f['level'], f['level']):<8}] {mark:<8} {f['category']}: "
            f"{f['method']} {f['path']} {f['parameter']!r} — {f['info']}")
        if reason:
            say(f"      reason: {reason}")
        elif f["level"] >= FAIL_AT:
            problems.append(f"{LEVELS[f['level']]}: {f['category']} {f['method']} {f['path']} "
                            f"({f['parameter']})")
    crawled = re.findall(r"^\[\+\] (GET|POST) ", log_path.read_text(errors="replace"), re.M)
    say(f"requests attacked (from the log): {len(crawled)}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", help="an app already running (as audit/instance.py starts it)")
    p.add_argument("--max-scan-time", type=int, default=300, help="seconds in all (300)")
    p.add_argument("--max-attack-time", type=int, default=60, help="seconds per module (60)")
    args = p.parse_args(argv)
    with app_url(args.url) as base:
        problems = scan(base, args)
    if problems:
        print("\nWAPITI: FAIL (high or critical, not accepted)\n  " + "\n  ".join(problems))
        return 1
    print("\nWAPITI: PASS (nothing high or critical that is not accepted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
