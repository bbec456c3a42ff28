// libFuzzer target: bytes as a candidate string MODEL[:VARIANT][@HARDWARE[xGPUS]].
// parse_candidate must return a spec or throw dsselect::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsselect/core/error.hpp"
#include "dsselect/select/candidate_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const dsselect::CandidateSpec spec = dsselect::parse_candidate(text);
        // A parsed spec names a model and, when given, a GPU count of 1..9999.
        if (spec.model.empty() || spec.gpus < 0 || spec.gpus > 9999) {
            __builtin_trap();
        }
    } catch (const dsselect::Error&) {
    }
    return 0;
}
