import os, sys
with open(os.path.join(sys.argv[1], "deep-input.json"), "w") as out:
    out.write('{"a":' + "[" * 100000 + "]" * 100000 + "}")
