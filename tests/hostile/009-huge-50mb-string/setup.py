import os, sys
# 50 MB: one 50 MB string in an unknown field.
path = os.path.join(sys.argv[1], "huge-string.json")
with open(path, "w") as out:
    out.write('{"schema_version":"1.0","padding":"')
    out.write("x" * (50 * 1024 * 1024))
    out.write('"}')
