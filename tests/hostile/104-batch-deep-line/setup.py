import os, sys
with open(os.path.join(sys.argv[1], "deep-line.jsonl"), "w") as out:
    out.write('{"id":"a","workload":{"prompt_tokens":10,"output_tokens":10,"qps":1}}\n')
    out.write('{"id":"b","workload":' + "[" * 100000 + "]" * 100000 + "}\n")
