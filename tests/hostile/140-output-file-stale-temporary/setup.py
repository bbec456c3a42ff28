# Temporary names of a killed run, whatever its pid was, never block the path.
import os, sys
for pid in range(1, 50):
    open(os.path.join(sys.argv[1], ".out.json.tmp-%d" % pid), "w").close()
    open(os.path.join(sys.argv[1], ".dsselect-%06d" % pid), "w").close()
