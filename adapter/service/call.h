#pragma once
// Internal to the service: one interaction to answer, whatever brought it (an HTTP request, or a
// GET entry of a batch or transaction: those are never turned into fake HTTP requests), and the
// reply, whose body stays a value (a stored resource's JSON, a document, a Bundle, an outcome)
// until the edge renders it in the negotiated format.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "core/resource_io.h"
#include "store/search_query.h"

namespace trialbridge::service {

struct Principal;

enum class Prefer : uint8_t { Representation, Minimal, OperationOutcome };

enum class Summary : uint8_t { None, True, Text, Data, Count };

// How a resource is written back: format, pretty printing, subsetting.
struct Render {
  core::Format format = core::Format::Json;
  bool pretty = false;
  Summary summary = Summary::None;
  std::vector<std::string> elements;  // _elements
  bool subset() const {
    return (summary != Summary::None && summary != Summary::Count) || !elements.empty();
  }
};

struct Call {
  std::string method;
  std::string path;   // below the base, percent-decoded: "Patient/1/_history"
  std::string query;  // raw query string, without '?'
  store::QueryParams params;
  std::string_view body;
  std::string contentType;
  std::string ifMatch, ifNoneMatch, ifNoneExist;
  std::string idempotencyKey;  // the Idempotency-Key header of a write
  Render render;
  Prefer prefer = Prefer::Representation;
  bool strict = false;  // Prefer: handling=strict
  std::string base;     // absolute base URL, no trailing slash
  const Principal* principal = nullptr;
  std::string agentId;
  std::string address;
  bool inBundle = false;  // a GET entry of a batch or transaction
};

struct BundleBody;

// A reply's body, rendered only at the edge.
struct Payload {
  enum class Kind : uint8_t { None, Json, Document, Bundle, Outcome };
  Kind kind = Kind::None;
  std::string json;  // Json: a stored resource, compact (Document: the same, when known)
  std::shared_ptr<const core::Document> document;
  std::shared_ptr<const BundleBody> bundle;
  core::Issues issues;  // Outcome

  static Payload ofJson(std::string json);
  static Payload ofDocument(std::shared_ptr<const core::Document> doc, std::string json = {});
  static Payload ofBundle(std::shared_ptr<const BundleBody> bundle);
  static Payload ofOutcome(core::Issues issues);
  bool empty() const { return kind == Kind::None; }
};

struct BundleEntry {
  std::string fullUrl;
  Payload resource;
  std::string searchMode;  // match, include
  std::string requestMethod, requestUrl;
  bool hasResponse = false;
  std::string status, location, etag, lastModified;
  Payload outcome;  // response.outcome
};

struct BundleBody {
  std::string id;
  std::string type;         // searchset, history, batch-response, transaction-response
  std::string lastUpdated;  // meta.lastUpdated ("" for none)
  std::optional<int64_t> total;
  std::vector<std::pair<std::string, std::string>> links;  // relation, url
  std::vector<BundleEntry> entries;
  // _summary / _elements for the entries' resources (the format is the reply's).
  Summary summary = Summary::None;
  std::vector<std::string> elements;
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  Payload payload;

  void setHeader(std::string name, std::string value);
  std::string_view header(std::string_view name) const;
};

}  // namespace trialbridge::service
