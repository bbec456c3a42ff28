#include "dsselect/select/search.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <charconv>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"

namespace dsselect {

namespace {
constexpr std::int64_t k_gpu_counts[] = {1, 2, 4, 8, 16, 32};
// Accepted candidates a search makes room for at once (the shipped scenarios accept up to
// about 2,600 of 9,680; 4,096 measured faster than 1,024, docs/ranking.md "Speed").
constexpr std::size_t k_accepted_reserve = 4096;

// GPUs per replica searched on this hardware: up to one node, or up to four nodes of GPUs when
// the scenario allows multi-node replicas.
bool searchable(const Hardware& hardware, std::int64_t gpus, const Scenario& s) {
    if (gpus <= hardware.max_devices_per_node) {
        return true;
    }
    return s.constraints.allow_multi_node && hardware.kind == HardwareKind::gpu && hardware.max_devices_per_node >= 8 &&
           hardware.interconnect_gb_per_s > 0 && gpus % hardware.max_devices_per_node == 0;
}

Rejection reject(const std::string& reason, std::string text, const char* flag = "", double needed = 0,
                 double had = 0, double ratio = std::numeric_limits<double>::infinity()) {
    Rejection r;
    r.reason = reason;
    r.text = std::move(text);
    r.flag = flag;
    r.needed = needed;
    r.had = had;
    r.miss_ratio = ratio;
    return r;
}

// A maximum limit missed: ratio had / limit.
Rejection over_limit(const char* reason, const char* what, const char* unit, const char* flag, double limit, double had) {
    Rejection r;
    r.reason = reason;
    r.what = what;
    r.unit = unit;
    r.flag = flag;
    r.needed = limit;
    r.had = had;
    r.miss_ratio = had / limit;
    return r;
}

bool allowed(const std::vector<std::string>& list, const std::string& id) {
    return list.empty() || std::find(list.begin(), list.end(), id) != list.end();
}

// The request, given the engine's profile for this hardware and precision and the scenario's
// active fraction for this variant (a search computes those once per hardware and variant).
EstimateRequest request_for(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                            std::int64_t gpus, std::int64_t batch, const EfficiencyProfile& profile,
                            std::optional<double> active_fraction) {
    EstimateRequest request;
    request.model = &model;
    request.variant = &variant;
    request.hardware = &hardware;
    request.gpus = gpus;
    request.batch = batch;
    request.prompt_tokens = s.workload.prompt_tokens;
    request.output_tokens = s.workload.output_tokens;
    request.context_tokens = s.workload.context_tokens;
    request.profile = profile;
    request.active_fraction = active_fraction;
    request.adapter_tasks = s.tasks.empty() ? nullptr : &s.tasks;  // docs/multitask.md
    return request;
}

// The first latency limit the estimate misses, if any.
std::optional<Rejection> latency_miss(const Constraints& c, const PerformanceEstimate& p) {
    if (c.max_ttft_ms && p.ttft_ms > *c.max_ttft_ms) {
        return over_limit("ttft", "time to first token", "ms", "--max-ttft-ms", *c.max_ttft_ms, p.ttft_ms);
    }
    if (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) {
        return over_limit("tpot", "time per output token", "ms", "--max-tpot-ms", *c.max_tpot_ms, p.tpot_ms);
    }
    if (c.max_latency_ms && p.latency_ms > *c.max_latency_ms) {
        return over_limit("latency", "end-to-end latency", "ms", "--max-latency-ms", *c.max_latency_ms, p.latency_ms);
    }
    return std::nullopt;
}
}  // namespace

std::string Rejection::detail() const {
    if (!text.empty()) {
        return text;
    }
    return fmt::format("needs {} {} {:.6g}{}{}, has {:.6g}{}{}", what, at_least ? ">=" : "<=", needed,
                       *unit != '\0' ? " " : "", unit, had, *unit != '\0' ? " " : "", unit);
}

std::string Candidate::label() const {
    return fmt::format("{}:{}@{}x{}", model->id, variant->id, hardware->id, gpus_per_replica);
}

namespace {
// What the checks need about a model and variant, whatever the hardware: computed once per pair
// in a search, not once per candidate.
struct PairFacts {
    ParameterCounts parameters;  // model_parameters(model), for every estimate of the pair
    std::optional<double> quality_base;
    double quality = 0;
    double weights_on_disk_bytes = 0;
    bool context_too_long = false;
    std::optional<double> active_fraction;  // mixed_active_fraction(scenario mix, variant)
};

PairFacts pair_facts(const Scenario& s, const Model& model, const Variant& variant) {
    PairFacts facts;
    facts.parameters = model_parameters(model);
    facts.quality_base = model.quality_for(s.task_kind);
    facts.quality = facts.quality_base.value_or(0.0) * variant.quality_retention;
    facts.weights_on_disk_bytes = model_weight_bytes(facts.parameters, variant);
    const std::int64_t context = s.workload.context_tokens > 0 ? s.workload.context_tokens
                                                                : s.workload.prompt_tokens + s.workload.output_tokens;
    facts.context_too_long = exceeds_context_window(model.architecture, context);
    facts.active_fraction = mixed_active_fraction(s.complexity_mix, variant);  // docs/method.md
    return facts;
}

// How much of a rejected candidate a search needs: `verdict` skips the work that only explains a
// rejection (the estimate of a candidate rejected before the memory check, the cost of one
// rejected for power or latency, the sentences); `full` is what compare shows.
enum class Depth { verdict, full };

// The yes/no facts the early checks need about a model, variant and hardware. A search reads
// them from tables built once (see EarlyTables); one candidate alone computes them here.
struct EarlyFlags {
    bool allowed = true;        // by the scenario's allowed models, variants and hardware
    bool applies = true;        // the variant applies to the model
    bool has_precision = true;  // the hardware has matrix units at the variant's precision
};

// The flags' parts, which a search tabulates per model and variant and per hardware.
bool pair_allowed(const Constraints& k, const Model& model, const Variant& variant) {
    return allowed(k.allowed_models, model.id) && allowed(k.allowed_variants, variant.id);
}
bool hardware_allowed(const Constraints& k, const Hardware& hardware) { return allowed(k.allowed_hardware, hardware.id); }
bool has_precision(const Hardware& hardware, const Variant& variant) {
    return hardware.peak_tflops_at(variant.compute_precision).has_value();
}

EarlyFlags early_flags(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware) {
    const Constraints& k = s.constraints;
    return {pair_allowed(k, model, variant) && hardware_allowed(k, hardware), variant.applies_to_model(model.id),
            has_precision(hardware, variant)};
}

// The checks that need no estimate, in the order evaluate_candidate applies them: which one a
// candidate misses first, and by how much (Rejection::miss_ratio). The search tallies these;
// early_rejection explains them.
enum class Early { none, not_allowed, variant_not_applicable, max_gpus, context, precision, model_size, quality };

const char* early_reason(Early early) {
    switch (early) {
    case Early::none: break;
    case Early::not_allowed: return "not_allowed";
    case Early::variant_not_applicable: return "variant_not_applicable";
    case Early::max_gpus: return "max_gpus";
    case Early::context: return "context";
    case Early::precision: return "precision";
    case Early::model_size: return "model_size";
    case Early::quality: return "quality";
    }
    return "";
}

struct EarlyMiss {
    Early early = Early::none;
    double miss_ratio = std::numeric_limits<double>::infinity();
};

EarlyMiss early_check(const Scenario& s, const Model& model, std::int64_t gpus, const PairFacts& facts,
                      const EarlyFlags& flags) {
    const Constraints& k = s.constraints;
    if (!flags.allowed) {
        return {Early::not_allowed};
    }
    if (!flags.applies) {
        return {Early::variant_not_applicable};
    }
    if (k.max_gpus_per_replica && gpus > *k.max_gpus_per_replica) {
        return {Early::max_gpus, static_cast<double>(gpus) / static_cast<double>(*k.max_gpus_per_replica)};
    }
    if (facts.context_too_long) {
        return {Early::context, static_cast<double>(s.workload.context_tokens) /
                                    static_cast<double>(model.architecture.max_position_embeddings)};
    }
    if (!flags.has_precision) {
        return {Early::precision};
    }
    if (k.max_model_mb && facts.weights_on_disk_bytes / 1e6 > *k.max_model_mb) {
        return {Early::model_size, facts.weights_on_disk_bytes / 1e6 / *k.max_model_mb};
    }
    if (k.min_quality) {
        if (!facts.quality_base) {
            return {Early::quality};
        }
        if (facts.quality < *k.min_quality) {
            return {Early::quality, *k.min_quality / std::max(facts.quality, 1e-9)};
        }
    }
    return {};
}

// The rejection early_check finds, explained.
std::optional<Rejection> early_rejection(const Scenario& s, const Model& model, const Variant& variant,
                                         const Hardware& hardware, std::int64_t gpus, const PairFacts& facts,
                                         const EarlyFlags& flags) {
    const Constraints& k = s.constraints;
    const EarlyMiss miss = early_check(s, model, gpus, facts, flags);
    Rejection r;
    switch (miss.early) {
    case Early::none:
        return std::nullopt;
    case Early::not_allowed:
        return reject("not_allowed", "excluded by the scenario's allowed models, variants or hardware");
    case Early::variant_not_applicable:
        return reject("variant_not_applicable", fmt::format("variant '{}' does not apply to '{}'", variant.id, model.id));
    case Early::max_gpus:
        return over_limit("max_gpus", "GPUs per replica", "", "--max-gpus", static_cast<double>(*k.max_gpus_per_replica),
                          static_cast<double>(gpus));
    case Early::context: {
        const double window = static_cast<double>(model.architecture.max_position_embeddings);
        const double context = static_cast<double>(s.workload.context_tokens);
        r = reject("context", "", "--context", context, window, miss.miss_ratio);
        r.what = "a context window";
        r.unit = "tokens";
        r.at_least = true;
        return r;
    }
    case Early::precision:
        return reject("precision", fmt::format("'{}' has no {} matrix units", hardware.id, to_string(variant.compute_precision)));
    case Early::model_size:
        return over_limit("model_size", "model size", "MB", "--max-model-mb", *k.max_model_mb,
                          facts.weights_on_disk_bytes / 1e6);
    case Early::quality:
        if (!facts.quality_base) {
            return reject("quality", fmt::format("'{}' has no quality figure for task '{}'", model.id, s.task_kind));
        }
        r = reject("quality", "", "--min-quality", *k.min_quality, facts.quality, miss.miss_ratio);
        r.what = "quality";
        r.at_least = true;
        return r;
    }
    return std::nullopt;
}

// The rest of the judgement, for a candidate that passed early_rejection: memory, batch size,
// replicas, cost, power, latency, budget and the policy rules.
// `plan` is the candidate's request prepared for every batch; c.estimate is its batch 1.
void judge_fitting(Candidate& c, const EstimatePlan& plan, const Scenario& s, RuleSession& rules,
                   const Engine* engine, const SearchOptions& options, Depth depth, RuleBudget* budget) {
    const Model& model = *c.model;
    const Variant& variant = *c.variant;
    const Hardware& hardware = *c.hardware;
    const std::int64_t gpus = c.gpus_per_replica;
    const Constraints& k = s.constraints;
    const Estimate& e1 = c.estimate;
    if (!e1.memory.fits) {
        c.rejection = over_limit("memory", "memory per GPU", "GB", "", e1.memory.usable_per_gpu_bytes / 1e9,
                                 e1.memory.per_gpu_bytes / 1e9);
        return;
    }
    const std::optional<Rejection> latency_at_one = latency_miss(k, e1.performance);
    const bool over_power = k.max_power_w && e1.power_w > *k.max_power_w;
    // Compare shows what a candidate that fits would cost even when it misses power or
    // latency; a search does not need to know.
    if (depth == Depth::verdict && (over_power || latency_at_one)) {
        c.rejection = over_power ? over_limit("power", "power per replica", "W", "--max-power-w", *k.max_power_w, e1.power_w)
                                 : *latency_at_one;
        return;
    }
    // The largest batch (power of two) that still meets the latency limits and fits.
    // A single-stream engine (llama.cpp) serves one sequence at a time.
    const std::int64_t batch_limit = engine != nullptr && !engine->continuous_batching
                                         ? 1
                                         : std::min(options.max_batch, e1.memory.max_concurrency);
    // Each rung reads only the timing; the chosen batch gets its whole estimate once.
    for (std::int64_t batch = 2; !latency_at_one && batch <= batch_limit; batch *= 2) {
        const EstimatePlan::Rung next = plan.rung(batch);
        if (!next.timed || latency_miss(k, next.performance)) {
            break;
        }
        c.batch = batch;
        // Once one replica carries the load with headroom, a larger batch only adds latency.
        if (next.performance.qps >= s.workload.qps * (1.0 + k.headroom)) {
            break;
        }
    }
    if (c.batch != 1) {
        c.estimate = plan.at(c.batch);
    }
    const double per_replica_qps = c.estimate.performance.qps;
    const double needed_qps = s.workload.qps * (1.0 + k.headroom);
    c.replicas = needed_qps > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(needed_qps / per_replica_qps - 1e-9))) : 1;
    c.capacity_qps = per_replica_qps * static_cast<double>(c.replicas);
    Deployment deployment{&model, &variant, &hardware, gpus, c.replicas, c.estimate.power_w,
                          static_cast<double>(c.estimate.parameters.active)};
    c.cost = compute_tco(s.tco, deployment, s.workload, options.tco_weights,
                         depth == Depth::verdict ? TcoDetail::totals : TcoDetail::per_year);
    c.costed = true;
    if (over_power) {
        c.rejection = over_limit("power", "power per replica", "W", "--max-power-w", *k.max_power_w, e1.power_w);
        return;
    }
    if (latency_at_one) {
        c.rejection = latency_at_one;
        return;
    }
    if (k.budget_usd_per_year && c.cost.yearly_usd > *k.budget_usd_per_year) {
        c.rejection = over_limit("budget", "yearly cost", "USD", "--budget-usd", *k.budget_usd_per_year, c.cost.yearly_usd);
        return;
    }
    // Until all candidates are judged, the smallest feasible model is taken to be this one.
    RuleCandidate context{&s, &model, &variant, &hardware, &c.estimate, &c.cost, gpus, c.replicas, c.batch,
                          c.quality, c.capacity_qps, static_cast<double>(c.estimate.parameters.total), false};
    RuleOutcome outcome = rules.apply(context, RulePhase::constraints, budget,
                                      depth == Depth::verdict ? RuleMessages::skip : RuleMessages::format);
    if (!outcome.rejected_by.empty()) {
        c.rejection = reject(outcome.rejected_by, outcome.message);
    }
}

