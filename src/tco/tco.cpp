#include "dsselect/tco/tco.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"

namespace dsselect {

namespace {
constexpr double k_hours_per_year = 8760.0;
constexpr double k_weights_tolerance = 1e-9;
}  // namespace

void check_weights(const TcoWeights& w) {
    const double sum = w.alpha + w.beta + w.gamma;
    if (!(w.alpha >= 0 && w.beta >= 0 && w.gamma >= 0) || !std::isfinite(sum)) {
        throw Error(ErrorKind::usage, fmt::format("--weights: expected three non-negative numbers, got {},{},{}",
                                                  w.alpha, w.beta, w.gamma));
    }
    if (std::fabs(sum - 1.0) > k_weights_tolerance) {
        throw Error(ErrorKind::usage,
                    fmt::format("--weights: alpha + beta + gamma must sum to 1, got {} + {} + {} = {}", w.alpha, w.beta,
                                w.gamma, sum));
    }
}

TcoWeights parse_weights(const std::string& text) {
    std::vector<double> values;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, ',')) {
        try {
            // Decimal only: std::stod alone also reads hex ("0x1") and leading spaces.
            if (!is_decimal_number(part, false)) {
                throw std::invalid_argument(part);
            }
            std::size_t used = 0;
            double value = std::stod(part, &used);
            if (used != part.size()) {
                throw std::invalid_argument(part);
            }
            values.push_back(value);
        } catch (const std::exception&) {
            throw Error(ErrorKind::usage, fmt::format("--weights: expected A,B,G such as 0.3,0.5,0.2, got '{}'", text));
        }
    }
    if (values.size() != 3) {
        throw Error(ErrorKind::usage, fmt::format("--weights: expected A,B,G such as 0.3,0.5,0.2, got '{}'", text));
    }
    TcoWeights weights{values[0], values[1], values[2]};
    check_weights(weights);
    return weights;
}

double training_flops(TrainingMethod method, double active_parameters, double tokens, double epochs) {
    switch (method) {
    case TrainingMethod::none: return 0.0;
    // LoRA: forward 2 N D + backward through activations 2 N D; no weight gradients for the frozen base.
    case TrainingMethod::lora: return 4.0 * active_parameters * tokens * epochs;
    case TrainingMethod::full:
    case TrainingMethod::pretrain: return 6.0 * active_parameters * tokens * epochs;
    }
    return 0.0;
}

TrainingCost training_cost(TrainingMethod method, double active_parameters, double tokens, double epochs,
                           const Hardware& hardware, double mfu) {
    TrainingCost cost;
    cost.flops = training_flops(method, active_parameters, tokens, epochs);
    cost.peak_flops_per_gpu =
        hardware.peak_tflops_at(Precision::bf16).value_or(hardware.peak_tflops_at(Precision::fp16).value_or(0.0)) * 1e12;
    cost.gpu_hours = cost.peak_flops_per_gpu > 0 ? cost.flops / (cost.peak_flops_per_gpu * mfu * 3600.0) : 0.0;
    cost.usd = cost.gpu_hours * hardware.price_usd_per_hour;
    return cost;
}

bool can_cost(const TcoInputs& inputs, const Hardware& hardware) {
    if (inputs.ownership == Ownership::owned) {
        return hardware.purchase_usd > 0;
    }
    return hardware.price_usd_per_hour > 0 || hardware.purchase_usd > 0;
}

Ownership costed_ownership(const TcoInputs& inputs, const Hardware& hardware) {
    if (inputs.ownership == Ownership::rented && !(hardware.price_usd_per_hour > 0)) {
        return Ownership::owned;
    }
    return inputs.ownership;
}

std::vector<TcoYear> tco_years(double years, const TcoResult& r) {
    std::vector<TcoYear> out;
    const int whole_years = static_cast<int>(std::ceil(years));
    out.reserve(static_cast<std::size_t>(std::max(whole_years, 0)));
    for (int year = 1; year <= whole_years; ++year) {
        const double share = std::min(1.0, years - (year - 1));
        // The part of this year before the hardware is paid off.
        const double depreciating = r.depreciation_usd_per_year > 0
                                        ? std::clamp(r.depreciation_years - (year - 1), 0.0, share)
                                        : 0.0;
        TcoYear item;
        item.year = year;
        item.inference_usd = (r.inference_usd_per_year - r.depreciation_usd_per_year) * share +
                             r.depreciation_usd_per_year * depreciating;
        item.maintenance_usd = r.maintenance_usd_per_year * share;
        item.training_usd = year == 1 ? r.training_usd : 0.0;
        out.push_back(item);
    }
    return out;
}

