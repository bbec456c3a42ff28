import os, sys
with open(os.path.join(sys.argv[1], "deep-scenario.json"), "w") as out:
    out.write('{"id":"deep","workload":' + "[" * 100000 + "]" * 100000 + "}")