const Engine* scenario_engine(const Catalog& catalog, const Scenario& s) {
    return catalog.find_engine(s.engine_id.empty() ? k_default_engine_id : s.engine_id);
}

// One candidate judged in full: what compare shows and what explains a nearest miss.
Candidate judge(const Scenario& s, RuleSession& rules, const Engine* engine, const Model& model,
                const Variant& variant, const Hardware& hardware, std::int64_t gpus, const PairFacts& facts,
                const SearchOptions& options) {
    Candidate c;
    c.model = &model;
    c.variant = &variant;
    c.hardware = &hardware;
    c.gpus_per_replica = gpus;
    c.quality = facts.quality;
    const EstimateRequest at_one = request_for(s, model, variant, hardware, gpus, 1,
                                               engine_profile(engine, hardware, variant.compute_precision),
                                               facts.active_fraction);
    const EstimatePlan plan(at_one);
    c.estimate = plan.at(1);
    if (auto early = early_rejection(s, model, variant, hardware, gpus, facts, early_flags(s, model, variant, hardware))) {
        c.rejection = std::move(early);
        return c;
    }
    judge_fitting(c, plan, s, rules, engine, options, Depth::full, nullptr);
    return c;
}
}  // namespace

Candidate evaluate_candidate(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const Model& model,
                             const Variant& variant, const Hardware& hardware, std::int64_t gpus,
                             const SearchOptions& options) {
    RuleSession session(rules);
    return judge(s, session, scenario_engine(catalog, s), model, variant, hardware, gpus, pair_facts(s, model, variant),
                 options);
}

