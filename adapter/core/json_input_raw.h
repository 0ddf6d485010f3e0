#pragma once
// For the few users of core/json_input.h that hand the parsed document to RapidJSON itself (the
// study layer's JSON Schema checker). Includes RapidJSON: include it from .cc files only, never
// from a public header.
#include <rapidjson/document.h>

#include "core/json_input.h"

namespace trialbridge::core {

// The RapidJSON value of a node; nullptr when the node does not exist.
inline const rapidjson::Value* rapidjsonValue(const JsonNode& node) {
  return static_cast<const rapidjson::Value*>(node.value());
}

}  // namespace trialbridge::core
