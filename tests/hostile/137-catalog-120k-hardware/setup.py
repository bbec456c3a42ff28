# A valid catalog of 120,000 hardware entries (about 16 MB, under the 16 MiB bound). Loading was
# quadratic (duplicate checks and merging by linear scan): more than a minute; now well under 10 s.
import os
import sys

with open(os.path.join(sys.argv[1], "big.json"), "w") as out:
    out.write('{"schema_version":"1.0","hardware":[\n')
    count = 120000
    for i in range(count):
        out.write('{"id":"g%d","name":"G","memory_gb":24,"memory_bandwidth_gb_per_s":600,'
                  '"peak_tflops":{"fp16":125},"tdp_w":150,"price_usd_per_hour":1}%s\n' % (i, "," if i + 1 < count else ""))
    out.write("]}\n")