namespace {
// What a scoring rule sees of an accepted candidate; `smallest` is the smallest total
// parameter count among all accepted candidates.
RuleCandidate scoring_view(const Candidate& c, const Scenario& s, double smallest) {
    return {&s, c.model, c.variant, c.hardware, &c.estimate, &c.cost, c.gpus_per_replica,
            c.replicas, c.batch, c.quality, c.capacity_qps, smallest, false};
}

// Scores every accepted candidate; returns the smallest total parameter count among them (what
// the scoring rules compared against). With RuleMessages::skip the warnings stay empty:
// complete_kept fills them for the candidates a search keeps.
double score_all(std::vector<Candidate>& candidates, const Scenario& s, const RuleSet& rules, const SearchOptions& options,
                 RuleBudget* budget, RuleMessages messages) {
    double cheapest = std::numeric_limits<double>::infinity();
    double smallest = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates) {
        if (c.accepted()) {
            cheapest = std::min(cheapest, c.cost.yearly_usd);
            smallest = std::min(smallest, static_cast<double>(c.estimate.parameters.total));
        }
    }
    const Constraints& k = s.constraints;
    const ScoreWeights& w = options.score_weights;
    RuleSession session(rules);
    for (Candidate& c : candidates) {
        if (!c.accepted()) {
            continue;
        }
        ScoreParts& score = c.score;
        score.cost = c.cost.yearly_usd > 0 ? w.cost * cheapest / c.cost.yearly_usd : w.cost;
        score.quality = w.quality * c.quality;
        const auto& p = c.estimate.performance;
        if (k.max_latency_ms) {
            score.latency = w.latency * (1.0 - p.latency_ms / *k.max_latency_ms);
        } else if (k.max_tpot_ms) {
            score.latency = w.latency * (1.0 - p.tpot_ms / *k.max_tpot_ms);
        } else if (k.max_ttft_ms) {
            score.latency = w.latency * (1.0 - p.ttft_ms / *k.max_ttft_ms);
        }
        RuleOutcome scored = session.apply(scoring_view(c, s, smallest), RulePhase::scoring, budget, messages);
        score.rules = scored.score;
        c.warnings = std::move(scored.warnings);
        c.warning_messages = std::move(scored.warning_messages);
        score.total = score.cost + score.quality + score.latency + score.rules;
    }
    return smallest;
}

