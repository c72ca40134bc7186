"""`make audit`: the security audit, four checks, one verdict.

    .venv/bin/python audit/run.py [--only bandit,deploy,headers,wapiti] [--max-scan-time 300]

1. bandit on masthead/ (audit/bandit_check.py): every finding fixed or accepted with a reason;
2. `masthead check --deploy --fail-level WARNING` with a production environment
   (SITE_URL=https://news.example.org, DEBUG=false, a random 50-character SECRET_KEY,
   ALLOWED_HOSTS=news.example.org, SECURE_PROXY=true);
3. the security headers of every kind of reader page and the admin login (audit/headers.py);
4. a bounded wapiti scan (audit/wapiti_scan.py), failing on high or critical findings.

Checks 3 and 4 share one production-like app with the demo magazine on loopback
(audit/instance.py), started here and stopped by process id at the end. Reports go to
audit/results/ (not committed). Runs every check, then exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bandit_check  # noqa: E402
import headers  # noqa: E402
import instance  # noqa: E402
import wapiti_scan  # noqa: E402

CHECKS = ("bandit", "deploy", "headers", "wapiti")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def check_deploy() -> int:
    with tempfile.TemporaryDirectory(prefix="masthead-audit-deploy-") as var_dir:
        env = instance.production_env(VAR_DIR=var_dir, ALLOWED_HOSTS=instance.PUBLIC_HOST)
        done = subprocess.run([sys.executable, "-m", "masthead.cli", "check", "--deploy",
                               "--fail-level", "WARNING"], env=env, cwd=ROOT, check=False)
    print(f"CHECK --DEPLOY: {'PASS' if done.returncode == 0 else 'FAIL'}")
    return done.returncode


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(CHECKS),
                   help=f"comma-separated, of {', '.join(CHECKS)} (default: all)")
    p.add_argument("--max-scan-time", type=int, default=300, help="wapiti: seconds in all")
    p.add_argument("--max-attack-time", type=int, default=60, help="wapiti: seconds a module")
    args = p.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    if unknown := set(only) - set(CHECKS):
        p.error(f"unknown check(s): {', '.join(sorted(unknown))}")
    signal.signal(signal.SIGTERM, _interrupt)
    verdicts: dict[str, bool] = {}
    started = time.monotonic()
    if "bandit" in only:
        print("\n== bandit")
        verdicts["bandit"] = bandit_check.main() == 0
    if "deploy" in only:
        print("\n== masthead check --deploy --fail-level WARNING")
        verdicts["deploy"] = check_deploy() == 0
    if {"headers", "wapiti"} & set(only):
        with contextlib.ExitStack() as stack:
            try:
                print("\n== a production-like app with the demo magazine, on loopback")
                app, _ = instance.start(stack)
                if "headers" in only:
                    print("\n== security headers")
                    problems = headers.audit(app.url)
                    print("\nHEADERS: " + ("FAIL\n  " + "\n  ".join(problems) if problems
                                           else "PASS"))
                    verdicts["headers"] = not problems
                if "wapiti" in only:
                    print("\n== wapiti")
                    problems = wapiti_scan.scan(app.url, args)
                    print("\nWAPITI: " + ("FAIL (high or critical, not accepted)\n  "
                                          + "\n  ".join(problems) if problems else "PASS"))
                    verdicts["wapiti"] = not problems
            except KeyboardInterrupt:
                print("interrupted")
                verdicts["interrupted"] = False
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_IGN)
                print("Stopping the app and PostgreSQL…")
    print(f"\naudit ({time.monotonic() - started:.0f} s): "
          + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in verdicts.items()))
    return 0 if verdicts and all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
