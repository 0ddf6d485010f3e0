#include "service/publish_json.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "core/json_input.h"
#include "core/text.h"

namespace trialbridge::service {

namespace {

JsonTree fromNode(const core::JsonNode& n) {
  JsonTree t;
  switch (n.kind()) {
    case core::JsonNode::Kind::Missing:
    case core::JsonNode::Kind::Null: t.kind = JsonTree::Kind::Null; break;
    case core::JsonNode::Kind::Bool:
      t.kind = JsonTree::Kind::Bool;
      t.text = n.isTrue() ? "true" : "false";
      break;
    case core::JsonNode::Kind::Number:
      t.kind = JsonTree::Kind::Number;
      t.text = n.number();
      break;
    case core::JsonNode::Kind::String:
      t.kind = JsonTree::Kind::String;
      t.text = n.str();
      break;
    case core::JsonNode::Kind::Array:
      t.kind = JsonTree::Kind::Array;
      for (size_t i = 0; i < n.size(); ++i) t.items.push_back(fromNode(n.item(i)));
      break;
    case core::JsonNode::Kind::Object:
      t.kind = JsonTree::Kind::Object;
      for (const std::string& k : n.keys()) t.members.push_back({k, fromNode(n.get(k))});
      break;
  }
  return t;
}

// The shortest text that reads back as the same double; integers that a double cannot hold
// exactly keep their digits.
std::string canonicalNumber(const std::string& text) {
  const bool integral = text.find_first_of(".eE") == std::string::npos;
  if (integral && text.size() > 15) return text;
  double v = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), v);
  if (parsed.ec != std::errc()) return text;
  if (v == 0) return "0";
  char buf[64];
  const auto written = std::to_chars(buf, buf + sizeof buf, v);
  if (written.ec != std::errc()) return text;
  return std::string(buf, written.ptr);
}

void write(const JsonTree& t, bool canonical, std::string& out) {
  switch (t.kind) {
    case JsonTree::Kind::Null: out += "null"; return;
    case JsonTree::Kind::Bool: out += t.text; return;
    case JsonTree::Kind::Number: out += canonical ? canonicalNumber(t.text) : t.text; return;
    case JsonTree::Kind::String: core::appendJsonString(out, t.text); return;
    case JsonTree::Kind::Array:
      out += '[';
      for (size_t i = 0; i < t.items.size(); ++i) {
        if (i > 0) out += ',';
        write(t.items[i], canonical, out);
      }
      out += ']';
      return;
    case JsonTree::Kind::Object: {
      std::vector<const JsonMember*> members;
      for (const auto& m : t.members) members.push_back(&m);
      if (canonical) {
        std::stable_sort(members.begin(), members.end(),
                         [](const auto* a, const auto* b) { return a->name < b->name; });
      }
      out += '{';
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out += ',';
        core::appendJsonString(out, members[i]->name);
        out += ':';
        write(members[i]->value, canonical, out);
      }
      out += '}';
      return;
    }
  }
}

std::string memberPath(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

void diff(const JsonTree* a, const JsonTree* b, const std::string& path, size_t limit,
          std::vector<FieldChange>& out) {
  if (out.size() >= limit) return;
  if (a != nullptr && b != nullptr && a->kind == b->kind && a->isObject()) {
    for (const auto& [name, value] : a->members) {
      diff(&value, b->get(name), memberPath(path, name), limit, out);
    }
    for (const auto& [name, value] : b->members) {
      if (a->get(name) == nullptr) diff(nullptr, &value, memberPath(path, name), limit, out);
    }
    return;
  }
  if (a != nullptr && b != nullptr && a->kind == b->kind && a->isArray()) {
    const size_t n = std::max(a->items.size(), b->items.size());
    for (size_t i = 0; i < n; ++i) {
      diff(i < a->items.size() ? &a->items[i] : nullptr,
           i < b->items.size() ? &b->items[i] : nullptr, path + "[" + std::to_string(i) + "]",
           limit, out);
    }
    return;
  }
  const std::string before = a != nullptr ? writeJsonTree(*a, true) : std::string();
  const std::string after = b != nullptr ? writeJsonTree(*b, true) : std::string();
  if (before != after && out.size() < limit) out.push_back({path, before, after});
}

}  // namespace

JsonTree JsonTree::object() {
  JsonTree t;
  t.kind = Kind::Object;
  return t;
}

JsonTree JsonTree::array() {
  JsonTree t;
  t.kind = Kind::Array;
  return t;
}

JsonTree JsonTree::string(std::string value) {
  JsonTree t;
  t.kind = Kind::String;
  t.text = std::move(value);
  return t;
}

const JsonTree* JsonTree::get(std::string_view name) const {
  for (const auto& [n, v] : members) {
    if (n == name) return &v;
  }
  return nullptr;
}

JsonTree* JsonTree::get(std::string_view name) {
  for (auto& [n, v] : members) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string JsonTree::str(std::string_view name) const {
  const JsonTree* v = get(name);
  return v != nullptr && v->isString() ? v->text : std::string();
}

void JsonTree::remove(std::string_view name) {
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const JsonMember& m) { return m.name == name; }),
                members.end());
}

JsonTree& JsonTree::set(std::string_view name, JsonTree value) {
  if (JsonTree* v = get(name)) {
    *v = std::move(value);
    return *v;
  }
  members.push_back({std::string(name), std::move(value)});
  return members.back().value;
}

std::optional<JsonTree> parseJsonTree(std::string_view text, std::string& error) {
  core::JsonInput input;
  core::Issues issues;
  if (!input.parse(text, issues)) {
    error = "not JSON";
    for (const core::Issue& i : issues.items()) {
      error = "line " + std::to_string(i.line) + ", column " + std::to_string(i.column) + ": " +
              i.message;
      break;
    }
    return std::nullopt;
  }
  return fromNode(input.root());
}

std::string writeJsonTree(const JsonTree& tree, bool canonical) {
  std::string out;
  write(tree, canonical, out);
  return out;
}

std::string canonicalContent(const JsonTree& resource) {
  if (!resource.isObject()) return writeJsonTree(resource, true);
  JsonTree copy = resource;
  copy.remove("id");
  copy.remove("meta");
  return writeJsonTree(copy, true);
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return core::hexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::vector<FieldChange> diffJson(const JsonTree& before, const JsonTree& after, size_t limit) {
  std::vector<FieldChange> out;
  diff(&before, &after, "", limit, out);
  return out;
}

void forEachReference(JsonTree& tree, const std::function<void(std::string&)>& fn) {
  if (tree.isArray()) {
    for (JsonTree& item : tree.items) forEachReference(item, fn);
    return;
  }
  if (!tree.isObject()) return;
  for (auto& [name, value] : tree.members) {
    if (name == "reference" && value.isString()) {
      fn(value.text);
    } else {
      forEachReference(value, fn);
    }
  }
}

}  // namespace trialbridge::service