// What a search judged only for its verdict, completed for the candidates it keeps: the cost
// by year and, when they were scored with RuleMessages::skip, their warnings, worded as
// score_all words them. The rules already ran within the search's budget; running them again
// for the few kept is the same work, so it is not charged twice.
void complete_kept(std::vector<Candidate>& kept, const Scenario& s, const RuleSet& rules, double smallest,
                   RuleMessages scored_with) {
    RuleSession session(rules);
    for (Candidate& c : kept) {
        c.cost.per_year = tco_years(s.tco.years, c.cost);
        if (scored_with == RuleMessages::skip) {
            RuleOutcome worded = session.apply(scoring_view(c, s, smallest), RulePhase::scoring);
            c.warnings = std::move(worded.warnings);
            c.warning_messages = std::move(worded.warning_messages);
        }
    }
}

}  // namespace

void score_candidates(std::vector<Candidate>& candidates, const Scenario& s, const RuleSet& rules,
                      const SearchOptions& options) {
    score_all(candidates, s, rules, options, nullptr, RuleMessages::format);
}

namespace {
// The place of a label "model:variant@hardwarexGPUS" in string order, as four ranks compared in
// turn: the rank of "model:" among the models, of "variant@" among the variants, and so on.
// That equals the string order unless one piece is a proper prefix of another of its kind
// (hardware "mi300" and "mi300xl": "mi300x" starts "mi300xlx"); then `exact` is false and
// labels are compared character by character.
struct LabelKey {
    std::uint32_t model = 0;
    std::uint32_t variant = 0;
    std::uint32_t hardware = 0;
    std::uint32_t gpus = 0;
    auto operator<=>(const LabelKey&) const = default;
};

class LabelOrder {
public:
    explicit LabelOrder(const Catalog& catalog) {
        std::vector<std::string> pieces;
        for (const Model& model : catalog.models) {
            pieces.push_back(model.id + ":");
        }
        model_ = ranks(pieces);
        pieces.clear();
        for (const Variant& variant : catalog.variants) {
            pieces.push_back(variant.id + "@");
        }
        variant_ = ranks(pieces);
        pieces.clear();
        for (const Hardware& hardware : catalog.hardware) {
            pieces.push_back(hardware.id + "x");
        }
        hardware_ = ranks(pieces);
        pieces.clear();
        for (std::int64_t gpus : k_gpu_counts) {
            pieces.push_back(std::to_string(gpus));  // the last piece: a prefix sorts first, as it should
        }
        const bool gpus_exact = exact_;
        gpus_ = ranks(pieces);
        exact_ = gpus_exact;
    }
    bool exact() const { return exact_; }
    // `gpus` is the index of the GPU count in k_gpu_counts.
    LabelKey key(std::size_t model, std::size_t variant, std::size_t hardware, std::size_t gpus) const {
        return {model_[model], variant_[variant], hardware_[hardware], gpus_[gpus]};
    }

private:
    // Each piece's rank in string order; clears exact_ when a piece is a proper prefix of
    // another (in sorted order such a pair is adjacent or has only pieces with the same prefix
    // between, so checking neighbours finds it).
    std::vector<std::uint32_t> ranks(const std::vector<std::string>& pieces) {
        std::vector<std::size_t> order(pieces.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        std::sort(order.begin(), order.end(), [&pieces](std::size_t a, std::size_t b) { return pieces[a] < pieces[b]; });
        std::vector<std::uint32_t> rank(pieces.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            rank[order[i]] = static_cast<std::uint32_t>(i);
            if (i > 0) {
                const std::string& before = pieces[order[i - 1]];
                const std::string& after = pieces[order[i]];
                if (before == after || after.compare(0, before.size(), before) == 0) {
                    exact_ = false;
                }
            }
        }
        return rank;
    }
    std::vector<std::uint32_t> model_, variant_, hardware_, gpus_;
    bool exact_ = true;
};

// A candidate's place in the search space.
struct Slot {
    const Model* model;
    const Variant* variant;
    const Hardware* hardware;
    std::int64_t gpus;
    std::size_t pair;  // index of (model, variant) in the search's PairFacts
    std::size_t hardware_index;
    LabelKey key;
};

// label() < label() without building the strings (the search breaks thousands of ties): the
// labels "model:variant@hardwarexGPUS" compared character by character, piece by piece.
class LabelPieces {
public:
    LabelPieces(const Model& model, const Variant& variant, const Hardware& hardware, std::int64_t gpus) {
        const auto end = std::to_chars(digits_, digits_ + sizeof digits_, gpus).ptr;
        pieces_[0] = model.id;
        pieces_[1] = ":";
        pieces_[2] = variant.id;
        pieces_[3] = "@";
        pieces_[4] = hardware.id;
        pieces_[5] = "x";
        pieces_[6] = std::string_view(digits_, static_cast<std::size_t>(end - digits_));
    }
    LabelPieces(const LabelPieces&) = delete;  // pieces_[6] points into this object
    LabelPieces& operator=(const LabelPieces&) = delete;
    // The next character, or -1 at the end.
    int next() {
        while (piece_ < 7 && offset_ == pieces_[piece_].size()) {
            ++piece_;
            offset_ = 0;
        }
        return piece_ == 7 ? -1 : static_cast<unsigned char>(pieces_[piece_][offset_++]);
    }

private:
    std::string_view pieces_[7];
    char digits_[24] = {};
    std::size_t piece_ = 0;
    std::size_t offset_ = 0;
};

// <0, 0 or >0 as the left label sorts before, equal to or after the right one.
int pieces_compare(LabelPieces&& left, LabelPieces&& right) {
    for (;;) {
        const int l = left.next();
        const int r = right.next();
        if (l != r) {
            return l < r ? -1 : 1;  // -1 (the end) sorts first, as a prefix does
        }
        if (l < 0) {
            return 0;
        }
    }
}

bool pieces_before(LabelPieces&& left, LabelPieces&& right) {
    return pieces_compare(std::move(left), std::move(right)) < 0;
}

bool label_before(const Slot& a, const Slot& b, bool keys_exact) {
    if (keys_exact) {
        return a.key < b.key;
    }
    return pieces_before(LabelPieces(*a.model, *a.variant, *a.hardware, a.gpus),
                         LabelPieces(*b.model, *b.variant, *b.hardware, b.gpus));
}

int label_compare(const Candidate& a, const Candidate& b) {
    return pieces_compare(LabelPieces(*a.model, *a.variant, *a.hardware, a.gpus_per_replica),
                          LabelPieces(*b.model, *b.variant, *b.hardware, b.gpus_per_replica));
}

bool ranks_before(const Candidate& a, const Candidate& b) {
    if (a.score.total != b.score.total) {
        return a.score.total > b.score.total;
    }
    // Deterministic ties: a.label() < b.label().
    return label_compare(a, b) < 0;
}

// Sorts best first and keeps the best `keep` (0: all), moving each kept candidate once (they
// are large).
void rank(std::vector<Candidate>& candidates, std::int64_t keep) {
    // Sorted as (score, index) pairs, which sit close together in memory; only ties read
    // the candidates (their labels), so the order is ranks_before's. Two candidates share a
    // label only when a user's ids contain ':' or '@' (model "m:q" with variant "x", model "m"
    // with variant "q:x"); enumeration order settles those. So the order is total, and the
    // best `keep` of a partial sort are the first `keep` of a full one.
    std::vector<std::pair<double, std::size_t>> order(candidates.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = {candidates[i].score.total, i};
    }
    const auto better = [&candidates](const auto& a, const auto& b) {
        if (a.first != b.first) {
            return a.first > b.first;
        }
        const int by_label = label_compare(candidates[a.second], candidates[b.second]);
        return by_label != 0 ? by_label < 0 : a.second < b.second;
    };
    if (keep > 0 && static_cast<std::size_t>(keep) < order.size()) {
        const auto kept_end = order.begin() + static_cast<std::ptrdiff_t>(keep);
        std::partial_sort(order.begin(), kept_end, order.end(), better);
        order.erase(kept_end, order.end());
    } else {
        std::sort(order.begin(), order.end(), better);
    }
    std::vector<Candidate> sorted;
    sorted.reserve(order.size());
    for (const auto& entry : order) {
        sorted.push_back(std::move(candidates[entry.second]));
    }
    candidates = std::move(sorted);
}

// Rejections of one part of the search: counts per reason and, per reason, the nearest miss
// (smallest miss ratio, then smallest label).
struct Tally {
    struct Reason {
        std::string reason;
        std::int64_t count = 0;
        std::size_t nearest = 0;  // slot index
        double miss_ratio = 0;
    };
    std::vector<Reason> reasons;  // a handful: a linear scan beats a map
    std::vector<Candidate> accepted;
    const std::vector<Slot>* slots = nullptr;
    bool keys_exact = true;

