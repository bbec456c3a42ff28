# s -> /proc/self/fd/1: stdout, a pipe here. It is written through, not replaced by a file.
import os, sys
os.symlink("/proc/self/fd/1", os.path.join(sys.argv[1], "s"))
