#pragma once
// Reading members of a parsed RapidJSON value without checks at every call: the embedded tables
// and conformance resources are read through these. Each is total: a value that is not an object,
// a member that is absent or of another type gives the empty answer, never an assertion.
#include <rapidjson/document.h>

#include <string>

namespace trialbridge::core::rj {

// The member `name` of obj; nullptr when obj is not an object or has no such member.
inline const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// The string member `name` of obj; empty when it is absent or not a string.
inline std::string stringMember(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  if (v == nullptr || !v->IsString()) return {};
  return {v->GetString(), v->GetStringLength()};
}

// Calls f on each item of the array member `name` of obj (nothing when it is not an array).
template <typename F>
void eachItem(const rapidjson::Value& obj, const char* name, F&& f) {
  const rapidjson::Value* arr = member(obj, name);
  if (arr == nullptr || !arr->IsArray()) return;
  for (const rapidjson::Value& v : arr->GetArray()) f(v);
}

}  // namespace trialbridge::core::rj
