"""bandit on masthead/, failing on any finding not accepted with a reason (`make audit`).

    .venv/bin/python audit/bandit_check.py

Runs bandit (audit/requirements.txt) with audit/bandit.yaml (tests skipped everywhere, each with
its reason) over the masthead package, migrations included, and compares each (test, file)
with audit/bandit-accepted.toml: more findings than a rule accepts, or a finding no rule names,
fails the check and is printed with its severity, confidence and code. Writes bandit's JSON to
audit/results/bandit.json. Accepted rules that no longer match anything are reported, so the
list can shrink when code is fixed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BANDIT = Path(sys.executable).parent / "bandit"


def main() -> int:
    if not BANDIT.exists():
        print("bandit is not installed: pip install -c constraints.txt -r audit/requirements.txt")
        return 2
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / "bandit.json"
    done = subprocess.run([str(BANDIT), "-c", str(HERE / "bandit.yaml"), "-r", "masthead",
                           "-f", "json", "-o", str(out), "-q"], cwd=ROOT, check=False)
    if done.returncode not in (0, 1) or not out.exists():  # 1: issues found
        print(f"bandit failed (exit {done.returncode})")
        return 2
    report = json.loads(out.read_text())
    if report.get("errors"):
        print("bandit could not read:", *[f"  {e['filename']}: {e['reason']}"
                                          for e in report["errors"]], sep="\n")
        return 1
    found = defaultdict(list)
    for item in report["results"]:
        found[(item["test_id"], item["filename"])].append(item)
    rules = {(r["test"], r["file"]): r for r in tomllib.loads(
        (HERE / "bandit-accepted.toml").read_text())["accept"]}
    unaccepted, accepted = [], 0
    for key, items in sorted(found.items()):
        allowed = rules.get(key, {}).get("count", 0)
        if len(items) <= allowed:
            accepted += len(items)
        else:
            unaccepted.append((key, allowed, items))
    stale = [(k, r["count"], len(found.get(k, []))) for k, r in rules.items()
             if len(found.get(k, [])) < r["count"]]
    severities = defaultdict(int)
    for item in report["results"]:
        severities[item["issue_severity"]] += 1
    print(f"bandit {report['generated_at'][:10]}: {len(report['results'])} findings "
          f"({', '.join(f'{n} {s.lower()}' for s, n in sorted(severities.items()))}), "
          f"{accepted} accepted with a reason (audit/bandit-accepted.toml); JSON in "
          f"{out.relative_to(ROOT)}")
    for (test, file), had, now in stale:
        print(f"  note: {test} in {file}: {now} found, {had} accepted: lower the count")
    if not unaccepted:
        print("BANDIT: PASS")
        return 0
    print("\nNot accepted:")
    for (test, file), allowed, items in unaccepted:
        print(f"\n{test} in {file}: {len(items)} found, {allowed} accepted")
        for item in items:
            print(f"  [{item['issue_severity'].lower()}/{item['issue_confidence'].lower()}] "
                  f"line {item['line_number']}: {item['issue_text']}")
            print("    " + "\n    ".join(item["code"].rstrip().splitlines()))
    print("\nBANDIT: FAIL (fix the code, or accept the finding in audit/bandit-accepted.toml "
          "with its reason)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
