import sys, os
with open(os.path.join(sys.argv[1], "big.json"), "w") as f:
    f.write("[\n")
    for i in range(500000):
        f.write('{"id":"customer-service-a","top":1},\n')
    f.write('{"id":"customer-service-a"}]\n')
