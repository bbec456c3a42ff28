import os, sys
# 50 MB: a valid catalog document whose hardware array holds 5,000,000 non-objects.
path = os.path.join(sys.argv[1], "huge.json")
with open(path, "w") as out:
    out.write('{"schema_version":"1.0","hardware":[')
    out.write("0," * (25 * 1024 * 1024 - 1))
    out.write("0]}")
