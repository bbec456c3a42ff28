// Input reading (the one seam: read_data_file, InputLines) and the printable() helper that
// every message and table cell goes through (issue 24).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iterator>

#include <unistd.h>

#include "dsselect/catalog/input.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"
#include "dsselect/report/table.hpp"
#include "support/helpers.hpp"

using dsselect::Error;
using dsselect::ErrorKind;
using dsselect::InputLines;
using dsselect::printable;

TEST_CASE("printable: controls and DEL and C1 and ill-formed UTF-8 are escaped, the rest is unchanged", "[text]") {
    CHECK(printable("plain \\ text é ✓") == "plain \\ text é ✓");
    CHECK(printable("a\nb\tc\rd") == "a\\u000ab\\u0009c\\u000dd");
    CHECK(printable("\x1b[31mred\x7f") == "\\u001b[31mred\\u007f");
    CHECK(printable("\xC2\x9B" "2J") == "\\u009b2J");            // C1 CSI
    CHECK(printable("x\xff\xC3") == "x\\xff\\xc3");                // stray byte, truncated sequence
    CHECK(printable("\xC0\xAF") == "\\xc0\\xaf");                  // overlong '/'
    CHECK(printable("\xED\xA0\x80") == "\\xed\\xa0\\x80");          // surrogate
    CHECK(printable(printable("a\nb\xff")) == printable("a\nb\xff"));  // idempotent
    CHECK(dsselect::is_valid_utf8(printable("\xff\xfe\n")));
    CHECK_FALSE(dsselect::is_valid_utf8("\xff"));
}

TEST_CASE("cli: an echoed value with a newline stays on one stderr line", "[text][cli]") {
    const auto result = test::run_cli({"estimate", "--model", "nano\nINJECTED: all good", "--gpu", "a10"});
    CHECK(result.status == 2);
    CHECK(result.err.find("\nINJECTED") == std::string::npos);
    CHECK(test::first_line(result.err) == "dsselect: error: unknown model 'nano\\u000aINJECTED: all good'");
}

TEST_CASE("input: lines come back without their newline, the last one without one too", "[input]") {
    test::TempFile file("lines.jsonl", "one\r\n\ntwo\nthree");
    InputLines input(file.path());
    std::vector<std::string> lines;
    for (std::string line; input.next(line);) {
        lines.push_back(line);
    }
    CHECK(lines == std::vector<std::string>{"one\r", "", "two", "three"});
}

TEST_CASE("input: the line bound and the total bound are named when hit", "[input]") {
    const std::string long_line(3 << 20, 'x');
    {
        test::TempFile file("long.jsonl", "ok\n" + long_line + "\n");
        InputLines input(file.path(), std::size_t{1} << 20, std::size_t{64} << 20);
        std::string line;
        CHECK(input.next(line));
        try {
            input.next(line);
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::invalid_data);
            CHECK(std::string(error.what()) == file.path() + ":2: line longer than 1 MiB; a batch item is at most that large");
        }
    }
    {
        std::string many;
        for (int i = 0; i < 40000; ++i) {
            many += "a line of about forty bytes, repeated......\n";
        }
        test::TempFile file("many.jsonl", many);
        InputLines input(file.path(), std::size_t{1} << 20, std::size_t{1} << 20);
        std::string line;
        try {
            while (input.next(line)) {
            }
            FAIL("no error");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::invalid_data);
            CHECK(std::string(error.what()) ==
                  file.path() + ": more than 1 MiB of input; a batch input is at most that large (split it)");
        }
    }
}

TEST_CASE("input: a directory or a missing path is exit 66 naming it", "[input]") {
    try {
        InputLines input("/");
        FAIL("no error");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::input_missing);
        CHECK(std::string(error.what()) == "/: is a directory, expected a JSON Lines file");
    }
    CHECK_THROWS_WITH(dsselect::read_data_file("/nonexistent/x.json"), "/nonexistent/x.json: no such file");
}

namespace {
std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("output-file: a link is kept and its regular target replaced with its mode and a device is written in place",
          "[output]") {
    const auto directory = std::filesystem::temp_directory_path() / ("dsselect-output-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    const std::string target = (directory / "target.txt").string();
    const std::string link = (directory / "link").string();
    std::ofstream(target) << "old";
    std::filesystem::permissions(target, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::create_symlink(target, link);

    auto result = test::run_cli({"--output-file", link, "catalog", "models"});
    CHECK(result.status == 0);
    CHECK(std::filesystem::is_symlink(link));
    CHECK(slurp(target).find("base") != std::string::npos);
    CHECK(std::filesystem::status(target).permissions() ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    // A link to a device is written through: the device stays a device, the link a link.
    const std::string null_link = (directory / "null").string();
    std::filesystem::create_symlink("/dev/null", null_link);
    result = test::run_cli({"--output-file", null_link, "catalog", "models"});
    CHECK(result.status == 0);
    CHECK(std::filesystem::is_symlink(null_link));
    CHECK(std::filesystem::is_character_file("/dev/null"));

    // Nothing but the two files and two links is left: no temporary.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) {
        ++entries;
    }
    CHECK(entries == 3);
    std::filesystem::remove_all(directory);
}

TEST_CASE("tables: tabs and newlines and escape sequences in ids are escaped whether piped or aligned", "[text]") {
    dsselect::report::Table table;
    table.columns = {{"id"}, {"name"}};
    table.rows = {{"ev\x1b[31mil\tx", "N\nINJECTED"}};
    const std::string piped = dsselect::report::render_text({table}, dsselect::report::TextStyle::tab_separated,
                                                            dsselect::report::Color::off);
    CHECK(piped == "id\tname\nev\\u001b[31mil\\u0009x\tN\\u000aINJECTED\n");
    const std::string aligned =
        dsselect::report::render_text({table}, dsselect::report::TextStyle::aligned, dsselect::report::Color::off);
    CHECK(aligned.find('\x1b') == std::string::npos);
    CHECK(std::count(aligned.begin(), aligned.end(), '\n') == 3);
}
