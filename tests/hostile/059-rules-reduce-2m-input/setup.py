import os, sys
# A 2,000,000-element input array (about 4 MB).
with open(os.path.join(sys.argv[1], "input.json"), "w") as out:
    out.write('{"list":[' + ",".join(["1"] * 2000000) + "]}")
