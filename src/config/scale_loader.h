#pragma once
// Reads an upstream's `scale:` block into a ScaleConfig. Called by the config loader (control
// thread) for each upstream that has one; every problem is reported with its YAML mark.
//
// Built-in policy parameters are only converted to JSON here: config/ sits below scale/ and
// cannot know what each policy accepts; scale::validatePolicy checks them (tidegate check).

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>

#include "config/scale_schema.h"

namespace tidegate::config {

// Receives one problem at a time: where it is, and the full message ("upstreams.app.scale...").
using ScaleErrorFn = std::function<void(const YAML::Mark& mark, std::string message)>;

// `value` is the block, `key` its key (used for the mark when the value is empty), `where` the
// path for messages ("upstreams.app.scale"), `file` the config file name (for SourceMarks).
// Returns the config when the block had no errors; nullopt after reporting at least one.
std::optional<ScaleConfig> parseScaleBlock(const YAML::Node& value, const YAML::Node& key,
                                           const std::string& where, const std::string& file,
                                           const ScaleErrorFn& report);

// A YAML subtree as JSON text: plain scalars become numbers, booleans or null when they read as
// one, quoted scalars stay strings; mappings become objects, sequences arrays. Mapping keys must
// be scalars (reported otherwise).
std::optional<std::string> yamlToJson(const YAML::Node& node, const std::string& where,
                                      const ScaleErrorFn& report);

}  // namespace tidegate::config
