import os, sys
# 100,000 nested arrays (200 KB): deep enough to overflow the stack of a recursive walk.
with open(os.path.join(sys.argv[1], "deep100k.json"), "w") as out:
    out.write("[" * 100000 + "]" * 100000)
