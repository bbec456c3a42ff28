#include "dsselect/select/candidate.hpp"

#include <fmt/format.h>

namespace dsselect {

std::string Rejection::detail() const {
    if (!text.empty()) {
        return text;
    }
    return fmt::format("needs {} {} {:.6g}{}{}, has {:.6g}{}{}", what, at_least ? ">=" : "<=", needed,
                       *unit != '\0' ? " " : "", unit, had, *unit != '\0' ? " " : "", unit);
}

std::string claimed_variant_message(const Variant& variant) {
    return fmt::format("'{}' rests only on a claim of the source document, not on a known serving technique: {}",
                       variant.id, variant.claim);
}

std::string Candidate::label() const {
    return fmt::format("{}:{}@{}x{}", model->id, variant->id, hardware->id, gpus_per_replica);
}

}  // namespace dsselect
