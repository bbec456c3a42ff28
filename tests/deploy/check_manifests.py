#!/usr/bin/python3
"""Loads what `dsselect deploy` writes with real libraries, for every shipped scenario, engine and target.

    check_manifests.py DSSELECT_BINARY SOURCE_DIR

- kubernetes: every document parses as YAML (python3-yaml) and deserialises with the Kubernetes
  Python client (python3-kubernetes) into V1Deployment / V1Service (a LeaderWorkerSet, a CRD the
  client has no model for, has its leader and worker pod templates deserialised as
  V1PodTemplateSpec); serialising the model back gives the document again, so no key was
  unknown to the model and no value of the wrong type;
- compose: the file parses as YAML, has one service per replica, each with the GPUs of a replica;
- shell: `sh -n` accepts the script;
- every flag of the command is a name of data/deploy.json's table for that engine, and the
  settings equal the Deployment's recommendation (TP x replicas = GPUs, max sequences = batch,
  context = the scenario's);
- a refused combination exits 2 or 65 and its message names the engine, target or variant.

Prints one line per check, then "N passed, M failed"; exits 1 on any failure.
Needs python3-yaml and python3-kubernetes (Debian 12; scripts/install-deps --test).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
    from kubernetes import client
except ImportError as error:  # pragma: no cover - depends on the machine
    print("FAIL import: {} (apt-get install python3-yaml python3-kubernetes)".format(error))
    print("0 passed, 1 failed")
    sys.exit(1)

ENGINES = ["vllm", "sglang", "trtllm", "llama.cpp"]
TARGETS = ["shell", "compose", "kubernetes"]


class Checker:
    def __init__(self, binary, source_dir):
        self.binary = binary
        self.passed = 0
        self.failed = 0
        with open(os.path.join(source_dir, "data", "deploy.json"), encoding="utf-8") as stream:
            table = json.load(stream)
        self.flags = {e["id"]: {spec["flag"] for spec in e["flags"].values()} for e in table["engines"]}
        self.prefix = {e["id"]: e["command"] for e in table["engines"]}
        self.api = client.ApiClient()

    def check(self, name, condition, why=""):
        if condition:
            self.passed += 1
            print("PASS", name)
        else:
            self.failed += 1
            print("FAIL", name + ":", why or "condition not met")
        return condition

    def run(self, args):
        return subprocess.run([self.binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)

    def scenarios(self):
        result = self.run(["catalog", "scenarios", "-o", "json"])
        return [s["id"] for s in json.loads(result.stdout)["scenarios"]]

    # --- the model library ------------------------------------------------------------------
    def round_trip(self, document, kind):
        model = self.api._ApiClient__deserialize(document, kind)
        return model, self.api.sanitize_for_serialization(model)

    def check_kubernetes(self, label, text, doc):
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
        self.check(label + ": two documents", len(documents) == 2, str(len(documents)))
        settings = doc["settings"]
        per_pod = settings["gpus_per_replica"] // settings["nodes_per_replica"]
        resource = "amd.com/gpu" if doc["vendor"] == "amd" else "nvidia.com/gpu"
        for document in documents:
            kind = document.get("kind")
            if kind == "Deployment":
                model, back = self.round_trip(document, "V1Deployment")
                self.check(label + ": V1Deployment round trip", back == document, "serialised back differently")
                self.check(label + ": replicas", model.spec.replicas == settings["replicas"], str(model.spec.replicas))
                pods = [model.spec.template.spec]
                probed = pods
            elif kind == "LeaderWorkerSet":
                lws = document["spec"]["leaderWorkerTemplate"]
                self.check(label + ": LWS replicas and size", document["spec"]["replicas"] == settings["replicas"] and
                           lws["size"] == settings["nodes_per_replica"], json.dumps(document["spec"])[:200])
                pods = []
                for role in ("leaderTemplate", "workerTemplate"):
                    model, back = self.round_trip(lws[role], "V1PodTemplateSpec")
                    self.check(label + ": LWS " + role + " round trip as V1PodTemplateSpec", back == lws[role],
                               "serialised back differently")
                    pods.append(model.spec)
                probed = pods[:1]
            elif kind == "Service":
                model, back = self.round_trip(document, "V1Service")
                self.check(label + ": V1Service round trip", back == document, "serialised back differently")
                self.check(label + ": Service selects the pods", bool(model.spec.selector), "no selector")
                continue
            else:
                self.check(label + ": known kind", False, str(kind))
                continue
            for pod in pods:
                container = pod.containers[0]
                limits = container.resources.limits or {}
                self.check(label + ": " + resource + " limit", limits.get(resource) == str(per_pod), str(limits))
            for pod in probed:
                probe = pod.containers[0].readiness_probe
                self.check(label + ": readiness probe", probe is not None and probe.http_get.path == doc["health_path"],
                           str(probe))
            if kind == "Deployment":
                container = pods[0].containers[0]
                self.check(label + ": container argv is the command", container.command + container.args == doc["command"],
                           str(container.command))

    def check_compose(self, label, text, doc):
        document = yaml.safe_load(text)
        services = document.get("services", {})
        settings = doc["settings"]
        self.check(label + ": one service per replica", len(services) == settings["replicas"], str(len(services)))
        seen = []
        for name, service in services.items():
            self.check(label + ": " + name + " entrypoint is the command", service.get("entrypoint") == doc["command"],
                       str(service.get("entrypoint"))[:200])
            if doc["vendor"] == "nvidia":
                devices = service["deploy"]["resources"]["reservations"]["devices"]
                ids = devices[0]["device_ids"]
                self.check(label + ": " + name + " reserves a replica's GPUs",
                           len(ids) == settings["gpus_per_replica"] and devices[0]["capabilities"] == ["gpu"], str(devices))
            else:
                ids = service["environment"]["HIP_VISIBLE_DEVICES"].split(",")
                self.check(label + ": " + name + " sees a replica's GPUs", len(ids) == settings["gpus_per_replica"], str(ids))
            seen.extend(ids)
        self.check(label + ": replicas use distinct GPUs", len(seen) == len(set(seen)), str(seen))

    def check_shell(self, label, text):
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as stream:
            stream.write(text)
            path = stream.name
        try:
            result = subprocess.run(["sh", "-n", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.unlink(path)
        self.check(label + ": sh -n", result.returncode == 0, result.stderr.decode(errors="replace")[:200])
        self.check(label + ": starts with #!/bin/sh", text.startswith("#!/bin/sh\n"))

    def check_document(self, label, doc, scenario_context):
        engine = doc["engine"]
        command = doc["command"]
        prefix = self.prefix[engine]
        words = [w for w in command[len(prefix):] if w.startswith("-")]
        unknown = [w for w in words if w not in self.flags[engine]]
        self.check(label + ": flags are the table's names", command[:len(prefix)] == prefix and not unknown, str(unknown))
        flags = {f["flag"]: f["value"] for f in doc["flags"]}
        s = doc["settings"]
        self.check(label + ": GPUs = GPUs per replica x replicas", s["gpus"] == s["gpus_per_replica"] * s["replicas"])
        if s["tensor_parallel_size"] is not None:
            self.check(label + ": TP x replicas = GPUs", s["tensor_parallel_size"] * s["replicas"] == s["gpus"])
        batch = doc["candidate"]
        self.check(label + ": context = scenario context", s["context_length"] == scenario_context,
                   "{} != {}".format(s["context_length"], scenario_context))
        self.check(label + ": max sequences on the command line", str(s["max_sequences"]) in flags.values())
        self.check(label + ": every flag has a source", all(f["source"] for f in doc["flags"]), batch)
        text = doc["files"][0]["content"]
        for needle in ("Scenario: ", "Expected capacity: ", "Yearly cost: ", "Generated by dsselect "):
            self.check(label + ": header has " + needle.strip(), needle in text)

    def run_all(self):
        scenarios = self.scenarios()
        self.check("shipped scenarios found", len(scenarios) >= 10, str(len(scenarios)))
        contexts = {}
        listing = json.loads(self.run(["catalog", "scenarios", "-o", "json"]).stdout)
        for s in listing["scenarios"]:
            w = s["workload"]
            contexts[s["id"]] = w.get("context_tokens") or (w["prompt_tokens"] + w["output_tokens"])
        ok = refused = 0
        for scenario in scenarios:
            for engine in ENGINES:
                for target in TARGETS:
                    label = "{} {} {}".format(scenario, engine, target)
                    result = self.run(["deploy", "--scenario", scenario, "--engine", engine, "--target", target,
                                       "-o", "json"])
                    if result.returncode != 0:
                        refused += 1
                        err = result.stderr.decode(errors="replace")
                        if result.returncode == 1:
                            # The search leaves out what the engine cannot serve (docs/ranking.md, "Engine
                            # capabilities"): nothing left is unsatisfiable, with "engine" among the reasons.
                            self.check(label + ": unsatisfiable only through the engine", " engine" in err, err[:300])
                            continue
                        self.check(label + ": refused with exit 2 or 65", result.returncode in (2, 65), err[:300])
                        self.check(label + ": the refusal names the setting",
                                   any(k in err for k in ("--engine", "--target", "variant")), err[:300])
                        # The hint names a candidate that can be deployed: it must work.
                        hint = re.search(r"^hint: the best candidate that can be deployed so is rank \d+: (\S+)", err, re.M)
                        if not hint:
                            continue
                        candidate = hint.group(1)
                        result = self.run(["deploy", "--scenario", scenario, candidate, "--engine", engine, "--target",
                                           target, "-o", "json"])
                        label += " (hint " + candidate + ")"
                        if not self.check(label + ": the hinted candidate deploys", result.returncode == 0,
                                          result.stderr.decode(errors="replace")[:300]):
                            continue
                    ok += 1
                    doc = json.loads(result.stdout)
                    self.check_document(label, doc, contexts[scenario])
                    text = doc["files"][0]["content"]
                    if target == "kubernetes":
                        self.check_kubernetes(label, text, doc)
                    elif target == "compose":
                        self.check_compose(label, text, doc)
                    else:
                        self.check_shell(label, text)
        self.check("some deployments planned and some refused", ok >= 60 and refused > 0, "{} ok, {} refused".format(ok, refused))
        # A replica wider than a node: a LeaderWorkerSet.
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as stream:
            json.dump({"id": "open-chat", "name": "Open-weight chat", "task_kind": "chat",
                       "workload": {"prompt_tokens": 1024, "output_tokens": 256, "qps": 2, "context_tokens": 4096},
                       "constraints": {"headroom": 0.2}, "tco": {"years": 1, "ownership": "rented"}}, stream)
            path = stream.name
        try:
            for engine in ("vllm", "sglang"):
                label = "multi-node " + engine
                result = self.run(["deploy", "--scenario", path, "deepseek-v3:fp8@h100-sxmx16", "--multi-node", "--engine",
                                   engine, "--target", "kubernetes", "-o", "json"])
                if self.check(label + ": deploys", result.returncode == 0, result.stderr.decode(errors="replace")[:300]):
                    doc = json.loads(result.stdout)
                    self.check_document(label, doc, 4096)
                    self.check_kubernetes(label, doc["files"][0]["content"], doc)
        finally:
            os.unlink(path)


def main():
    if len(sys.argv) != 3:
        print("usage: check_manifests.py DSSELECT_BINARY SOURCE_DIR", file=sys.stderr)
        return 2
    checker = Checker(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
    checker.run_all()
    print("{} passed, {} failed".format(checker.passed, checker.failed))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
