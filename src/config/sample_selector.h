#pragma once
// Parses the sample selectors of `scrape.metrics`: a Prometheus metric name with an optional
// set of exact label matchers, `process_cpu_ratio{mode="user",cpu="0"}`. Pure; control thread.
//
// The grammar is the exposition format's (text 0.0.4) series syntax, so that a selector can be
// copied from a backend's /metrics page: names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]*, double-quoted values with the escapes \\, \" and \n, blanks allowed
// around the tokens inside the braces, an optional trailing comma. Only `=` matchers: a
// selector names samples, it does not query them. metrics/exposition_parser.h reads the
// samples themselves; config/ sits below metrics/, hence two small parsers of one syntax.

#include <string_view>

#include "config/scrape_schema.h"
#include "core/result.h"

namespace tidegate::config {

// The selector, or an error saying what is wrong and where ("at column 9: ...", 1-based).
Result<SampleSelector> parseSampleSelector(std::string_view text);

}  // namespace tidegate::config
