import os, sys
path = os.path.join(sys.argv[1], "unreadable.json")
with open(path, "w") as out:
    out.write('{"schema_version": "1.0"}')
os.chmod(path, 0)
