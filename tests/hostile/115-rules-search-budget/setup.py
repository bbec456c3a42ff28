import json, os, sys
# A warn rule under the node limit (3,302 nodes) that costs about 900,000 operations per
# evaluation: under the per-evaluation budget, but the search runs it for every feasible
# candidate. The search's total budget (50 million operations) stops it.
rule = {"id": "heavy", "effect": "warn", "message": "heavy",
        "when": {"some": [list(range(3000)), {"in": [{"var": ""}, list(range(1000, 1300))]}]}}
with open(os.path.join(sys.argv[1], "heavy-rules.json"), "w") as out:
    json.dump({"schema_version": "1.0", "rules": [rule]}, out)
