import json, os, sys
# 100,000 clauses; the last one has an unknown operator.
rule = {"id": "wide", "effect": "warn", "when": {"or": [{"==": [1, 1]}] * 99999 + [{"mapp": [[], 1]}]}}
with open(os.path.join(sys.argv[1], "wide-check.json"), "w") as out:
    json.dump({"schema_version": "1.0", "rules": [rule]}, out)
