import json, os, sys
# One warn rule of about 150,000 nodes, evaluated for every candidate of the search.
rule = {"id": "wide", "effect": "warn", "when": {"and": [{">": [{"var": "estimate.latency_ms"}, 0]}] * 50000}}
with open(os.path.join(sys.argv[1], "wide-rules.json"), "w") as out:
    json.dump({"schema_version": "1.0", "rules": [rule]}, out)