TcoResult compute_tco(const TcoInputs& inputs, const Deployment& d, const Workload& workload, const TcoWeights& weights,
                      TcoDetail detail) {
    TcoResult r;
    r.weights = weights;
    const Hardware& hw = *d.hardware;
    const double devices = static_cast<double>(d.replicas * d.gpus_per_replica);
    const double provisioned_hours = k_hours_per_year * inputs.utilization;

    // Training: the computed cost always; the scenario's quote, when it has one for the model,
    // enters the total unless tco.training.cost (--training-cost) chooses the computed one.
    const TrainingCost computed = training_cost(inputs.training.method, d.active_parameters, inputs.training.tokens,
                                                inputs.training.epochs, hw, inputs.mfu);
    r.training_flops = computed.flops;
    r.training_gpu_hours = computed.gpu_hours;
    r.training_computed_usd = computed.usd;
    r.training_usd = computed.usd;
    auto quoted = inputs.training.quoted_cost_usd.find(d.model->id);
    if (quoted != inputs.training.quoted_cost_usd.end()) {
        r.training_quoted_usd = quoted->second;
        if (inputs.training.cost == TrainingCostChoice::quoted) {
            r.training_usd = quoted->second;
            r.training_quoted = true;
        }
    }

    // Inference per year.
    if (!can_cost(inputs, hw)) {
        throw Error(ErrorKind::invalid_data,
                    fmt::format("cannot cost {} on {}: the hardware has no {} (a candidate never costs $0; "
                                "add one with --data, docs/tco.md)",
                                d.model->id, hw.id,
                                inputs.ownership == Ownership::owned ? "purchase_usd" : "price_usd_per_hour nor purchase_usd"));
    }
    r.ownership = costed_ownership(inputs, hw);
    double rental = 0.0;
    double depreciation = 0.0;
    double energy = 0.0;
    if (r.ownership == Ownership::rented) {
        rental = devices * provisioned_hours * hw.price_usd_per_hour;
    } else {
        depreciation = devices * hw.purchase_usd / inputs.depreciation_years;
        const double kwh = static_cast<double>(d.replicas) * d.power_w_per_replica / 1000.0 * provisioned_hours * inputs.pue;
        energy = kwh * inputs.electricity_usd_per_kwh;
        r.depreciation_usd_per_year = depreciation;
        r.depreciation_years = inputs.depreciation_years;
    }
    const double inference_per_year = rental + depreciation + energy;
    // Maintenance per year: a share of hardware value (owned) or of spend (rented), plus engineering.
    const double maintenance_base = r.ownership == Ownership::owned ? devices * hw.purchase_usd : inference_per_year;
    const double maintenance_hardware = inputs.maintenance_fraction_per_year * maintenance_base;
    const double maintenance_engineering = inputs.engineering_hours_per_year * inputs.engineering_usd_per_hour;
    const double maintenance_per_year = maintenance_hardware + maintenance_engineering;

    r.inference_usd_per_year = inference_per_year;
    r.maintenance_usd_per_year = maintenance_per_year;
    if (detail == TcoDetail::per_year) {
        r.per_year = tco_years(inputs.years, r);
    }
    // Depreciation stops at the purchase price: after depreciation_years the hardware is paid off.
    const double depreciating_years = std::min(inputs.years, inputs.depreciation_years);
    r.inference_rental_usd = rental * inputs.years;
    r.inference_depreciation_usd = depreciation * depreciating_years;
    r.inference_energy_usd = energy * inputs.years;
    r.inference_usd = r.inference_rental_usd + r.inference_depreciation_usd + r.inference_energy_usd;
    r.maintenance_hardware_usd = maintenance_hardware * inputs.years;
    r.maintenance_engineering_usd = maintenance_engineering * inputs.years;
    r.maintenance_usd = maintenance_per_year * inputs.years;
    r.total_usd = r.training_usd + r.inference_usd + r.maintenance_usd;
    r.weighted_index_usd = weights.alpha * r.training_usd + weights.beta * r.inference_usd + weights.gamma * r.maintenance_usd;
    r.yearly_usd = inference_per_year + maintenance_per_year;
    const double million_tokens_per_year =
        workload.qps * static_cast<double>(workload.output_tokens) * 3600.0 * k_hours_per_year / 1e6;
    if (million_tokens_per_year > 0) {
        r.usd_per_million_output_tokens = inference_per_year / million_tokens_per_year;
    }
    // The loader bounds every cost input so that these stay finite; should one still overflow,
    // it is an error naming the inputs behind it, never a total printed as null.
    // Invariant: a deployment never costs $0 a year (can_cost above guarantees a price).
    if (devices > 0 && !(inference_per_year > 0)) {
        throw Error(ErrorKind::internal, fmt::format("the cost of {} on {} came to $0 a year", d.model->id, hw.id));
    }
    if (!std::isfinite(r.total_usd) || !std::isfinite(r.weighted_index_usd) || !std::isfinite(r.yearly_usd)) {
        const char* culprits = !std::isfinite(r.training_usd)
                                 ? "tco.training (tokens x epochs, or quoted_cost_usd) and the hardware's price"
                             : !std::isfinite(r.inference_usd)
                                 ? "tco.years, tco.electricity_usd_per_kwh, tco.pue and the hardware's prices"
                                 : "tco.engineering_hours_per_year x tco.engineering_usd_per_hour and tco.years";
        throw Error(ErrorKind::invalid_data,
                    fmt::format("the cost of {} on {} overflows: {} are too large", d.model->id, hw.id, culprits));
    }
    return r;
}

}  // namespace dsselect
