#pragma once
// Text that reaches a person's terminal: error messages, stderr lines and table cells. One
// helper escapes everything that could forge a line or drive the terminal, so that a value
// echoed from the command line or a data file stays on its line and prints as typed.
#include <string>
#include <string_view>

namespace dsselect {

// `text` with C0 controls (newline, tab, ESC...), DEL and C1 controls written as \u00XX, and
// each byte that is not part of well-formed UTF-8 written as \xNN. Everything else, backslash
// included, is unchanged, so escaping twice changes nothing. The result is valid UTF-8.
std::string printable(std::string_view text);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Whether `text` is a decimal number as a person types one: [+-]digits[.digits][(e|E)[+-]digits],
// without the fraction and exponent when `whole`; nothing else (no spaces, no hex "0x1" or hex
// floats, no "nan" or "inf", which std::stod and CLI11 would also read).
bool is_decimal_number(std::string_view text, bool whole);

}  // namespace dsselect
