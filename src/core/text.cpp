#include "dsselect/core/text.hpp"

#include <cstdint>

namespace dsselect {

namespace {
constexpr char k_hex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at text[i] and its code point; 0 when ill-formed.
std::size_t sequence_at(std::string_view text, std::size_t i, std::uint32_t& code_point) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code_point = lead & 0x1Fu;
        minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code_point = lead & 0x0Fu;
        minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code_point = lead & 0x07u;
        minimum = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        const unsigned char next = byte(i + k);
        if ((next & 0xC0u) != 0x80u) {
            return 0;
        }
        code_point = (code_point << 6) | (next & 0x3Fu);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return 0;
    }
    return length;
}
}  // namespace

std::string printable(std::string_view text) {
    std::string shown;
    shown.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::uint32_t code_point = 0;
        const std::size_t length = sequence_at(text, i, code_point);
        if (length == 0) {
            const auto c = static_cast<unsigned char>(text[i]);
            shown += "\\x";
            shown += k_hex[c >> 4];
            shown += k_hex[c & 0xF];
            ++i;
            continue;
        }
        if (code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F)) {
            shown += "\\u00";
            shown += k_hex[code_point >> 4];
            shown += k_hex[code_point & 0xF];
        } else {
            shown.append(text.substr(i, length));
        }
        i += length;
    }
    return shown;
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        std::uint32_t code_point = 0;
        const std::size_t length = sequence_at(text, i, code_point);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

bool is_decimal_number(std::string_view text, bool whole) {
    std::size_t i = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
    const auto digits = [&] {
        const std::size_t from = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
        }
        return i - from;
    };
    std::size_t mantissa = digits();
    if (!whole && i < text.size() && text[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) {
        return false;
    }
    if (!whole && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == text.size();
}

}  // namespace dsselect