    Tally(const std::vector<Slot>& all, bool exact) : slots(&all), keys_exact(exact) {}

    bool before(std::size_t a, std::size_t b) const { return label_before((*slots)[a], (*slots)[b], keys_exact); }

    void count(Reason& entry, double miss_ratio, std::size_t slot) const {
        ++entry.count;
        if (miss_ratio < entry.miss_ratio || (miss_ratio == entry.miss_ratio && before(slot, entry.nearest))) {
            entry.nearest = slot;
            entry.miss_ratio = miss_ratio;
        }
    }

    void add(std::string_view reason, double miss_ratio, std::size_t slot) {
        for (Reason& entry : reasons) {
            if (entry.reason == reason) {
                count(entry, miss_ratio, slot);
                return;
            }
        }
        reasons.push_back({std::string(reason), 1, slot, miss_ratio});
    }

    // The same for an early check's miss, found by its code rather than by name.
    void add(const EarlyMiss& miss, std::size_t slot) {
        std::size_t& index = early_index[static_cast<std::size_t>(miss.early)];
        if (index == k_none) {
            // A rule may reject under the same name ("quality"): one entry per name.
            const std::string_view name = early_reason(miss.early);
            const auto found = std::find_if(reasons.begin(), reasons.end(), [&](const Reason& r) { return r.reason == name; });
            index = static_cast<std::size_t>(found - reasons.begin());
            if (found == reasons.end()) {
                reasons.push_back({std::string(name), 0, slot, miss.miss_ratio});
            }
        }
        count(reasons[index], miss.miss_ratio, slot);
    }
    static constexpr std::size_t k_none = static_cast<std::size_t>(-1);
    std::array<std::size_t, 8> early_index{k_none, k_none, k_none, k_none, k_none, k_none, k_none, k_none};

