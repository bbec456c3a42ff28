# 'in' with a 1 MB needle and a 2 MB haystack: std::string::find took 26 s (needle x haystack,
# charged as one operation); now a linear search charged by the bytes it scans.
import json, os, sys
with open(os.path.join(sys.argv[1], "input.json"), "w") as out:
    json.dump({"n": "a" * 1000000 + "b", "h": "a" * 2000000}, out)
