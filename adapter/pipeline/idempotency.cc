// Idempotency keys: a change's digest, and its results kept with the key so that a replay gets
// the first answer without writing anything.
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <charconv>

#include "core/json.h"
#include "pipeline/steps.h"

namespace trialbridge::pipeline::detail {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find(sep, pos);
    if (next == std::string_view::npos) next = text.size();
    out.push_back(text.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

bool number(std::string_view text, int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string digest(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string fingerprintOf(const Change& change, const Options& options) {
  std::string text;
  text += std::to_string(static_cast<int>(change.kind));
  for (const std::string* part :
       {&change.type, &change.id, &change.criteria, &options.ifNoneExist}) {
    text += '\n';
    text += *part;
  }
  text += '\n';
  if (options.ifMatch) text += std::to_string(*options.ifMatch);
  text += '\n';
  if (change.document != nullptr && change.document->root() != nullptr) {
    text += core::writeJson(*change.document->root());
  } else {
    text += change.payload;
  }
  return digest(text);
}

// One line per step: status, outcome, type, id, version, lastUpdated, tab-separated (none of
// them can hold a tab or a newline).
std::string encodeResults(const std::vector<Step*>& steps) {
  std::string out;
  for (const Step* st : steps) {
    const EntryResult& e = st->result;
    out += std::to_string(static_cast<int>(e.status)) + '\t' +
           std::to_string(static_cast<int>(e.outcome)) + '\t' + e.type + '\t' + e.id + '\t' +
           std::to_string(e.version) + '\t' + e.lastUpdated + '\n';
  }
  return out;
}

bool decodeResults(std::string_view text, std::vector<Step*>& steps) {
  std::vector<std::string_view> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() != steps.size()) return false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::vector<std::string_view> f = split(lines[i], '\t');
    int64_t status = 0, outcome = 0, version = 0;
    if (f.size() != 6 || !number(f[0], status) || !number(f[1], outcome) ||
        !number(f[4], version) || status < 0 || status > static_cast<int>(Status::Internal) ||
        outcome < 0 || outcome > static_cast<int>(Outcome::Read)) {
      return false;
    }
    EntryResult& e = steps[i]->result;
    e.status = static_cast<Status>(status);
    e.outcome = static_cast<Outcome>(outcome);
    e.type = std::string(f[2]);
    e.id = std::string(f[3]);
    e.version = version;
    e.lastUpdated = std::string(f[5]);
  }
  return true;
}

}  // namespace trialbridge::pipeline::detail