    void merge(Tally&& other) {
        for (Reason& entry : other.reasons) {
            bool found = false;
            for (Reason& mine : reasons) {
                if (mine.reason == entry.reason) {
                    found = true;
                    mine.count += entry.count;
                    if (entry.miss_ratio < mine.miss_ratio ||
                        (entry.miss_ratio == mine.miss_ratio && before(entry.nearest, mine.nearest))) {
                        mine.nearest = entry.nearest;
                        mine.miss_ratio = entry.miss_ratio;
                    }
                }
            }
            if (!found) {
                reasons.push_back(std::move(entry));
            }
        }
        for (Candidate& c : other.accepted) {
            accepted.push_back(std::move(c));
        }
    }
};
}  // namespace

Recommendation recommend(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const SearchOptions& options) {
    Recommendation result;
    result.scenario = s;
    result.options = options;
    std::int64_t space = 0;
    for (const Hardware& hardware : catalog.hardware) {
        for (std::int64_t gpus : k_gpu_counts) {
            space += searchable(hardware, gpus, s) ? 1 : 0;
        }
    }
    space *= static_cast<std::int64_t>(catalog.models.size() * catalog.variants.size());
    if (space > options.max_candidates) {
        throw Error(ErrorKind::usage, fmt::format("the search space has {} candidates, more than --max-candidates {}",
                                                  space, options.max_candidates),
                    "raise --max-candidates, or narrow the scenario with --gpu and allowed_models");
    }
    const Engine* engine = scenario_engine(catalog, s);
    RuleBudget budget;  // shared by every rule evaluation of this search, across threads
    const Constraints& k = s.constraints;
    const LabelOrder label_order(catalog);
    // The early checks' yes/no facts, once per model, variant and hardware instead of once per
    // candidate.
    const std::size_t hardware_count = catalog.hardware.size();
    std::vector<char> hardware_allowed_flags(hardware_count);
    for (std::size_t h = 0; h < hardware_count; ++h) {
        hardware_allowed_flags[h] = hardware_allowed(k, catalog.hardware[h]) ? 1 : 0;
    }
    struct PairFlags {
        bool allowed;                     // the model and the variant
        std::vector<char> has_precision;  // per hardware
    };
    // The engine's efficiency profile per hardware and compute precision.
    std::vector<EfficiencyProfile> profiles;
    profiles.reserve(hardware_count * std::size(k_all_precisions));
    for (const Hardware& hardware : catalog.hardware) {
        for (Precision precision : k_all_precisions) {
            profiles.push_back(engine_profile(engine, hardware, precision));
        }
    }
    std::vector<PairFacts> pairs;
    std::vector<PairFlags> pair_flags;
    std::vector<Slot> slots;
    slots.reserve(static_cast<std::size_t>(space));
    for (std::size_t m = 0; m < catalog.models.size(); ++m) {
        const Model& model = catalog.models[m];
        for (std::size_t v = 0; v < catalog.variants.size(); ++v) {
            const Variant& variant = catalog.variants[v];
            if (!variant.applies_to_model(model.id)) {
                continue;
            }
            pairs.push_back(pair_facts(s, model, variant));
            PairFlags flags{pair_allowed(k, model, variant), {}};
            flags.has_precision.resize(hardware_count);
            for (std::size_t h = 0; h < hardware_count; ++h) {
                const Hardware& hardware = catalog.hardware[h];
                flags.has_precision[h] = has_precision(hardware, variant) ? 1 : 0;
                for (std::size_t g = 0; g < std::size(k_gpu_counts); ++g) {
                    if (searchable(hardware, k_gpu_counts[g], s)) {
                        slots.push_back({&model, &variant, &hardware, k_gpu_counts[g], pairs.size() - 1, h,
                                         label_order.key(m, v, h, g)});
                    }
                }
            }
            pair_flags.push_back(std::move(flags));
        }
    }
    result.candidates_evaluated = static_cast<std::int64_t>(slots.size());
    // Each candidate is judged on its own, only as deeply as its verdict needs; the nearest
    // misses are judged in full at the end for the explanation.
    auto judge_range = [&](std::size_t begin, std::size_t end, Tally& tally) {
        RuleSession session(rules);
        // Accepted candidates are large (about 800 bytes): room for the usual count up front
        // saves moving them all on every growth.
        tally.accepted.reserve(std::min<std::size_t>(end - begin, k_accepted_reserve));
        Candidate c;  // reused: a candidate is copied out only when accepted
        for (std::size_t i = begin; i < end; ++i) {
            const Slot& slot = slots[i];
            const PairFacts& facts = pairs[slot.pair];
            const PairFlags& pair = pair_flags[slot.pair];
            const EarlyFlags flags{pair.allowed && hardware_allowed_flags[slot.hardware_index] != 0, true,
                                   pair.has_precision[slot.hardware_index] != 0};
            if (const EarlyMiss early = early_check(s, *slot.model, slot.gpus, facts, flags); early.early != Early::none) {
                tally.add(early, i);
                continue;
            }
            c.model = slot.model;
            c.variant = slot.variant;
            c.hardware = slot.hardware;
            c.gpus_per_replica = slot.gpus;
            c.batch = 1;
            c.replicas = 0;
            c.quality = facts.quality;
            c.capacity_qps = 0;
            c.costed = false;
            c.rejection.reset();
            const EfficiencyProfile& profile =
                profiles[slot.hardware_index * std::size(k_all_precisions) +
                         static_cast<std::size_t>(slot.variant->compute_precision)];
            EstimateRequest at_one =
                request_for(s, *slot.model, *slot.variant, *slot.hardware, slot.gpus, 1, profile, facts.active_fraction);
            at_one.parameters = &facts.parameters;
            const EstimatePlan plan(at_one);
            c.estimate = plan.at(1);
            judge_fitting(c, plan, s, session, engine, options, Depth::verdict, &budget);
            if (c.accepted()) {
                tally.accepted.push_back(std::move(c));  // every field is set again before c is read
            } else {
                tally.add(c.rejection->reason, c.rejection->miss_ratio, i);
            }
        }
    };
    std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                              : std::max(1u, std::thread::hardware_concurrency());
    if (static_cast<std::int64_t>(slots.size()) < options.parallel_threshold) {
        threads = 1;
    }
    threads = std::min(threads, std::max<std::size_t>(slots.size(), 1));
    Tally tally(slots, label_order.exact());
    if (threads <= 1) {
        judge_range(0, slots.size(), tally);
    } else {
        std::vector<std::thread> workers;
        std::vector<Tally> parts(threads, Tally(slots, label_order.exact()));
        std::vector<std::exception_ptr> failures(threads);
        const std::size_t chunk = (slots.size() + threads - 1) / threads;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                try {
                    judge_range(t * chunk, std::min(slots.size(), (t + 1) * chunk), parts[t]);
                } catch (...) {
                    failures[t] = std::current_exception();
                }
            });
        }
        for (auto& worker : workers) {
            worker.join();
        }
        for (const auto& failure : failures) {
            if (failure) {
                std::rethrow_exception(failure);  // the first in enumeration order
            }
        }
        for (Tally& part : parts) {
            tally.merge(std::move(part));
        }
    }
    result.ranked = std::move(tally.accepted);
    result.candidates_accepted = static_cast<std::int64_t>(result.ranked.size());
    // Warnings are worded for the kept candidates only, when the search keeps a few.
    const bool keeps_few = options.keep_ranked > 0 && static_cast<std::size_t>(options.keep_ranked) < result.ranked.size();
    const RuleMessages scored_with = keeps_few ? RuleMessages::skip : RuleMessages::format;
    const double smallest = score_all(result.ranked, s, rules, options, &budget, scored_with);
    rank(result.ranked, options.keep_ranked);
    complete_kept(result.ranked, s, rules, smallest, scored_with);
    if (options.keep_evaluated) {
        // Every candidate judged in full (rejected ones with their estimate and, when they fit,
        // their cost), in enumeration order; the accepted ones scored as in `ranked`.
        result.evaluated.reserve(slots.size());
        RuleSession session(rules);
        for (const Slot& slot : slots) {
            result.evaluated.push_back(judge(s, session, engine, *slot.model, *slot.variant, *slot.hardware, slot.gpus,
                                             pairs[slot.pair], options));
        }
        score_all(result.evaluated, s, rules, options, nullptr, RuleMessages::format);
    }
    RuleSession session(rules);
    for (const Tally::Reason& entry : tally.reasons) {
        result.rejected_by_reason[entry.reason] = entry.count;
        const Slot& slot = slots[entry.nearest];
        Candidate nearest = judge(s, session, engine, *slot.model, *slot.variant, *slot.hardware, slot.gpus,
                                  pairs[slot.pair], options);
        if (!nearest.rejection || nearest.rejection->reason != entry.reason) {
            throw std::logic_error(fmt::format("search: {} judged '{}' in the search, '{}' in full", nearest.label(),
                                               entry.reason, nearest.rejection ? nearest.rejection->reason : "accepted"));
        }
        result.nearest_miss.emplace(entry.reason, std::move(nearest));
    }
    return result;
}

