import os, sys
with open(os.path.join(sys.argv[1], "deep100k-rules.json"), "w") as out:
    out.write('{"schema_version":"1.0","rules":[{"id":"deep","effect":"warn","when":' + '{"!":' * 100000 + "true" + "}" * 100000 + "}]}")
