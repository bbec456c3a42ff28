import os, sys
# 2 MB: a hardware array of one million non-objects. The loader
# lists the first 1,000 problems and stops reading the array.
with open(os.path.join(sys.argv[1], "many.json"), "w") as out:
    out.write('{"schema_version":"1.0","hardware":[' + "0," * 999999 + "0]}")