namespace {
bool is_id(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
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
    const std::size_t x = spec.hardware.rfind('x');
    if (x != std::string::npos && x > 0 && x + 1 < spec.hardware.size() &&
        std::all_of(spec.hardware.begin() + static_cast<std::ptrdiff_t>(x) + 1, spec.hardware.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
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
            if (v.applies_to_model(model.id)) {
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
            std::vector<std::int64_t> counts;
            if (spec.gpus > 0) {
                if (!searchable(*h, spec.gpus, s)) {
                    throw Error(ErrorKind::usage,
                                fmt::format("candidate GPU count {} exceeds the {} devices of one '{}' node{}", spec.gpus,
                                            h->max_devices_per_node, h->id,
                                            s.constraints.allow_multi_node ? " and is no multiple of it"
                                                                           : " (add --multi-node to span nodes)"));
                }
                counts.push_back(spec.gpus);
            } else {
                for (std::int64_t gpus : k_gpu_counts) {
                    if (searchable(*h, gpus, s)) {
                        counts.push_back(gpus);
                    }
                }
            }
            for (std::int64_t gpus : counts) {
                judged.push_back(evaluate_candidate(catalog, s, rules, model, *variant, *h, gpus, options));
            }
        }
    }
    score_candidates(judged, s, rules, options);
    // Prefer an accepted candidate; among rejected ones, the nearest miss.
    std::sort(judged.begin(), judged.end(), [](const Candidate& a, const Candidate& b) {
        if (a.accepted() != b.accepted()) {
            return a.accepted();
        }
        if (!a.accepted()) {
            // Among rejected ones, prefer those that fit and could be costed: they show more.
            if (a.costed != b.costed) {
                return a.costed;
            }
            if (a.rejection->miss_ratio != b.rejection->miss_ratio) {
                return a.rejection->miss_ratio < b.rejection->miss_ratio;
            }
            return a.label() < b.label();
        }
        return ranks_before(a, b);
    });
    return judged.front();
}

}  // namespace dsselect
