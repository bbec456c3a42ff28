#include "dsselect/select/candidate_spec.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "dsselect/select/topology.hpp"
#include "select/rank.hpp"
#include "select/space.hpp"

namespace dsselect {

namespace {
bool is_id(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}

// The GPU counts a spec allows on this hardware: its own, or every searchable one.
std::vector<std::int64_t> gpu_counts_for(const CandidateSpec& spec, const Hardware& hardware, const Scenario& s) {
    std::vector<std::int64_t> counts;
    if (spec.gpus > 0) {
        if (const std::string problem = gpu_count_problem(hardware, spec.gpus, s.constraints.allow_multi_node);
            !problem.empty()) {
            throw Error(ErrorKind::usage, "candidate GPU count: " + problem);
        }
        counts.push_back(spec.gpus);
        return counts;
    }
    for (std::int64_t gpus : select::k_gpu_counts) {
        if (select::searchable(hardware, gpus, s)) {
            counts.push_back(gpus);
        }
    }
    return counts;
}

std::string spec_text(const CandidateSpec& spec) {
    std::string text = spec.model;
    if (!spec.variant.empty()) {
        text += ":" + spec.variant;
    }
    if (!spec.hardware.empty()) {
        text += "@" + spec.hardware;
    }
    if (spec.gpus > 0) {
        text += "x" + std::to_string(spec.gpus);
    }
    return text;
}

// A configuration that can hold the model at all: it fits in memory and neither the hardware's
// matrix units, the GPU count nor the scenario's allow-lists rule it out. Fill-in ("best
// choice") picks only these. An engine miss stays eligible (after every other miss, its ratio
// is infinite): no other GPU count cures it, and the reason is what the user needs to read.
bool runs(const Candidate& c) {
    if (!c.estimate.memory.fits) {
        return false;
    }
    if (!c.rejection) {
        return true;
    }
    const std::string& reason = c.rejection->reason;
    return reason != "memory" && reason != "precision" && reason != "tensor_parallel" && reason != "not_allowed" &&
           reason != "variant_not_applicable";
}

// Prefer an accepted candidate (best rank first); among rejected ones, those that fit and could
// be costed (they show more), then those that fit, then the nearest miss, then the smaller label.
bool resolves_before(const Candidate& a, const Candidate& b) {
    if (a.accepted() != b.accepted()) {
        return a.accepted();
    }
    if (a.accepted()) {
        return select::ranks_before(a, b);
    }
    if (a.costed != b.costed) {
        return a.costed;
    }
    if (runs(a) != runs(b)) {
        return runs(a);
    }
    if (a.rejection->miss_ratio != b.rejection->miss_ratio) {
        return a.rejection->miss_ratio < b.rejection->miss_ratio;
    }
    return a.label() < b.label();
}
}  // namespace

CandidateSpec parse_candidate(const std::string& text) {
    auto junk = [&text]() {
        return Error(ErrorKind::usage,
                     fmt::format("candidate '{}': expected MODEL[:VARIANT][@HARDWARE[xGPUS]], such as base:int8@a40x2", text));
    };
    CandidateSpec spec;
    const std::size_t at = text.find('@');
    const std::string left = text.substr(0, at);
    const std::size_t colon = left.find(':');
    spec.model = left.substr(0, colon);
    if (colon != std::string::npos) {
        spec.variant = left.substr(colon + 1);
        if (!is_id(spec.variant)) {
            throw junk();
        }
    }
    if (!is_id(spec.model)) {
        throw junk();
    }
    if (at == std::string::npos) {
        return spec;
    }
    spec.hardware = text.substr(at + 1);
    // A trailing "x<digits>" is the GPU count (the last 'x', so "mi300xx8" is mi300x x 8).
    if (const std::size_t x = gpu_count_suffix(spec.hardware); x != std::string::npos) {
        const std::string digits = spec.hardware.substr(x + 1);
        spec.hardware = spec.hardware.substr(0, x);
        if (digits.size() > 4 || std::stoll(digits) < 1) {
            throw Error(ErrorKind::usage, fmt::format("candidate '{}': GPU count must be 1 to 9999, got '{}'", text, digits));
        }
        spec.gpus = std::stoll(digits);
    }
    if (!is_id(spec.hardware)) {
        throw junk();
    }
    return spec;
}

Candidate resolve_candidate(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const CandidateSpec& spec,
                            const SearchOptions& options) {
    const Model& model = catalog.model(spec.model);
    std::vector<const Variant*> variants;
    if (!spec.variant.empty()) {
        variants.push_back(&catalog.variant(spec.variant));
    } else {
        for (const Variant& v : catalog.variants) {
            if (v.applies_to_model(model.id) && select::claim_allowed(s.constraints, v)) {
                variants.push_back(&v);
            }
        }
    }
    std::vector<const Hardware*> hardware;
    if (!spec.hardware.empty()) {
        hardware.push_back(&catalog.hardware_by_id(spec.hardware));
    } else {
        for (const Hardware& h : catalog.hardware) {
            hardware.push_back(&h);
        }
    }
    std::vector<Candidate> judged;
    for (const Variant* variant : variants) {
        for (const Hardware* h : hardware) {
            for (std::int64_t gpus : gpu_counts_for(spec, *h, s)) {
                judged.push_back(evaluate_candidate(catalog, s, rules, model, *variant, *h, gpus, options));
            }
        }
    }
    score_candidates(judged, s, rules, options);
    std::sort(judged.begin(), judged.end(), resolves_before);
    // A fully named candidate is judged as named, fitting or not; a filled-in one must fit.
    const bool filled_in = spec.variant.empty() || spec.hardware.empty() || spec.gpus == 0;
    if (filled_in && (judged.empty() || !runs(judged.front()))) {
        const Candidate* nearest = judged.empty() ? nullptr : &judged.front();
        throw Error(ErrorKind::unsatisfiable,
                    fmt::format("candidate '{}': no configuration to fill in fits in memory and runs ({} tried{})",
                                spec_text(spec), judged.size(),
                                nearest != nullptr && nearest->rejection
                                    ? fmt::format("; the nearest, {}: {}", nearest->label(), nearest->rejection->detail())
                                    : std::string{}),
                    "name the candidate in full (MODEL:VARIANT@HARDWARExGPUS) to judge one configuration anyway, or "
                    "allow larger replicas (--multi-node)");
    }
    return judged.front();
}

std::vector<Candidate> judge_candidates(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                        const std::vector<std::string>& texts, const SearchOptions& options) {
    std::vector<CandidateSpec> specs;
    for (const std::string& text : texts) {
        specs.push_back(parse_candidate(text));  // all parse errors before any work
    }
    std::vector<Candidate> resolved;
    for (const CandidateSpec& spec : specs) {
        resolved.push_back(resolve_candidate(catalog, scenario, rules, spec, options));
    }
    score_candidates(resolved, scenario, rules, options);
    return resolved;
}

}  // namespace dsselect
