// The public API around the engine: the expression cache, Evaluation, one-shot evaluate() and
// the CLI's JSON rendering of results.
#include <exception>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/json.h"
#include "core/string_map.h"
#include "core/text.h"
#include "fhirpath/engine.h"
#include "fhirpath/fhirpath.h"
#include "fhirpath/parser.h"

namespace trialbridge::fhirpath {

// --- cache ---

struct ExpressionCache::Impl {
  mutable std::shared_mutex mutex;
  core::StringMap<std::shared_ptr<const Expression>> map;
};

ExpressionCache::ExpressionCache() : impl_(std::make_unique<Impl>()) {}
ExpressionCache::~ExpressionCache() = default;

CompileResult ExpressionCache::get(std::string_view text, const CompileOptions& options) {
  std::string key;
  key.reserve(text.size() + options.contextType.size() + 24);
  key += options.contextType;
  key += '\x1f';
  key += std::to_string(reinterpret_cast<uintptr_t>(options.types));
  key += options.checkOrderedFunctions ? '1' : '0';
  key += '\x1f';
  key += text;
  {
    std::shared_lock lock(impl_->mutex);
    auto it = impl_->map.find(key);
    if (it != impl_->map.end()) return it->second;
  }
  CompileResult r = compile(text, options);
  if (!r) return r;  // errors are not cached: they are rare and carry positions
  std::unique_lock lock(impl_->mutex);
  if (impl_->map.size() > 100000) impl_->map.clear();
  auto [it, inserted] = impl_->map.emplace(std::move(key), r.expression());
  return it->second;
}

size_t ExpressionCache::size() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->map.size();
}

ExpressionCache& ExpressionCache::global() {
  static ExpressionCache cache;
  return cache;
}

// --- evaluation ---

struct Evaluation::Impl {
  Engine engine;
  Coll results;
  Value focus;
};

Evaluation::Evaluation() : impl_(std::make_unique<Impl>()) {}
Evaluation::~Evaluation() = default;

namespace {

Error executionError(const Expression& expr, std::string message, uint32_t pos) {
  Error e;
  e.kind = ErrorKind::Execution;
  e.message = std::move(message);
  e.offset = pos;
  positionOf(expr.text(), pos, e.line, e.column);
  return e;
}

bool runEngine(Engine& engine, const Expression& expr, std::span<const Value> context,
               const Environment& env, Coll& out, Error& error) {
  try {
    engine.run(expr, context, env, out);
    return true;
  } catch (const EvalFailure& f) {
    error = executionError(expr, f.message, f.pos);
  } catch (const std::bad_alloc&) {
    error = executionError(expr, "out of memory", 0);
  } catch (const std::exception& ex) {
    error = executionError(expr, ex.what(), 0);
  }
  out = Coll();
  return false;
}

}  // namespace

bool Evaluation::run(const Expression& expr, const core::Element* focus, const Environment& env) {
  if (focus == nullptr) return run(expr, std::span<const Value>(), env);
  impl_->focus = Value::ofElement(focus);
  return run(expr, std::span<const Value>(&impl_->focus, 1), env);
}

bool Evaluation::run(const Expression& expr, std::span<const Value> context,
                     const Environment& env) {
  impl_->engine.arena().reset();
  impl_->results = Coll();
  return runEngine(impl_->engine, expr, context, env, impl_->results, error_);
}

std::span<const Value> Evaluation::results() const {
  return {impl_->results.data, impl_->results.size};
}

std::optional<bool> Evaluation::boolean() {
  const Coll& r = impl_->results;
  if (r.size == 0) return std::nullopt;
  if (r.size > 1) {
    error_ = Error{ErrorKind::Execution, "expected a single boolean result", 0, 1, 1};
    return std::nullopt;
  }
  const Value& v = r[0];
  if (v.kind == Kind::Boolean) return v.boolean;
  if (v.kind == Kind::Element && v.element->isPrimitive() &&
      systemTypeOf(v.element->type()) == SystemType::Boolean) {
    if (!v.element->hasValue()) return std::nullopt;
    return v.element->value() == "true";
  }
  return true;
}

EvalResult evaluate(const Expression& expr, const core::Element* focus, const Environment& env) {
  auto engine = std::make_shared<Engine>();
  EvalResult result;
  Value ctx = Value::ofElement(focus);
  std::span<const Value> context =
      focus == nullptr ? std::span<const Value>() : std::span<const Value>(&ctx, 1);
  Coll out;
  Error error;
  if (!runEngine(*engine, expr, context, env, out, error)) {
    result.error = std::move(error);
    return result;
  }
  result.values.assign(out.begin(), out.end());
  result.storage = engine;
  return result;
}

// --- JSON output ---

std::string resultsToJson(std::span<const Value> values) {
  std::string out = "[";
  bool first = true;
  for (const Value& v : values) {
    if (!first) out += ",";
    first = false;
    out += "{\"type\":";
    core::appendJsonString(out, typeNameForOutput(v));
    out += ",\"value\":";
    switch (v.kind) {
      case Kind::Element: {
        const core::Element& e = *v.element;
        if (e.isPrimitive()) {
          std::string_view text = e.value();
          if (!e.hasValue()) {
            out += "null";
          } else if (e.type().jsonKind == core::JsonKind::Boolean &&
                     (text == "true" || text == "false")) {
            out += text;
          } else if (e.type().jsonKind == core::JsonKind::Number && core::isJsonNumberText(text)) {
            out += text;
          } else {
            core::appendJsonString(out, text);
          }
        } else {
          out += core::writeJson(e);
        }
        break;
      }
      case Kind::Boolean: out += v.boolean ? "true" : "false"; break;
      case Kind::Integer: out += std::to_string(v.integer); break;
      case Kind::Decimal: out += v.decimal().toString(); break;
      case Kind::String: core::appendJsonString(out, v.string()); break;
      case Kind::Date:
      case Kind::DateTime:
      case Kind::Time:
        core::appendJsonString(out, formatTemporal(v.temporal, v.temporalKind()));
        break;
      case Kind::Quantity:
        out += "{\"value\":";
        out += v.quantity->value.toString();
        out += ",\"unit\":";
        core::appendJsonString(out, v.quantity->unit);
        out += "}";
        break;
      case Kind::Type:
        out += "{\"namespace\":";
        core::appendJsonString(out, v.type->ns());
        out += ",\"name\":";
        core::appendJsonString(out, v.type->name());
        out += "}";
        break;
    }
    out += "}";
  }
  out += "]";
  return out;
}

}  // namespace trialbridge::fhirpath
