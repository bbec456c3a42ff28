import json, os, sys
# A rule of 100,001 nodes (1.4 MB): {"+": [{"var": "a"}, ... 100,000 times]}.
with open(os.path.join(sys.argv[1], "wide.json"), "w") as out:
    json.dump({"+": [{"var": "a"}] * 100000}, out)
