#!/usr/bin/python3
"""Checks the JSON Schemas in schemas/ against the shipped data and the real output of dsselect.

    check_outputs.py DSSELECT_BINARY SOURCE_DIR

- every schema is a valid, self-contained draft-07 schema and matches make_schemas.py;
- data/*.json (and tests/validation/catalog.json) validate against catalog.schema.json,
  data/rules.json against rules.schema.json too;
- real commands (catalog, estimate, recommend for every shipped scenario, compare, tco and, when
  the binary has it, batch) print documents that validate against their schema;
- negative checks: mutated documents (a required key dropped, a wrong type, ...) are rejected,
  so that every schema can fail.

Prints one line per check and then "N passed, M failed"; exits 1 on any failure.
Needs python3 and python3-jsonschema (Debian), nothing else.
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:  # pragma: no cover - depends on the machine
    print("FAIL import jsonschema: install python3-jsonschema (apt-get install python3-jsonschema)")
    print("0 passed, 1 failed")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
COMMAND_TIMEOUT_S = 120


class Checker:
    def __init__(self, binary, source_dir):
        self.binary = binary
        self.source_dir = source_dir
        self.schema_dir = os.path.join(source_dir, "schemas")
        self.passed = 0
        self.failed = 0
        self.schemas = {}

    # --- reporting ---------------------------------------------------------------------------
    def ok(self, name):
        self.passed += 1
        print("PASS", name)

    def fail(self, name, why):
        self.failed += 1
        print("FAIL", name + ":", why)

    def check(self, name, condition, why=""):
        if condition:
            self.ok(name)
        else:
            self.fail(name, why or "condition not met")
        return condition

    # --- schemas -----------------------------------------------------------------------------
    def validator(self, schema_name, definition=None):
        schema = self.schemas[schema_name]
        if definition is not None:
            # A sub-schema of the same file, e.g. scenario.schema.json#/definitions/batch_item.
            schema = {"$schema": schema["$schema"], "definitions": schema["definitions"],
                      "$ref": "#/definitions/" + definition}
        return jsonschema.Draft7Validator(schema)

    @staticmethod
    def describe_errors(errors):
        parts = []
        for error in errors[:3]:
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            parts.append("{}: {}".format(where, error.message[:300]))
        more = "" if len(errors) <= 3 else " (+{} more)".format(len(errors) - 3)
        return "; ".join(parts) + more

    def expect_valid(self, name, schema_name, document, definition=None):
        errors = sorted(self.validator(schema_name, definition).iter_errors(document), key=lambda e: list(e.path))
        return self.check(name, not errors, self.describe_errors(errors))

    def expect_invalid(self, name, schema_name, document, definition=None):
        valid = self.validator(schema_name, definition).is_valid(document)
        return self.check(name, not valid, "the schema accepted a broken document")

    def load_schemas(self):
        paths = sorted(glob.glob(os.path.join(self.schema_dir, "*.schema.json")))
        self.check("schemas: found in " + self.schema_dir, bool(paths), "no *.schema.json")
        for path in paths:
            name = os.path.basename(path)
            try:
                with open(path, encoding="utf-8") as stream:
                    schema = json.load(stream)
                jsonschema.Draft7Validator.check_schema(schema)
            except (ValueError, jsonschema.exceptions.SchemaError) as error:
                self.fail("schema " + name + " is valid draft-07", str(error)[:300])
                continue
            problems = []
            if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
                problems.append("$schema is not draft-07")
            if schema.get("$id") != "https://dsselect.invalid/schemas/" + name:
                problems.append("$id does not name the file")
            for key in ("title", "description"):
                if not isinstance(schema.get(key), str) or not schema[key]:
                    problems.append("no " + key)
            external = sorted({r for r in collect_refs(schema) if not r.startswith("#")})
            if external:
                problems.append("cross-file $ref: " + ", ".join(external))
            resolver = jsonschema.RefResolver.from_schema(schema)
            for reference in sorted({r for r in collect_refs(schema) if r.startswith("#")}):
                try:
                    resolver.resolve(reference)
                except jsonschema.exceptions.RefResolutionError as error:
                    problems.append("unresolvable {}: {}".format(reference, error))
            if self.check("schema " + name + " is valid draft-07, self-contained", not problems, "; ".join(problems)):
                self.schemas[name] = schema
        expected = ["catalog", "scenario", "rules", "model-list", "variant-list", "hardware-list", "scenario-list",
                    "engine-list",
                    "estimate", "recommendation", "comparison", "tco", "batch-result", "batch-summary", "error",
                    "finetune-plan", "deployment"]
        missing = [n for n in expected if n + ".schema.json" not in self.schemas]
        self.check("schemas: all 14 present and valid", not missing, "missing or broken: " + ", ".join(missing))
        return not missing

    def check_generated(self):
        sys.dont_write_bytecode = True  # no __pycache__ in the source tree
        sys.path.insert(0, HERE)
        try:
            import make_schemas
        except ImportError as error:
            self.fail("schemas match tests/schema/make_schemas.py", str(error))
            return
        generated = make_schemas.build()
        stale = sorted(name for name, schema in generated.items() if self.schemas.get(name) != schema)
        extra = sorted(set(self.schemas) - set(generated))
        self.check("schemas match tests/schema/make_schemas.py", not stale and not extra,
                   "regenerate with tests/schema/make_schemas.py: differs " + ", ".join(stale + extra))

    # --- data files --------------------------------------------------------------------------
    def check_data(self):
        data_dir = os.path.join(self.source_dir, "data")
        for name in ("models", "open-models", "hardware", "scenarios", "rules", "engines"):
            self.check("data/{}.json exists".format(name), os.path.isfile(os.path.join(data_dir, name + ".json")))
        # data/deploy.json is dsselect deploy's flag table (src/deploy/table.cpp) and data/accuracy.json
        # the measured-accuracy table (src/estimate/accuracy.cpp, written by scripts/accuracy_table.py):
        # neither is a catalog file.
        not_catalog = {"deploy.json", "accuracy.json"}
        files = sorted(p for p in glob.glob(os.path.join(data_dir, "*.json")) if os.path.basename(p) not in not_catalog)
        extra = os.path.join(self.source_dir, "tests", "validation", "catalog.json")
        if os.path.isfile(extra):
            files.append(extra)
        for path in files:
            label = os.path.relpath(path, self.source_dir)
            try:
                with open(path, encoding="utf-8") as stream:
                    document = json.load(stream)
            except ValueError as error:
                self.fail(label + " parses", str(error))
                continue
            self.expect_valid("catalog.schema.json: " + label, "catalog.schema.json", document)
            if os.path.basename(path) == "rules.json":
                self.expect_valid("rules.schema.json: " + label, "rules.schema.json", document)

    # --- commands ----------------------------------------------------------------------------
    def run(self, args, stdin=None):
        return subprocess.run([self.binary] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=COMMAND_TIMEOUT_S)

    def json_of(self, args, label=None):
        """Runs dsselect ARGS; the parsed stdout, or None after reporting a failure."""
        label = label or " ".join(args)
        try:
            result = self.run(args)
        except (OSError, subprocess.TimeoutExpired) as error:
            self.fail("run " + label, str(error))
            return None
        if result.returncode != 0:
            self.fail("run " + label, "exit {}: {}".format(result.returncode, result.stderr.decode(errors="replace")[:300]))
            return None
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            self.fail("run " + label, "stdout is not JSON: {}".format(error))
            return None

    def validate_command(self, schema_name, args):
        document = self.json_of(args)
        if document is not None:
            self.expect_valid("{}: dsselect {}".format(schema_name, " ".join(args)), schema_name, document)
        return document

    def check_commands(self):
        docs = {}
        docs["models"] = self.validate_command("model-list.schema.json", ["catalog", "models", "-o", "json"])
        self.validate_command("model-list.schema.json", ["catalog", "models", "base", "-o", "json"])
        docs["variants"] = self.validate_command("variant-list.schema.json", ["catalog", "variants", "-o", "json"])
        docs["hardware"] = self.validate_command("hardware-list.schema.json", ["catalog", "hardware", "-o", "json"])
        docs["engines"] = self.validate_command("engine-list.schema.json", ["catalog", "engines", "-o", "json"])
        docs["scenarios"] = self.validate_command("scenario-list.schema.json", ["catalog", "scenarios", "-o", "json"])
        docs["estimate"] = self.validate_command(
            "estimate.schema.json", ["estimate", "--model", "base", "--variant", "int8", "--gpu", "a40", "--gpus", "2",
                                     "--batch", "8", "-o", "json"])
        docs["estimate_explain"] = self.validate_command(
            "estimate.schema.json", ["estimate", "--model", "ultra", "--variant", "int4", "--gpu", "h100-sxm", "--gpus",
                                     "2", "--explain", "-o", "json"])
        docs["estimate_nofit"] = self.validate_command("estimate.schema.json",
                                                       ["estimate", "--model", "ultra", "--gpu", "a10", "-o", "json"])
        self.validate_command("estimate.schema.json",
                              ["estimate", "--model", "ultra", "--gpu", "a10", "--explain", "-o", "json"])
        # The accuracy object with no measurement (llama.cpp on an edge device) and with TTFT not checked.
        for gpu in ("jetson-orin-nano", "h200"):
            self.validate_command("estimate.schema.json", ["estimate", "--model", "nano", "--variant", "int4", "--gpu", gpu,
                                                           "--engine", "llama.cpp", "-o", "json"])
        for key, expected in (("estimate", True), ("estimate_nofit", False)):
            document = docs.get(key)
            if document is not None:
                self.check("estimate: {} has fits {}".format(key, str(expected).lower()),
                           document["memory"]["fits"] is expected and
                           (document["performance"]["ttft_ms"] is None) is (not expected),
                           "fits={} ttft_ms={}".format(document["memory"]["fits"], document["performance"]["ttft_ms"]))
        scenario_ids = []
        if docs["scenarios"] is not None:
            scenario_ids = [item["id"] for item in docs["scenarios"]["scenarios"]]
            self.check("catalog scenarios lists scenarios", bool(scenario_ids))
            for item in docs["scenarios"]["scenarios"]:
                self.expect_valid("scenario.schema.json: catalog scenario " + item["id"], "scenario.schema.json", item)
        for scenario in scenario_ids:
            document = self.json_of(["recommend", "--scenario", scenario, "-o", "json"])
            if document is None:
                continue
            self.expect_valid("recommendation.schema.json: recommend --scenario " + scenario,
                              "recommendation.schema.json", document)
            self.check("recommend {}: evaluated = accepted + rejected".format(scenario),
                       document["candidates_evaluated"] == document["candidates_accepted"] + document["candidates_rejected"],
                       "{} != {} + {}".format(document["candidates_evaluated"], document["candidates_accepted"],
                                              document["candidates_rejected"]))
            if scenario == "customer-service":
                docs["recommendation"] = document
            multi = document.get("multi_task")
            has_tasks = bool(next((item for item in docs["scenarios"]["scenarios"] if item["id"] == scenario), {})
                             .get("tasks"))
            self.check("recommend {}: multi_task present exactly when the scenario has tasks".format(scenario),
                       (multi is not None) == has_tasks, "multi_task {} with tasks {}".format(multi is not None, has_tasks))
            if scenario == "multi-task-support" and multi is not None:
                docs["multitask"] = document
                kinds = [plan["kind"] for plan in multi["plans"]]
                self.check("recommend multi-task-support: shared and separate plans, a best plan",
                           kinds[:2] == ["shared", "separate"] and multi["best_plan"] in kinds, str(kinds))
                self.check("recommend multi-task-support: seed §3.3's 78 % at 16 tasks shown beside the computed rate",
                           multi["reference"]["parameter_reuse_rate"] == 0.78 and multi["reference"]["tasks"] == 16 and
                           multi["reference"]["computed_parameter_reuse_rate"] is not None, json.dumps(multi["reference"]))
        docs["recommendation_explain"] = self.validate_command(
            "recommendation.schema.json", ["recommend", "--scenario", "customer-service", "--explain", "-o", "json"])
        docs["comparison"] = self.validate_command(
            "comparison.schema.json", ["compare", "--scenario", "finance-risk", "base", "ultra", "-o", "json"])
        self.validate_command("comparison.schema.json",
                              ["compare", "--scenario", "finance-risk", "base", "ultra:fp16@a10x1", "nano", "-o", "json"])
        docs["tco"] = self.validate_command(
            "tco.schema.json", ["tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1", "-o", "json"])
        self.validate_command("tco.schema.json", ["tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1", "--owned",
                                                  "--years", "2.5", "-o", "json"])
        # A claimed variant that passes: claimed and claim, and claimed-variant among its warnings.
        claimed = self.validate_command("tco.schema.json",
                                        ["tco", "--scenario", "finance-risk", "base:dynamic@a40x2", "-o", "json"])
        if claimed is not None:
            self.check("tco of a claimed variant carries claimed, claim and the claimed-variant warning",
                       claimed.get("claimed") is True and bool(claimed.get("claim")) and
                       "claimed-variant" in [w.get("rule") for w in claimed.get("warnings", [])])
        docs["finetune"] = self.validate_command(
            "finetune-plan.schema.json", ["plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "-o", "json"])
        self.validate_command("finetune-plan.schema.json", ["plan", "finetune", "--model", "ultra", "--gpu", "h100-sxm",
                                                            "--method", "lora", "--variant", "int8-weight-only",
                                                            "--tokens", "5e8", "-o", "json"])
        self.validate_command("finetune-plan.schema.json", ["plan", "finetune", "--model", "pro", "--gpu", "l4",
                                                            "--method", "qlora", "--lora-targets", "attention", "-o",
                                                            "json"])
        docs["finetune_nofit"] = self.validate_command(
            "finetune-plan.schema.json", ["plan", "finetune", "--model", "ultra", "--gpu", "a10", "--sequence-tokens",
                                          "65536", "--micro-batch", "8", "-o", "json"])
        for key, expected in (("finetune", True), ("finetune_nofit", False)):
            document = docs.get(key)
            if document is not None:
                self.check("plan finetune: {} has fits {}".format(key, str(expected).lower()),
                           document["fits"] is expected, "fits={}".format(document["fits"]))
        # dsselect deploy: one Deployment per engine and target (a winner, a named candidate, llama.cpp's GGUF).
        for args in (["deploy", "--scenario", "customer-service"],
                     ["deploy", "--scenario", "customer-service", "--target", "kubernetes", "--engine", "sglang"],
                     ["deploy", "--scenario", "finance-risk", "base:fp8@h800", "--target", "compose", "--engine", "trtllm"],
                     ["deploy", "--scenario", "mobile-realtime", "--target", "kubernetes", "--engine", "llama.cpp"],
                     ["deploy", "--scenario", "edge-offline", "--engine", "llama.cpp"]):
            docs["deployment"] = self.validate_command("deployment.schema.json", args + ["-o", "json"])
        return docs

    def has_batch(self):
        try:
            result = self.run(["--help"])
        except (OSError, subprocess.TimeoutExpired):
            return False
        text = result.stdout.decode(errors="replace")
        return any(line.split()[:1] == ["batch"] for line in text.splitlines())

    def check_batch(self, scenarios_doc):
        """Runs `dsselect batch` over the shipped scenarios plus a broken and a compare line."""
        if scenarios_doc is None:
            self.fail("batch", "no scenario list to build its input from")
            return None
        items = [copy.deepcopy(item) for item in scenarios_doc["scenarios"]]
        finance = next((item for item in items if item["id"] == "finance-risk"), items[0])
        compare_item = dict(copy.deepcopy(finance), id="finance-risk-compare", candidates=["base", "ultra"])
        lines = [json.dumps(item, ensure_ascii=False) for item in items]
        broken_line = len(lines) + 1
        lines.append('{"id": "broken", "workload": {"prompt_tokens": 0, "output_tokens": 16, "qps": 1}}')
        lines.append('{"id": "not json"')  # malformed: the result has no id
        malformed_line = len(lines)
        lines.append(json.dumps(compare_item, ensure_ascii=False))
        compare_line = len(lines)
        for number, text in enumerate(lines, 1):
            if number == malformed_line:
                continue
            item = json.loads(text)
            if number == broken_line:
                self.expect_invalid("scenario.schema.json#batch_item rejects the broken line", "scenario.schema.json",
                                    item, "batch_item")
            else:
                self.expect_valid("scenario.schema.json#batch_item: input line {}".format(number),
                                  "scenario.schema.json", item, "batch_item")
        with tempfile.TemporaryDirectory(prefix="dsselect-schema-") as directory:
            path = os.path.join(directory, "items.jsonl")
            with open(path, "w", encoding="utf-8") as stream:
                stream.write("\n".join(lines) + "\n")
            try:
                result = self.run(["batch", path])
            except (OSError, subprocess.TimeoutExpired) as error:
                self.fail("run batch", str(error))
                return None
        if not self.check("run batch (exit 0 without --fail-on)", result.returncode == 0,
                          "exit {}: {}".format(result.returncode, result.stderr.decode(errors="replace")[:300])):
            return None
        out_lines = result.stdout.decode("utf-8").splitlines()
        if not self.check("batch: one result per item + a summary", len(out_lines) == len(lines) + 1,
                          "{} lines for {} items".format(len(out_lines), len(lines))):
            return None
        try:
            documents = [json.loads(line) for line in out_lines]
        except ValueError as error:
            self.fail("batch: every line is JSON", str(error))
            return None
        statuses = {"ok": 0, "unsatisfiable": 0, "invalid": 0}
        counted = 0
        for number, document in enumerate(documents[:-1], 1):
            self.expect_valid("batch-result.schema.json: batch line {}".format(number), "batch-result.schema.json",
                              document)
            statuses[document.get("status")] = statuses.get(document.get("status"), 0) + 1
            self.check("batch line {}: line number echoed".format(number), document.get("line") == number,
                       "line {}".format(document.get("line")))
            # An item shows its top N but counts every candidate (SearchOptions::keep_ranked).
            counts = document.get("result") or {}
            if "candidates_evaluated" in counts:
                self.check("batch line {}: evaluated = accepted + rejected".format(number),
                           counts["candidates_evaluated"] == counts["candidates_accepted"] + counts["candidates_rejected"],
                           "{} != {} + {}".format(counts["candidates_evaluated"], counts["candidates_accepted"],
                                                  counts["candidates_rejected"]))
                counted += 1
        self.check("batch: the shipped scenarios' results carry their counts", counted >= len(items),
                   "{} results with counts for {} scenarios".format(counted, len(items)))
        summary = documents[-1]
        self.expect_valid("batch-summary.schema.json: batch summary", "batch-summary.schema.json", summary)
        self.check("batch summary counts match the lines",
                   summary.get("items") == len(lines) and all(summary.get(k) == v for k, v in statuses.items()),
                   "summary {} vs counted {}".format(summary, statuses))
        broken = documents[broken_line - 1]
        self.check("batch: the broken line is invalid with exit code 65",
                   broken.get("status") == "invalid" and broken.get("error", {}).get("exit_code") == 65,
                   json.dumps(broken)[:300])
        if broken.get("status") == "invalid":
            self.expect_valid("error.schema.json: the broken line's error", "error.schema.json", broken["error"])
        malformed = documents[malformed_line - 1]
        self.check("batch: the malformed line is invalid, id null, exit code 65",
                   malformed.get("status") == "invalid" and malformed.get("id") is None and
                   malformed.get("error", {}).get("exit_code") == 65, json.dumps(malformed)[:300])
        compared = documents[compare_line - 1]
        self.check("batch: the candidates line gives a Comparison",
                   compared.get("result", {}).get("kind") == "Comparison" and compared.get("id") == "finance-risk-compare",
                   json.dumps(compared)[:300])
        for number, document in enumerate(documents[:-1], 1):
            if number not in (broken_line, malformed_line, compare_line):
                if document.get("result", {}).get("kind") != "Recommendation" or document.get("id") != items[number - 1]["id"]:
                    self.fail("batch line {}: a Recommendation for {}".format(number, items[number - 1]["id"]),
                              json.dumps(document)[:300])
        return {"result": next((d for d in documents[:-1] if d.get("status") == "ok"), None), "summary": summary,
                "invalid": broken}

    # --- negative checks ---------------------------------------------------------------------
    def check_negatives(self, docs, batch_docs):
        def mutate(document, *edits):
            out = copy.deepcopy(document)
            for edit in edits:
                edit(out)
            return out

        def drop(*path):
            def edit(document):
                for key in path[:-1]:
                    document = document[key]
                del document[path[-1]]
            return edit

        def put(value, *path):
            def edit(document):
                for key in path[:-1]:
                    document = document[key]
                document[path[-1]] = value
            return edit

        cases = []  # (label, schema, base document, edits, definition)

        def case(label, schema, base, *edits, definition=None):
            cases.append((label, schema, base, edits, definition))

        # Inputs: one shipped file of each kind.
        def data(name):
            with open(os.path.join(self.source_dir, "data", name), encoding="utf-8") as stream:
                return json.load(stream)
        models, hardware, scenarios, rules = (data(n + ".json") for n in ("models", "hardware", "scenarios", "rules"))
        cat = "catalog.schema.json"
        case("catalog: no schema_version", cat, models, drop("schema_version"))
        case("catalog: schema_version 2.0", cat, models, put("2.0", "schema_version"))
        case("catalog: unknown top-level key", cat, models, put([], "modles"))
        case("catalog: model without architecture", cat, models, drop("models", 0, "architecture"))
        case("catalog: hidden_size 0", cat, models, put(0, "models", 0, "architecture", "hidden_size"))
        case("catalog: hidden_size 2.5", cat, models, put(2.5, "models", 0, "architecture", "hidden_size"))
        case("catalog: no intermediate_size without MoE", cat, models,
             drop("models", 0, "architecture", "intermediate_size"))
        case("catalog: MoE keys in part", cat, models, put(8, "models", 0, "architecture", "n_routed_experts"))
        case("catalog: unknown architecture key", cat, models, put(1, "models", 0, "architecture", "num_layers"))
        case("catalog: quality score 1.5", cat, models, put(1.5, "models", 0, "quality", 0, "score"))
        case("catalog: sources names an absent field", cat, models,
             put("x", "models", 0, "sources", "parameters_override"))
        case("catalog: variant weight_bits 0", cat, models, put(0, "variants", 0, "weight_bits"))
        case("catalog: variant compute_precision fp32", cat, models, put("fp32", "variants", 0, "compute_precision"))
        case("catalog: variant risk_flags with an empty string", cat, models, put([""], "variants", 0, "risk_flags"))
        case("catalog: hardware without peak fp16", cat, hardware, drop("hardware", 0, "peak_tflops", "fp16"))
        case("catalog: hardware tdp_w 0", cat, hardware, put(0, "hardware", 0, "tdp_w"))
        case("catalog: hardware kind tpu", cat, hardware, put("tpu", "hardware", 0, "kind"))
        case("catalog: hardware empty id", cat, hardware, put("", "hardware", 0, "id"))
        case("catalog: scenario qps \"20\"", cat, scenarios, put("20", "scenarios", 0, "workload", "qps"))
        case("catalog: scenario utilization 0", cat, scenarios, put(0, "scenarios", 0, "tco", "utilization"))
        case("catalog: scenario training method rlhf", cat, scenarios,
             put({"method": "rlhf"}, "scenarios", 0, "tco", "training"))
        case("catalog: rule effect block", cat, rules, put("block", "rules", 0, "effect"))
        case("rules: rule without when", "rules.schema.json", rules, drop("rules", 0, "when"))
        case("rules: unknown rule key", "rules.schema.json", rules, put(1, "rules", 0, "priority"))
        case("rules: no schema_version", "rules.schema.json", rules, drop("schema_version"))
        scenario = scenarios["scenarios"][0]
        case("scenario: no workload", "scenario.schema.json", scenario, drop("workload"))
        case("scenario: headroom -1", "scenario.schema.json", scenario, put(-1, "constraints", "headroom"))
        case("scenario: candidates outside a batch item", "scenario.schema.json", scenario, put(["base"], "candidates"))
        case("scenario batch_item: top 0", "scenario.schema.json", scenario, put(0, "top"), definition="batch_item")
        case("scenario batch_item: candidates a string", "scenario.schema.json", scenario, put("base", "candidates"),
             definition="batch_item")
        case("scenario batch_item: weights a number", "scenario.schema.json", scenario, put(0.5, "weights"),
             definition="batch_item")

        # Outputs.
        if docs.get("models"):
            case("model-list: kind VariantList", "model-list.schema.json", docs["models"], put("VariantList", "kind"))
            case("model-list: no architecture", "model-list.schema.json", docs["models"], drop("models", 0, "architecture"))
            case("model-list: parameters a string", "model-list.schema.json", docs["models"],
                 put("1", "models", 0, "parameters"))
            case("model-list: attention mqa", "model-list.schema.json", docs["models"], put("mqa", "models", 0, "attention"))
        if docs.get("variants"):
            case("variant-list: no weight_bits", "variant-list.schema.json", docs["variants"],
                 drop("variants", 0, "weight_bits"))
            case("variant-list: quality_retention \"1\"", "variant-list.schema.json", docs["variants"],
                 put("1", "variants", 0, "quality_retention"))
        if docs.get("hardware"):
            case("engine-list: no factors", "engine-list.schema.json", docs["engines"], drop("engines", 0, "factors")),
            case("engine-list: multi_gpu unknown", "engine-list.schema.json", docs["engines"],
                 put("pipeline", "engines", 0, "multi_gpu")),
            case("hardware-list: no memory_gb", "hardware-list.schema.json", docs["hardware"],
                 drop("hardware", 0, "memory_gb"))
            case("hardware-list: price a string", "hardware-list.schema.json", docs["hardware"],
                 put("3.78", "hardware", 0, "price_usd_per_hour"))
        if docs.get("scenarios"):
            case("scenario-list: no tco", "scenario-list.schema.json", docs["scenarios"], drop("scenarios", 0, "tco"))
            case("scenario-list: prompt_tokens 0", "scenario-list.schema.json", docs["scenarios"],
                 put(0, "scenarios", 0, "workload", "prompt_tokens"))
        if docs.get("estimate"):
            case("estimate: no memory.fits", "estimate.schema.json", docs["estimate"], drop("memory", "fits"))
        if docs.get("finetune") is not None:
            case("finetune-plan: no memory.total_bytes", "finetune-plan.schema.json", docs["finetune"],
                 drop("memory", "total_bytes"))
            case("finetune-plan: no stages", "finetune-plan.schema.json", docs["finetune"], drop("stages"))
            case("finetune-plan: method sgd", "finetune-plan.schema.json", docs["finetune"], put("sgd", "method"))
            case("finetune-plan: fits without gpus", "finetune-plan.schema.json", docs["finetune"], put(None, "gpus"))
            case("estimate: gpus \"2\"", "estimate.schema.json", docs["estimate"], put("2", "gpus"))
            case("estimate: null timing while feasible", "estimate.schema.json", docs["estimate"],
                 put(None, "performance", "ttft_ms"))
            case("estimate: unknown performance key", "estimate.schema.json", docs["estimate"],
                 put(1.0, "performance", "ttft_s"))
            case("estimate: feasibility maybe", "estimate.schema.json", docs["estimate"], put("maybe", "feasibility"))
        if docs.get("estimate_nofit"):
            case("estimate: a timing when it does not fit", "estimate.schema.json", docs["estimate_nofit"],
                 put(1.0, "performance", "ttft_ms"))
            case("estimate: fits true when it does not fit", "estimate.schema.json", docs["estimate_nofit"],
                 put(True, "memory", "fits"))
        if docs.get("estimate_explain"):
            case("estimate: explain step without unit", "estimate.schema.json", docs["estimate_explain"],
                 drop("explain", 0, "unit"))
        recommendation = docs.get("recommendation")
        if recommendation:
            rec = "recommendation.schema.json"
            case("recommendation: no candidates_evaluated", rec, recommendation, drop("candidates_evaluated"))
            case("recommendation: rank \"1\"", rec, recommendation, put("1", "recommendations", 0, "rank"))
            case("recommendation: no rank", rec, recommendation, drop("recommendations", 0, "rank"))
            case("recommendation: a ranked item without score", rec, recommendation,
                 put(None, "recommendations", 0, "score"))
            case("recommendation: cost without total_usd", rec, recommendation,
                 drop("recommendations", 0, "cost", "total_usd"))
            case("recommendation: rejected_by_reason count \"3\"", rec, recommendation,
                 put("3", "rejected_by_reason", "memory"))
        multitask = docs.get("multitask")
        if multitask:
            rec = "recommendation.schema.json"
            case("recommendation: multi_task without plans", rec, multitask, drop("multi_task", "plans"))
            case("recommendation: plan kind hybrid", rec, multitask, put("hybrid", "multi_task", "plans", 0, "kind"))
            case("recommendation: reuse rate 1.5", rec, multitask,
                 put(1.5, "multi_task", "plans", 0, "parameter_reuse_rate"))
            case("recommendation: an accepted plan with null cost", rec, multitask,
                 put(True, "multi_task", "plans", 0, "accepted"), put(None, "multi_task", "plans", 0, "rejection"),
                 put(None, "multi_task", "plans", 0, "cost_per_year_usd"))
        if docs.get("recommendation_explain") and docs["recommendation_explain"].get("nearest_miss_by_reason"):
            reason = sorted(docs["recommendation_explain"]["nearest_miss_by_reason"])[0]
            case("recommendation: nearest miss without rejected", "recommendation.schema.json",
                 docs["recommendation_explain"], put(None, "nearest_miss_by_reason", reason, "rejected"))
        comparison = docs.get("comparison")
        if comparison:
            case("comparison: no differences", "comparison.schema.json", comparison, drop("differences"))
            case("comparison: quality 2", "comparison.schema.json", comparison, put(2, "candidates", 0, "quality"))
            case("comparison: a candidate with a rank", "comparison.schema.json", comparison,
                 put(1, "candidates", 0, "rank"))
            case("comparison: delta without delta_pct", "comparison.schema.json", comparison,
                 drop("differences", 0, "total_usd", "delta_pct"))
        deployment = docs.get("deployment")
        if deployment:
            case("deployment: no settings", "deployment.schema.json", deployment, drop("settings"))
            case("deployment: target helm", "deployment.schema.json", deployment, put("helm", "target"))
            case("deployment: flag without a dash", "deployment.schema.json", deployment, put("ngl", "flags", 0, "flag"))
            case("deployment: replicas 0", "deployment.schema.json", deployment, put(0, "settings", "replicas"))
        tco = docs.get("tco")
        if tco:
            case("tco: no total_usd", "tco.schema.json", tco, drop("total_usd"))
            case("tco: years \"3\"", "tco.schema.json", tco, put("3", "years"))
            case("tco: ownership leased", "tco.schema.json", tco, put("leased", "ownership"))
            case("tco: weights.alpha 1.5", "tco.schema.json", tco, put(1.5, "weights", "alpha"))
            case("tco: no inputs", "tco.schema.json", tco, drop("inputs"))
            case("tco: no warnings", "tco.schema.json", tco, drop("warnings"))
            case("tco: claimed false", "tco.schema.json", tco, put(False, "claimed"))
            uncosted = {k: tco[k] for k in ("schema_version", "kind", "scenario", "candidate", "replicas", "ownership",
                                            "years", "accuracy")}
            uncosted.update(meets_constraints=False, warnings=[],
                            constraint_misses=[{"check": "memory", "limit": 21.6, "value": 23.1, "unit": "GiB",
                                                "detail": "needs memory per GPU <= 21.6 GiB, has 23.1 GiB"}],
                            cost=None, rejected={"reason": "memory", "detail": "needs memory per GPU <= 21.6 GiB"})
            self.expect_valid("tco.schema.json: an uncosted Tco (built by hand)", "tco.schema.json", uncosted)
            case("tco: uncosted with a total_usd", "tco.schema.json", uncosted, put(1.0, "total_usd"))

        # Batch documents: the real ones when the binary has batch, else built from real outputs.
        batch_docs = batch_docs or {}
        result = batch_docs.get("result")
        if result is None and recommendation:
            result = {"schema_version": "1.11", "kind": "BatchResult", "line": 1, "id": recommendation["scenario"]["id"],
                      "status": "ok", "result": recommendation}
            self.expect_valid("batch-result.schema.json: an ok BatchResult (built by hand)", "batch-result.schema.json",
                              result)
        invalid = batch_docs.get("invalid")
        if invalid is None:
            invalid = {"schema_version": "1.11", "kind": "BatchResult", "line": 3, "id": None, "status": "invalid",
                       "error": {"exit_code": 65, "message": "items.jsonl:3: /: malformed JSON"}}
            self.expect_valid("batch-result.schema.json: an invalid BatchResult (built by hand)",
                              "batch-result.schema.json", invalid)
        summary = batch_docs.get("summary")
        if summary is None:
            summary = {"schema_version": "1.11", "kind": "BatchSummary", "items": 3, "ok": 1, "unsatisfiable": 1,
                       "invalid": 1}
            self.expect_valid("batch-summary.schema.json: a BatchSummary (built by hand)", "batch-summary.schema.json",
                              summary)
        if result:
            case("batch-result: no line", "batch-result.schema.json", result, drop("line"))
            case("batch-result: line 0", "batch-result.schema.json", result, put(0, "line"))
            case("batch-result: status done", "batch-result.schema.json", result, put("done", "status"))
            case("batch-result: ok with an error", "batch-result.schema.json", result,
                 put({"exit_code": 65, "message": "x"}, "error"))
            case("batch-result: result of kind Tco", "batch-result.schema.json", result, put("Tco", "result", "kind"))
            case("batch-result: ok with nothing recommended", "batch-result.schema.json", result,
                 put([], "result", "recommendations") if result["result"]["kind"] == "Recommendation"
                 else put("unsatisfiable", "status"))
        case("batch-result: invalid without error", "batch-result.schema.json", invalid, drop("error"))
        case("batch-result: id 7", "batch-result.schema.json", invalid, put(7, "id"))
        case("batch-summary: no invalid", "batch-summary.schema.json", summary, drop("invalid"))
        case("batch-summary: ok -1", "batch-summary.schema.json", summary, put(-1, "ok"))
        case("batch-summary: kind BatchResult", "batch-summary.schema.json", summary, put("BatchResult", "kind"))
        error = invalid["error"]
        case("error: no message", "error.schema.json", error, drop("message"))
        case("error: exit_code \"65\"", "error.schema.json", error, put("65", "exit_code"))
        case("error: exit_code 3", "error.schema.json", error, put(3, "exit_code"))
        case("error: extra key", "error.schema.json", error, put("x", "hint"))

        for label, schema, base, edits, definition in cases:
            try:
                broken = mutate(base, *edits)
            except (KeyError, IndexError, TypeError) as failure:
                self.fail("negative " + label, "cannot build the mutation: {!r}".format(failure))
                continue
            self.expect_invalid("negative " + label, schema, broken, definition)
        tested = {schema for _, schema, _, _, _ in cases}
        untested = sorted(set(self.schemas) - tested)
        self.check("negative checks cover every schema", not untested, "none for " + ", ".join(untested))


def collect_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from collect_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from collect_refs(value)


def main():
    if len(sys.argv) != 3:
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    binary, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    checker = Checker(binary, source_dir)
    if checker.load_schemas():
        checker.check_generated()
        checker.check_data()
        if checker.check("binary exists: " + binary, os.access(binary, os.X_OK)):
            docs = checker.check_commands()
            batch_docs = None
            if checker.has_batch():
                batch_docs = checker.check_batch(docs.get("scenarios"))
            else:
                print("SKIP batch: `dsselect --help` lists no batch subcommand")
            checker.check_negatives(docs, batch_docs)
    print("{} passed, {} failed".format(checker.passed, checker.failed))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
