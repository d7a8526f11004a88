"""Print resources and check findings per synthesized stack in a cdk.out directory."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(outdir: str) -> int:
    out = Path(outdir)
    report_path = out / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []}
    open_findings: Counter[str] = Counter()
    acknowledged: Counter[str] = Counter()
    for plugin in report["pluginReports"]:
        for key, bucket in (("violations", open_findings), ("suppressedViolations", acknowledged)):
            for violation in plugin.get(key, []):
                for construct in violation.get("violatingConstructs", []):
                    bucket[construct.get("constructPath", "?").split("/")[0]] += 1
    rows = []
    for template in sorted(out.glob("*.template.json")):
        stack = template.name.removesuffix(".template.json")
        resources = len(json.loads(template.read_text()).get("Resources", {}))
        rows.append((stack, resources, open_findings[stack], acknowledged[stack]))
    width = max([len(r[0]) for r in rows] + [5])
    print(f"\n{'stack':<{width}}  resources  open findings  acknowledged")
    for stack, resources, opened, acked in rows:
        print(f"{stack:<{width}}  {resources:>9}  {opened:>13}  {acked:>12}")
    plugins = ", ".join(p["pluginName"] for p in report["pluginReports"]) or "none"
    print(f"plugin reports: {plugins}; total open findings: {sum(open_findings.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cdk.out"))
