#pragma once
// Total cost of ownership: seed §3.2's weighted index TCO = alpha * training + beta * inference +
// gamma * maintenance (default 0.3 : 0.5 : 0.2) and the plain dollars behind it. Pure functions;
// method in docs/tco.md.
#include <cstdint>
#include <optional>
#include <vector>

#include "dsselect/catalog/types.hpp"

namespace dsselect {

struct TcoWeights {
    double alpha = 0.3;  // training (seed §3.2)
    double beta = 0.5;   // inference
    double gamma = 0.2;  // maintenance
};

// Throws a usage Error unless the weights are non-negative and sum to 1 within 1e-9.
void check_weights(const TcoWeights& weights);
// Parses "A,B,G" (the --weights flag), then check_weights.
TcoWeights parse_weights(const std::string& text);

// What is deployed: from the estimator and the replica sizing.
struct Deployment {
    const Model* model = nullptr;
    const Variant* variant = nullptr;
    const Hardware* hardware = nullptr;
    std::int64_t gpus_per_replica = 1;
    std::int64_t replicas = 1;
    double power_w_per_replica = 0.0;
    double active_parameters = 0.0;  // per token, for training FLOPs
};

struct TcoYear {
    int year = 0;
    double inference_usd = 0.0;
    double maintenance_usd = 0.0;
    double training_usd = 0.0;  // paid in year 1
};

struct TcoResult {
    double training_usd = 0.0;     // the figure in the total: the quote or the computed cost
    bool training_quoted = false;  // the quote (seed §3.2) is in the total, not the computed cost
    double training_computed_usd = 0.0;            // always computed, shown beside a quote
    std::optional<double> training_quoted_usd;     // the scenario's quote for the model, if any
    double training_gpu_hours = 0.0;               // of the computed cost
    double training_flops = 0.0;
    // How the hardware was costed: a rented scenario costs a device without a rental price
    // (edge devices are bought) as owned (docs/tco.md).
    Ownership ownership = Ownership::rented;
    double depreciation_usd_per_year = 0.0;  // while the hardware depreciates
    double depreciation_years = 0.0;         // after these years it is paid off (owned)
    double inference_usd = 0.0;  // over the horizon
    double inference_rental_usd = 0.0;
    double inference_depreciation_usd = 0.0;
    double inference_energy_usd = 0.0;
    double maintenance_usd = 0.0;  // over the horizon
    double maintenance_hardware_usd = 0.0;
    double maintenance_engineering_usd = 0.0;
    double total_usd = 0.0;           // what finance pays
    double weighted_index_usd = 0.0;  // the seed's decision score
    double yearly_usd = 0.0;          // inference + maintenance in a year of depreciation (training excluded)
    double inference_usd_per_year = 0.0;
    double maintenance_usd_per_year = 0.0;
    std::optional<double> usd_per_million_output_tokens;  // none at zero load
    TcoWeights weights;
    std::vector<TcoYear> per_year;
};

// Training FLOPs for a plan: full fine-tune and pre-training 6 N_a D, LoRA 4 N_a D, times epochs.
double training_flops(TrainingMethod method, double active_parameters, double tokens, double epochs);

// The TCO training term: FLOPs (above), GPU-hours = FLOPs / (16-bit peak (bf16, else fp16) *
// MFU * 3600), dollars = GPU-hours * the hardware's hourly price. Shared by compute_tco and
// `dsselect plan finetune`.
struct TrainingCost {
    double flops = 0.0;
    double peak_flops_per_gpu = 0.0;  // 0 when the hardware has no 16-bit peak
    double gpu_hours = 0.0;
    double usd = 0.0;
};
TrainingCost training_cost(TrainingMethod method, double active_parameters, double tokens, double epochs,
                           const Hardware& hardware, double mfu);

// Whether a device can be costed under these inputs: rented needs an hourly price or a
// purchase price (then costed as owned), owned needs a purchase price. A search rejects a
// candidate on hardware that cannot be costed ("price"); compute_tco refuses to cost one.
bool can_cost(const TcoInputs& inputs, const Hardware& hardware);
// How a device is costed: the scenario's ownership, except that a device with no rental
// price (an edge device, bought, not rented) is costed as owned.
Ownership costed_ownership(const TcoInputs& inputs, const Hardware& hardware);

// Whether compute_tco fills TcoResult::per_year. A search costs thousands of candidates and
// shows a few; it fills the years of those it keeps with tco_years.
enum class TcoDetail { per_year, totals };
TcoResult compute_tco(const TcoInputs& inputs, const Deployment& deployment, const Workload& workload,
                      const TcoWeights& weights,
                      TcoDetail detail = TcoDetail::per_year);
// The year-by-year breakdown of a result over a horizon of `years`: each year's share of it
// (the last year may be partial) of the yearly inference and maintenance, training in year 1.
// Depreciation stops once the hardware is paid off (after depreciation_years): owned hardware
// stays in service, so a horizon longer than the depreciation never pays more than the
// purchase price (no re-purchase is modelled; docs/tco.md).
std::vector<TcoYear> tco_years(double years, const TcoResult& result);

}  // namespace dsselect
