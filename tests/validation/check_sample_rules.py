#!/usr/bin/env python3
"""Checks the harness's row rules on a small CSV written here (bench/validate/sample.hpp):
one row per measurement, no copy of a measurement recorded under conflicting layouts, no row
needing more GPUs than one node of its system, no row whose client concurrency is not its batch,
no row of a run that may have used speculative decoding or whose server flags are not reproduced;
the report's entries for those runs; server settings keyed by system, image and measured day, and
expert parallelism turned on by one whatever the row's label;
the TPOT each TTFT protocol compares; the measured prefill load at the client's mean lengths,
whatever the protocol; the experts' weight format taken from the catalog's
checkpoint, not the row's label; and the study switches --eager-blocking-share and
--sequence-host-us. Fails (never skips) when the harness cannot run.

Usage: check_sample_rules.py DSSELECT_VALIDATE SOURCE_DIR
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

HEADER = ["id", "silicon_data_source", "backend", "backend_version", "model_path", "system", "precision",
          "mode", "isl", "osl", "gemm_quant_mode", "moe_quant_mode", "batch_size", "tp_size", "pp_size",
          "attention_dp_size", "moe_tp_size", "moe_ep_size", "silicon_ttft_ms", "silicon_tpot_ms"]


def row(name, model, batch, tp, moe_tp, moe_ep, ttft, tpot, system="h200_sxm", source="source_file=2026-test.csv"):
    return {"id": name, "silicon_data_source": source, "backend": "trtllm", "backend_version": "1",
            "model_path": model, "system": system, "precision": "fp8", "mode": "agg", "isl": "1024",
            "osl": "1024", "gemm_quant_mode": "fp8", "moe_quant_mode": "fp8", "batch_size": str(batch),
            "tp_size": str(tp), "pp_size": "1", "attention_dp_size": "1", "moe_tp_size": str(moe_tp),
            "moe_ep_size": str(moe_ep), "silicon_ttft_ms": ttft, "silicon_tpot_ms": tpot}


ROWS = [
    # One measurement under two model names, same layout: kept once (the first).
    row("a1", "deepseek-ai/DeepSeek-R1", 8, 8, 8, 1, "200.5", "10.25"),
    row("a2", "deepseek-ai/DeepSeek-V3", 8, 8, 8, 1, "200.5", "10.25"),
    # The same measurement written with another last digit (as the sample does): a repeat too.
    row("a3", "deepseek-ai/DeepSeek-V3", 8, 8, 8, 1, "200.500000000001", "10.2500000000001"),
    # One measurement under two layouts: no copy kept.
    row("b1", "deepseek-ai/DeepSeek-V3", 4, 8, 1, 8, "300.5", "12.5"),
    row("b2", "deepseek-ai/DeepSeek-V3", 4, 64, 8, 8, "300.5", "12.5"),
    # More GPUs than one node (8 on h200_sxm), no copy elsewhere: left out.
    row("c1", "deepseek-ai/DeepSeek-V3", 16, 16, 16, 1, "400.5", "20.5"),
    # A plain single-node row: modelled.
    row("d1", "meta-llama/Llama-3.1-70B-Instruct", 16, 8, 8, 1, "150.5", "15.5"),
    # Same figures on another system: a different measurement, modelled.
    row("d2", "meta-llama/Llama-3.1-70B-Instruct", 16, 8, 8, 1, "150.5", "15.5", system="b200_sxm"),
]

EXPECTED_SKIPPED = {
    "repeated measurement (same layout; the first copy is kept)": 2,
    "one measurement recorded under conflicting parallel layouts or batch sizes (no copy kept)": 2,
    "tp_size above one node of the system (the sample's multi-node layouts are unreliable)": 1,
}


def fail(message):
    print(f"FAIL: {message}")
    print("0 passed, 1 failed")
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: check_sample_rules.py DSSELECT_VALIDATE SOURCE_DIR")
    validate, source = sys.argv[1:]
    catalog = os.path.join(source, "tests", "validation", "catalog.json")
    split = os.path.join(source, "tests", "validation", "split.json")
    protocols = os.path.join(source, "tests", "validation", "protocols.json")

    def harness(rows, protocols_path=protocols, extra=(), catalog_path=catalog):
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "sample.csv")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text.getvalue())
            return subprocess.run([validate, "--csv", path, "--catalog", catalog_path, "--split", split, "--protocols",
                                   protocols_path, "--engine-profiles", "--format", "json", *extra],
                                  capture_output=True, text=True, check=False)

    # A modelled row whose source names no benchmark client of protocols.json: exit 65, naming
    # the file, the JSON path and the CSV line (the TTFT protocol simulates the row's client).
    unknown = harness([row("u1", "meta-llama/Llama-3.1-70B-Instruct", 16, 8, 8, 1, "150.5", "15.5",
                           source="a lab notebook")])
    if not (unknown.returncode == 65 and "protocols.json: /protocols" in unknown.stderr and "line 2" in unknown.stderr):
        fail(f"a row of no known benchmark client: expected exit 65 naming protocols.json, /protocols and line 2, "
             f"got {unknown.returncode}: {unknown.stderr.strip()}")
    def shipped_protocols():
        with open(protocols) as handle:
            return json.load(handle)

    def harness_with_protocols(document, rows):
        """The harness on `rows` with `document` written to a temporary protocols file."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(document, handle)
        try:
            return harness(rows, protocols_path=handle.name)
        finally:
            os.unlink(handle.name)

    # A protocols file two of whose clients match one row is ambiguous: exit 65 naming both ids.
    doubled = shipped_protocols()
    extra = dict(doubled["protocols"][-1])
    extra["id"] = "second-client"
    doubled["protocols"].append(extra)
    ambiguous = harness_with_protocols(doubled, ROWS[-1:])
    if not (ambiguous.returncode == 65 and "second-client" in ambiguous.stderr and extra["source_contains"] and
            "both match" in ambiguous.stderr):
        fail(f"a row two protocols match: expected exit 65 naming both, got {ambiguous.returncode}: "
             f"{ambiguous.stderr.strip()}")
    # A server setting with a key the harness does not know (TensorRT-LLM's own max_num_tokens for
    # max_num_batched_tokens, say), or a ratio above 1: exit 65 naming the JSON path.
    for bad, pointer in (({"max_num_tokens": 16384}, "/server_settings/0/max_num_tokens"),
                         ({"batch_wait_max_tokens_ratio": 1.5}, "/server_settings/0/batch_wait_max_tokens_ratio")):
        broken = shipped_protocols()
        broken["protocols"][0]["server_settings"] = [
            {"model": "llama-3.1-70b", "backend": "trtllm", "source": "a test", **bad}]
        rejected = harness_with_protocols(broken, ROWS[-1:])
        if not (rejected.returncode == 65 and f"/protocols/0{pointer}" in rejected.stderr):
            fail(f"server setting {bad}: expected exit 65 naming /protocols/0{pointer}, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    # max_num_batched_tokens_headroom: the budget is the row's batch_size + isl + headroom, for every
    # model of the family when "model" is absent (the shipped TensorRT-LLM entry of aiconfigurator's
    # rows); it times a row exactly as the same budget given as max_num_batched_tokens, differs from
    # the engine default and from a budget without the batch term, and is refused beside
    # max_num_batched_tokens.
    aic_row = row("h1", "meta-llama/Llama-3.1-70B-Instruct", 128, 8, 8, 1, "150.5", "15.5",
                  source="source_file=/x/aic-auto-gap-analysis/data/h200_sxm/trtllm/1/m.csv")

    def with_aic_settings(settings):
        document = shipped_protocols()
        document["protocols"][0]["server_settings"] = settings
        result = harness_with_protocols(document, [aic_row])
        if result.returncode != 0:
            fail(f"server settings {settings}: the harness exited {result.returncode}: {result.stderr.strip()}")
        report = json.loads(result.stdout)
        ttft = [r["predicted_ttft_ms"] for r in report["rows"] if r["status"] == "ok"]
        if len(ttft) != 1:
            fail(f"server settings {settings}: expected one timed row, got {len(ttft)}")
        return ttft[0], report["benchmark_protocols"]["protocols"][0]["server_settings"]
    shipped_aic = shipped_protocols()["protocols"][0]["server_settings"]
    headroom = next((s for s in shipped_aic if "max_num_batched_tokens_headroom" in s and "model" not in s), None)
    if headroom is None or headroom["backend"] != "trtllm":
        fail("protocols.json: expected the aiconfigurator family's TensorRT-LLM entry with a headroom and no model")
    budget = 128 + 1024 + headroom["max_num_batched_tokens_headroom"]

    def with_budget(tokens):
        return with_aic_settings([{"model": "llama-3.1-70b", "backend": "trtllm", "source": "a test",
                                   "max_num_batched_tokens": tokens}])[0]
    by_headroom, reported = with_aic_settings([headroom])
    by_budget = with_budget(budget)
    by_no_batch = with_budget(budget - 128)
    by_default, _ = with_aic_settings([])
    if not (abs(by_headroom - by_budget) < 1e-9 and abs(by_headroom - by_default) > 1e-6 and
            abs(by_headroom - by_no_batch) > 1e-6):
        fail(f"headroom: expected the TTFT of a {budget}-token budget ({by_budget}), not the default's "
             f"({by_default}) nor that of a budget without the batch ({by_no_batch}), got {by_headroom}")
    if not (len(reported) == 1 and reported[0].get("rows") == 1 and "model" not in reported[0] and
            reported[0].get("max_num_batched_tokens_headroom") == headroom["max_num_batched_tokens_headroom"]):
        fail(f"headroom: the report's server setting should match one row and name no model: {reported}")
    # max_num_batched_tokens_isl_multiple: k x the row's ISL, timed as the same budget given outright;
    # cuda_graph_max_tokens above every step's tokens runs the prompt steps in CUDA graphs, which
    # TensorRT-LLM's profile runs eagerly (0: every prompt step), so a shorter TTFT; a
    # gpu_memory_utilization too small for the weights makes the row not fit.
    def one_setting(**setting):
        return [{"model": "llama-3.1-70b", "backend": "trtllm", "source": "a test", **setting}]
    by_multiple = with_aic_settings(one_setting(max_num_batched_tokens_isl_multiple=2))[0]
    if not (abs(by_multiple - with_budget(2 * 1024)) < 1e-9 and abs(by_multiple - by_default) > 1e-6):
        fail(f"isl multiple: expected the TTFT of a {2 * 1024}-token budget ({with_budget(2 * 1024)}), not the "
             f"default's ({by_default}), got {by_multiple}")
    by_graphs = with_aic_settings(one_setting(cuda_graph_max_tokens=1_000_000))[0]
    if not by_graphs < by_default - 1e-6:
        fail(f"cuda_graph_max_tokens 1000000: expected prompt steps in graphs, a TTFT below the default's "
             f"{by_default}, got {by_graphs}")
    small = shipped_protocols()
    small["protocols"][0]["server_settings"] = one_setting(gpu_memory_utilization=0.05)
    small_run = harness_with_protocols(small, [aic_row])
    statuses = [r["status"] for r in json.loads(small_run.stdout)["rows"]] if small_run.returncode == 0 else []
    if statuses != ["does_not_fit"]:
        fail(f"gpu_memory_utilization 0.05: expected the row not to fit, got {small_run.returncode}: "
             f"{statuses or small_run.stderr.strip()}")
    both = shipped_protocols()
    both["protocols"][0]["server_settings"] = [dict(headroom, max_num_batched_tokens=4096)]
    rejected = harness_with_protocols(both, [aic_row])
    if not (rejected.returncode == 65 and
            "/protocols/0/server_settings/0/max_num_batched_tokens_headroom" in rejected.stderr):
        fail(f"headroom beside max_num_batched_tokens: expected exit 65 naming the headroom's path, got "
             f"{rejected.returncode}: {rejected.stderr.strip()}")
    # Speculative decoding (protocols.json speculative_decoding_runs): a DeepSeek-R1 row of an image
    # that ran with MTP from a day on is left out from that day (a time after the day, a day alone, or
    # no readable day at all), kept before it, on another system and for another image whose name
    # merely starts the same; a malformed entry is exit 65 naming its JSON path.
    mtp_image = "image=nvcr.io#nvidia/tensorrt-llm/release:1.2.0rc6.post3"
    cases = (("b200_sxm", f"measured=2026-02-05T19:55:05Z; {mtp_image}", False),
             ("b200_sxm", f"measured=2026-03-01; {mtp_image}", False),
             ("b200_sxm", f"{mtp_image}", False),
             ("b200_sxm", f"measured=unknown; {mtp_image}", False),
             ("b200_sxm", f"measured=2026-02-04T23:59:59Z; {mtp_image}", True),
             ("h200_sxm", f"measured=2026-02-05T19:55:05Z; {mtp_image}", True),
             ("b200_sxm", f"measured=2026-02-05T19:55:05Z; {mtp_image}0", True))
    mtp_rows = [row(f"m{i}", "deepseek-ai/DeepSeek-R1", 8, 8, 8, 1, f"{200 + i}.5", "10.25", system=system,
                    source=f"source_file=2026-test.csv; {text}") for i, (system, text, _) in enumerate(cases)]
    mtp_run = harness(mtp_rows)
    if mtp_run.returncode != 0:
        fail(f"the harness on speculative-decoding rows exited {mtp_run.returncode}: {mtp_run.stderr.strip()}")
    mtp_report = json.loads(mtp_run.stdout)
    mtp_skipped = {reason: count for reason, count in mtp_report["skipped"].items() if "speculative decoding" in reason}
    expected_out = sum(1 for _, _, kept in cases if not kept)
    if list(mtp_skipped.values()) != [expected_out] or "1.2.0rc6.post3" not in next(iter(mtp_skipped)):
        fail(f"speculative-decoding rows: expected {expected_out} left out under the 1.2.0rc6.post3 run, got {mtp_skipped}")
    # The report names each run by the same reason its rows are skipped under
    # (benchmark_protocols.protocols[].speculative_decoding_runs[].skip_reason), with its keys.
    runs = [run for protocol in mtp_report["benchmark_protocols"]["protocols"]
            for run in protocol["speculative_decoding_runs"]]
    run_keys = {"model_paths", "system", "backend", "precision", "image", "measured_from", "skip_reason", "source"}
    if not runs or any(set(run) != run_keys for run in runs):
        fail(f"speculative_decoding_runs in the report: expected entries with keys {sorted(run_keys)}, got {runs}")
    matching = [run for run in runs if run["skip_reason"] in mtp_skipped]
    if len(matching) != 1 or matching[0]["image"] != "tensorrt-llm/release:1.2.0rc6.post3":
        fail(f"speculative_decoding_runs in the report: expected one entry whose skip_reason is {list(mtp_skipped)}, "
             f"got {[run['skip_reason'] for run in runs]}")
    expected_lines = [i + 2 for i, (_, _, kept) in enumerate(cases) if kept]
    if sorted(r["line"] for r in mtp_report["rows"]) != expected_lines:
        fail(f"speculative-decoding rows: expected lines {expected_lines} modelled, got "
             f"{sorted(r['line'] for r in mtp_report['rows'])}")
    # A measurement is one whatever copy the CSV writes: a copy that names no image (another model
    # name, as the sample's db-dump rows do) goes with the copy of the run, in either order.
    for order in ((0, 1), (1, 0)):
        copies = [row("c-mtp", "deepseek-ai/DeepSeek-R1", 8, 8, 8, 1, "300.5", "9.5", system="b200_sxm",
                      source=f"source_file=2026-test.csv; measured=2026-02-05; {mtp_image}"),
                  row("c-plain", "deepseek-ai/DeepSeek-V3", 8, 8, 8, 1, "300.5", "9.5", system="b200_sxm",
                      source="db-dump/2026-test; measured=2026-02-05")]
        copy_run = harness([copies[k] for k in order])
        copy_report = json.loads(copy_run.stdout) if copy_run.returncode == 0 else None
        if copy_report is None or copy_report["rows"] or sum(
                count for reason, count in copy_report["skipped"].items() if "speculative decoding" in reason) != 2:
            fail(f"copies of a speculative-decoding measurement in order {order}: expected both left out under its "
                 f"reason, got {copy_run.returncode}: {copy_report['skipped'] if copy_report else copy_run.stderr}")
    for bad, pointer in ((("measured_from", "2026-2-5"), "/measured_from"), (("measured_from", "2026-13-05"), "/measured_from"),
                         (("images", "x"), "/images"), (("precision", "fp4"), "/precision"), (("backend", "trt"), "/backend"),
                         (("model_paths", []), "/model_paths"), (("model_paths", ["x", ""]), "/model_paths/1")):
        broken = shipped_protocols()
        entry = dict(broken["protocols"][1]["speculative_decoding_runs"][0])
        entry[bad[0]] = bad[1]
        broken["protocols"][1]["speculative_decoding_runs"] = [entry]
        rejected = harness_with_protocols(broken, ROWS[-1:])
        full = f"/protocols/1/speculative_decoding_runs/0{pointer}"
        if not (rejected.returncode == 65 and full in rejected.stderr):
            fail(f"speculative-decoding entry {bad}: expected exit 65 naming {full}, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    # Runs whose flags are not reproduced (protocols.json unreproduced_runs) are left out like
    # speculative ones, within measured_from .. measured_to; server settings keyed by system, image
    # and measured day apply only to their runs (a row with no readable day matches no dated one),
    # and expert_parallel splits the experts over every GPU of the row whatever its label says.
    def minimax_row(name, system, tp, moe_tp, moe_ep, ttft, source):
        r = row(name, "MiniMaxAI/MiniMax-M2.5", 8, tp, moe_tp, moe_ep, ttft, "12.5", system=system,
                source=f"source_file=2026-test.csv; {source}")
        r["backend"] = "vllm"
        return r
    flag_cases = (  # name, system, tp, moe_tp, moe_ep, source; expected experts' split (None: left out)
        ("u1", "h100_sxm", 4, 1, 4, "measured=2026-03-27T07:59:49Z; image=vllm/vllm-openai:v0.18.0", None),
        ("u2", "h100_sxm", 4, 1, 4, "measured=2026-03-26; image=vllm/vllm-openai:v0.18.0", 4),
        ("u3", "b200_sxm", 2, 2, 1, "measured=2026-04-03T02:34:55Z; image=vllm/vllm-openai:v0.19.0-cu130", None),
        ("u4", "b200_sxm", 2, 2, 1, "measured=2026-04-04; image=vllm/vllm-openai:v0.19.0-cu130", 1),
        ("u5", "h200_sxm", 8, 8, 1, "measured=2026-03-28; vllm/vllm-openai:v0.18.0", 8),
        ("u6", "h200_sxm", 4, 4, 1, "measured=2026-03-01; vllm/vllm-openai:v0.16.0", 1),
        ("u7", "h200_sxm", 8, 8, 1, "vllm/vllm-openai:v0.18.0", 1),
        ("u8", "b200_sxm", 2, 2, 1, "measured=2026-03-11T18:39:31Z; image=vllm/vllm-openai:v0.17.0-cu130", 2))
    flag_rows = [minimax_row(name, system, tp, moe_tp, moe_ep, f"{400 + i}.5", source)
                 for i, (name, system, tp, moe_tp, moe_ep, source, _) in enumerate(flag_cases)]
    flag_run = harness(flag_rows)
    if flag_run.returncode != 0:
        fail(f"the harness on MiniMax-M2.5 rows exited {flag_run.returncode}: {flag_run.stderr.strip()}")
    flag_report = json.loads(flag_run.stdout)
    unreproduced = {reason: count for reason, count in flag_report["skipped"].items() if "not reproduced" in reason}
    split_by_line = {r["line"]: r["expert_parallel_size"] for r in flag_report["rows"]}
    expected_split = {i + 2: experts for i, (*_, experts) in enumerate(flag_cases) if experts is not None}
    if sorted(unreproduced.values()) != [1, 1] or split_by_line != expected_split:
        fail(f"unreproduced runs and expert-parallel settings: expected two runs left out one row each and the "
             f"experts split {expected_split} by line, got {unreproduced} and {split_by_line}")
    minimax_settings = [setting["rows"] for protocol in flag_report["benchmark_protocols"]["protocols"]
                        for setting in protocol["server_settings"] if setting.get("model") == "minimax-m2.5"]
    if minimax_settings != [1, 1, 1, 1]:
        fail(f"MiniMax-M2.5 server settings: expected each to match one row (u6, u5, u8, u4), got {minimax_settings}")
    unreproduced_runs = [run for protocol in flag_report["benchmark_protocols"]["protocols"]
                         for run in protocol["unreproduced_runs"]]
    unreproduced_keys = {"model_paths", "system", "backend", "precision", "image", "measured_from", "flags",
                         "skip_reason", "source"}
    if not unreproduced_runs or any(set(run) - {"measured_to"} != unreproduced_keys or run["skip_reason"] not in
                                    flag_report["skipped"] for run in unreproduced_runs):
        fail(f"unreproduced_runs in the report: expected entries with keys {sorted(unreproduced_keys)} (and "
             f"measured_to where given), each named by its skip reason, got {unreproduced_runs}")
    # The --dump CSV carries the same split per row.
    with tempfile.TemporaryDirectory() as folder:
        dumped = os.path.join(folder, "rows.csv")
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flag_rows)
        sample = os.path.join(folder, "sample.csv")
        with open(sample, "w", encoding="utf-8") as handle:
            handle.write(text.getvalue())
        dump_run = subprocess.run([validate, "--csv", sample, "--catalog", catalog, "--split", split, "--protocols",
                                   protocols, "--engine-profiles", "--format", "json", "--dump", dumped],
                                  capture_output=True, text=True, check=False)
        with open(dumped, encoding="utf-8") as handle:
            dumped_split = {int(r["line"]): int(r["expert_parallel_size"]) for r in csv.DictReader(handle)} \
                if dump_run.returncode == 0 else {}
    if dumped_split != expected_split:
        fail(f"--dump expert_parallel_size: expected {expected_split}, got {dumped_split or dump_run.stderr.strip()}")
    inferencemax = next(k for k, protocol in enumerate(shipped_protocols()["protocols"]) if protocol["id"] == "inferencemax")
    # expert_parallel false splits every expert's columns whatever the label (u2's tp 4 / ep 4).
    columns = shipped_protocols()
    columns["protocols"][inferencemax]["server_settings"] = [
        {"model": "minimax-m2.5", "backend": "vllm", "system": "h100_sxm", "expert_parallel": False, "source": "test"}]
    columns_run = harness_with_protocols(columns, [flag_rows[1]])
    columns_rows = json.loads(columns_run.stdout)["rows"] if columns_run.returncode == 0 else []
    if [r["expert_parallel_size"] for r in columns_rows] != [1]:
        fail(f"expert_parallel false: expected the experts split by columns (1), got {columns_run.returncode}: "
             f"{columns_rows or columns_run.stderr.strip()}")
    setting_problems = (({"max_num_batched_tokens": 4096}, "/max_num_batched_tokens_isl_multiple"),
                        ({"measured_from": "2026-04-05"}, "/measured_to"),
                        ({"measured_to": "2026-4-5"}, "/measured_to"),
                        ({"expert_parallel": "yes"}, "/expert_parallel"),
                        ({"gpu_memory_utilization": 1.5}, "/gpu_memory_utilization"),
                        ({"cuda_graph_max_tokens": 0}, "/cuda_graph_max_tokens"))
    for change, pointer in setting_problems:
        broken = shipped_protocols()
        entry = dict(broken["protocols"][inferencemax]["server_settings"][-1], measured_to="2026-04-04")
        if "measured_to" in change:
            entry.pop("measured_from", None)
        entry.update(change)
        broken["protocols"][inferencemax]["server_settings"] = [entry]
        rejected = harness_with_protocols(broken, ROWS[-1:])
        full = f"/protocols/{inferencemax}/server_settings/0{pointer}"
        if not (rejected.returncode == 65 and full in rejected.stderr):
            fail(f"server setting {change}: expected exit 65 naming {full}, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    for key, change, pointer in (("unreproduced_runs", {"flags": None}, "/flags"),
                                 ("unreproduced_runs", {"measured_to": "2026-01-01"}, "/measured_to"),
                                 ("unreproduced_runs", {"flag": "x"}, "/flag"),
                                 ("speculative_decoding_runs", {"flags": "x"}, "/flags")):
        broken = shipped_protocols()
        entry = dict(broken["protocols"][inferencemax][key][0])
        for name, value in change.items():
            if value is None:
                entry.pop(name, None)
            else:
                entry[name] = value
        broken["protocols"][inferencemax][key] = [entry]
        rejected = harness_with_protocols(broken, ROWS[-1:])
        full = f"/protocols/{inferencemax}/{key}/0{pointer}"
        if not (rejected.returncode == 65 and full in rejected.stderr):
            fail(f"{key} entry {change}: expected exit 65 naming {full}, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    not_a_list = shipped_protocols()
    not_a_list["protocols"][inferencemax]["unreproduced_runs"] = {"system": "h100_sxm"}
    rejected = harness_with_protocols(not_a_list, ROWS[-1:])
    if not (rejected.returncode == 65 and f"/protocols/{inferencemax}/unreproduced_runs" in rejected.stderr and
            "an array of unreproduced-run entries" in rejected.stderr):
        fail(f"unreproduced_runs not an array: expected exit 65 naming its path, got {rejected.returncode}: "
             f"{rejected.stderr.strip()}")
    # A client concurrency other than batch_size (silicon_concurrency in the source), or one that is
    # not a count: left out; equal (spaces aside), or not recorded: modelled.
    concurrency_rows = [row(f"k{i}", "meta-llama/Llama-3.1-70B-Instruct", 8, 8, 8, 1, f"{150 + i}.5", "15.5",
                            source=f"source_file=2026-test.csv; {c}")
                        for i, c in enumerate(("silicon_concurrency=16", "silicon_concurrency=8", "no count",
                                               "silicon_concurrency= 8", "silicon_concurrency=99999999999999999999",
                                               "silicon_concurrency=8x"))]
    concurrency_run = harness(concurrency_rows)
    if concurrency_run.returncode != 0:
        fail(f"the harness on concurrency rows exited {concurrency_run.returncode}: {concurrency_run.stderr.strip()}")
    concurrency_report = json.loads(concurrency_run.stdout)
    left_out = {reason: count for reason, count in concurrency_report["skipped"].items() if "silicon_concurrency" in reason}
    if list(left_out.values()) != [3] or sorted(r["line"] for r in concurrency_report["rows"]) != [3, 4, 5]:
        fail(f"concurrency rows: expected lines 2, 6 and 7 left out and lines 3 to 5 modelled, got {left_out} and "
             f"{sorted(r['line'] for r in concurrency_report['rows'])}")
    # The experts' weight format is the checkpoint's (checkpoint_fp8_weight_scales: block for
    # DeepSeek-V3 and, in tests/validation/catalog.json, Qwen3-235B-A22B), as the estimator chooses it:
    # the row's moe_quant_mode label changes nothing, and a catalog without the key (per-tensor
    # scales) times the same row differently.
    def timed_figures(rows, catalog_path=catalog):
        result = harness(rows, catalog_path=catalog_path)
        if result.returncode != 0:
            fail(f"the harness on a DeepSeek-V3 row exited {result.returncode}: {result.stderr.strip()}")
        timed_rows = [r for r in json.loads(result.stdout)["rows"] if r["status"] == "ok"]
        if len(timed_rows) != 1:
            fail(f"expected one timed DeepSeek-V3 row, got {len(timed_rows)}")
        return timed_rows[0]["predicted_ttft_ms"], timed_rows[0]["predicted_tpot_ms"]
    format_row = row("f1", "deepseek-ai/DeepSeek-V3", 32, 8, 8, 1, "900.5", "20.5")
    labelled = {}
    for label in ("fp8", "fp8_block"):
        labelled[label] = timed_figures([dict(format_row, moe_quant_mode=label)])
    # deepseek-v3 is block-scaled in the built-in catalog (data/open-models.json), which the
    # validation catalog overlays field by field; this copy of it says per-tensor instead.
    with open(catalog, encoding="utf-8") as handle:
        per_tensor_catalog = json.load(handle)
    qwen = next((m for m in per_tensor_catalog["models"] if m["id"] == "qwen3-235b-a22b"), {})
    if qwen.get("checkpoint_fp8_weight_scales") != "block":
        fail("tests/validation/catalog.json: qwen3-235b-a22b must record its block-scaled FP8 checkpoint "
             "(Qwen/Qwen3-235B-A22B-FP8, the one every row of it loaded)")
    deepseek = next(m for m in per_tensor_catalog["models"] if m["id"] == "deepseek-v3")
    deepseek["checkpoint_fp8_weight_scales"] = "tensor"
    deepseek.setdefault("sources", {})["checkpoint_fp8_weight_scales"] = "a test: per-tensor scales"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(per_tensor_catalog, handle)
    try:
        per_tensor = timed_figures([format_row], catalog_path=handle.name)
    finally:
        os.unlink(handle.name)
    if labelled["fp8"] != labelled["fp8_block"] or per_tensor == labelled["fp8"]:
        fail(f"the experts' format must follow the catalog's checkpoint, not the row's label: by label "
             f"{labelled}, per-tensor catalog {per_tensor}")
    run = harness(ROWS)
    if run.returncode != 0:
        fail(f"the harness exited {run.returncode}: {run.stderr.strip()}")
    report = json.loads(run.stdout)
    skipped = {reason: count for reason, count in report["skipped"].items() if reason in EXPECTED_SKIPPED}
    if skipped != EXPECTED_SKIPPED:
        fail(f"skipped {skipped}, expected {EXPECTED_SKIPPED}")
    if report["rows_read"] != len(ROWS):
        fail(f"rows_read {report['rows_read']}, expected {len(ROWS)}")
    lines = sorted(r["line"] for r in report["rows"])
    # CSV line numbers: header is line 1; a1 is 2, d1 is 8, d2 is 9.
    if lines != [2, 8, 9]:
        fail(f"modelled lines {lines}, expected [2, 8, 9] (a1 once, d1, d2)")
    # Under the benchmark protocol the TPOT compared is the simulated client's (the --dump column
    # simulated_tpot_ms); the product's formula is reported beside it. Under another protocol the
    # TPOT compared is the formula's.
    with tempfile.TemporaryDirectory() as folder:
        dump = os.path.join(folder, "rows.csv")
        if harness(ROWS, extra=("--dump", dump)).returncode != 0:
            fail("the harness with --dump failed")
        with open(dump, encoding="utf-8", newline="") as handle:
            timed = [r for r in csv.DictReader(handle) if r["ok"] == "1"]
        alone_dump = os.path.join(folder, "alone.csv")
        if harness(ROWS, extra=("--dump", alone_dump, "--ttft-protocol", "alone")).returncode != 0:
            fail("the harness with --ttft-protocol alone failed")
        with open(alone_dump, encoding="utf-8", newline="") as handle:
            alone = [r for r in csv.DictReader(handle) if r["ok"] == "1"]
    if not timed or any(r["predicted_tpot_ms"] != r["simulated_tpot_ms"] for r in timed):
        fail("under the benchmark protocol the compared TPOT must be the simulated client's")
    if any(float(r["formula_tpot_ms"]) <= 0 for r in timed) or all(
            abs(float(r["formula_tpot_ms"]) - float(r["predicted_tpot_ms"])) < 1e-9 for r in timed):
        fail("the formula's TPOT must be reported beside the simulated one, and differ from it on these rows")
    formula = {r["line"]: r["formula_tpot_ms"] for r in timed}
    # Capacity (docs/validation.md, 'Capacity'): the measured one is the row's closed loop read by
    # Little's law, B / (TTFT + (O - 1) TPOT); the validated one the same reading of the compared
    # TTFT and TPOT; the product's own is its estimate's qps, not that reading of the formula TPOT.
    def little(r, ttft, tpot):
        return int(r["batch"]) * 1000.0 / (float(r[ttft]) + (int(r["osl"]) - 1) * float(r[tpot]))
    for r in timed:
        for column, ttft, tpot in (("measured_qps", "measured_ttft_ms", "measured_tpot_ms"),
                                   ("predicted_qps", "predicted_ttft_ms", "predicted_tpot_ms")):
            expected = little(r, ttft, tpot)
            if abs(float(r[column]) - expected) > 1e-4 * expected:
                fail(f"line {r['line']}: {column} {r[column]}, expected B / (TTFT + (O - 1) TPOT) = {expected:.5f}")
        if not float(r["formula_qps"]) > 0:
            fail(f"line {r['line']}: the product's capacity formula_qps must be reported ({r['formula_qps']})")
    if all(abs(float(r["formula_qps"]) - float(r["predicted_qps"])) < 1e-9 for r in timed):
        fail("the product's capacity must be its own, not the simulated client's")
    if not alone or any(abs(float(r["predicted_tpot_ms"]) - float(formula[r["line"]])) > 1e-3 for r in alone):
        fail("under the alone protocol the compared TPOT must be the formula's")
    # The prefill load (docs/validation.md, 'Prefill the measurements imply'): the measured rate at
    # the client's mean output length times the estimate's prefill work (compute and communication)
    # scaled by the square of the mean prompt's share of the nominal one. These rows' client
    # (source_file=2026-: InferenceMAX) draws lengths on [floor(f L), L]; the load is the same
    # whatever TTFT protocol predicts the rows.
    client = next(p for p in shipped_protocols()["protocols"]
                  if any(key in row("x", "m", 1, 1, 1, 1, "1", "1")["silicon_data_source"]
                         for key in p["source_contains"]))
    low = client["length_low_fraction"]
    if not low < 1.0:
        fail(f"the check needs a client with drawn lengths; '{client['id']}' has length_low_fraction {low}")

    def mean_length(nominal):
        return (int(low * nominal) + nominal) / 2.0
    loads = {}
    for r in timed:
        ratio = mean_length(int(r["isl"])) / int(r["isl"])
        rate = int(r["batch"]) * 1000.0 / (float(r["measured_ttft_ms"]) +
                                           (mean_length(int(r["osl"])) - 1) * float(r["measured_tpot_ms"]))
        expected = rate * (float(r["prefill_compute_ms"]) + float(r["prefill_comm_ms"])) * ratio * ratio / 1000.0
        loads[r["line"]] = float(r["measured_prefill_load"])
        if not expected > 0 or abs(loads[r["line"]] - expected) > 1e-3 * expected:
            fail(f"line {r['line']}: measured_prefill_load {r['measured_prefill_load']}, expected {expected:.5f}")
    if any(abs(float(r["measured_prefill_load"]) - loads[r["line"]]) > 1e-9 for r in alone):
        fail("the prefill load must not depend on the TTFT protocol")
    # The study switch --eager-blocking-share (docs/validation-study.md section 14): reported in the
    # JSON; at 0 no eager step holds the GPU, so no row's simulated TPOT is longer than at the
    # default 1 and some are shorter; outside 0 to 1, or under a TTFT protocol that simulates no
    # steps, exit 2 naming the flag.
    shares = {}
    for share in ("1", "0"):
        run = harness(ROWS, extra=("--eager-blocking-share", share))
        if run.returncode != 0:
            fail(f"the harness with --eager-blocking-share {share} exited {run.returncode}: {run.stderr.strip()}")
        report_at = json.loads(run.stdout)
        if report_at.get("eager_blocking_share") != float(share):
            fail(f"--eager-blocking-share {share}: the report gives {report_at.get('eager_blocking_share')}")
        shares[share] = {r["line"]: r["predicted_tpot_ms"] for r in report_at["rows"]}
    if shares["0"].keys() != shares["1"].keys() or any(shares["0"][k] > shares["1"][k] + 1e-9 for k in shares["1"]) or \
            not any(shares["0"][k] < shares["1"][k] - 1e-6 for k in shares["1"]):
        fail(f"--eager-blocking-share 0 must shorten some simulated TPOT and lengthen none: {shares}")
    for bad in (("1.5",), ("-0.5",), ("nan",), ("0.5", "--ttft-protocol", "alone")):
        rejected = harness(ROWS, extra=("--eager-blocking-share", *bad))
        if rejected.returncode != 2 or "--eager-blocking-share" not in rejected.stderr:
            fail(f"--eager-blocking-share {bad}: expected exit 2 naming the flag, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    # The study switch --sequence-host-us (docs/validation-study.md section 15): reported in the
    # JSON by backend; it lengthens every simulated step of the named backend's rows (all trtllm
    # here) and no other backend's; a bad value, backend or repeat, or a TTFT protocol that
    # simulates no steps, is exit 2 naming the flag.
    host = {}
    for setting in ((), ("--sequence-host-us", "vllm=50"), ("--sequence-host-us", "trtllm=50")):
        run = harness(ROWS, extra=setting)
        if run.returncode != 0:
            fail(f"the harness with {setting} exited {run.returncode}: {run.stderr.strip()}")
        report_at = json.loads(run.stdout)
        named = {setting[1].split("=")[0]: 50.0} if setting else {}
        if report_at.get("sequence_host_us") != named:
            fail(f"{setting}: the report gives sequence_host_us {report_at.get('sequence_host_us')}, expected {named}")
        host[setting[1] if setting else ""] = {r["line"]: float(r["predicted_tpot_ms"]) for r in report_at["rows"]}
    if not host[""] or host["vllm=50"] != host[""] or \
            any(host["trtllm=50"][k] <= host[""][k] + 1e-6 for k in host[""]):
        fail(f"--sequence-host-us must lengthen every trtllm row's simulated TPOT and leave the rest: {host}")
    # The markdown report names the study and its values; without the switch it says nothing.
    marked = harness(ROWS, extra=("--sequence-host-us", "trtllm=50", "--sequence-host-us", "vllm=2.5",
                                  "--format", "markdown"))
    plain = harness(ROWS, extra=("--format", "markdown"))
    line = "host time per sequence it schedules: trtllm 50 µs, vllm 2.5 µs (--sequence-host-us"
    if marked.returncode != 0 or line not in marked.stdout or plain.returncode != 0 or \
            "--sequence-host-us" in plain.stdout:
        fail(f"--sequence-host-us: the markdown report must name the study and its values only when set: "
             f"{marked.returncode} {plain.returncode} {marked.stdout[:400]!r}")
    # The markdown tables give capacity beside TTFT and TPOT, validated and the product's own.
    if "| capacity MdAPE | capacity mean signed | product capacity MdAPE | product capacity mean signed |" \
            not in plain.stdout:
        fail(f"the markdown tables must carry the capacity columns: {plain.stdout[:600]!r}")
    for bad in (("trtllm=-1",), ("trtllm=nan",), ("trtllm",), ("tgi=5",), ("trtllm=5", "--sequence-host-us", "trtllm=6"),
                ("trtllm=5", "--ttft-protocol", "alone")):
        rejected = harness(ROWS, extra=("--sequence-host-us", *bad))
        if rejected.returncode != 2 or "--sequence-host-us" not in rejected.stderr:
            fail(f"--sequence-host-us {bad}: expected exit 2 naming the flag, got {rejected.returncode}: "
                 f"{rejected.stderr.strip()}")
    print("8 passed, 0 failed")


if __name__ == "__main__":
    main()
