import random, sys, os
random.seed(24)
open(os.path.join(sys.argv[1], "random.bin"), "wb").write(bytes(random.randrange(256) for _ in range(200000)))
