# Three lookups by index into an 8 MB string: each walks it (36 ms, one operation before);
# charged by its bytes, they exceed the evaluation budget.
import json, os, sys
with open(os.path.join(sys.argv[1], "input.json"), "w") as out:
    json.dump({"s": "x" * 8000000}, out)
