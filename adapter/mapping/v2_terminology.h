#pragma once
// The terminology the HL7 v2 to FHIR mapping needs, from the data in mappings/v2/ (embedded in the
// binary) and, when given, a site directory read at run time:
//   coding-systems.json  v2 coding system names (table 0396: LN, SCT, HL70078 ...), OIDs,
//                        universal id types (HD-3) and assigning authorities, to FHIR URIs
//   units.json           units as laboratories write them, to UCUM codes
//   concept-maps.json    FHIR ConceptMaps (a Bundle) for the v2 tables the mapping translates:
//                        0001, 0004, 0038, 0078, 0085, 0123, 0136, 0190, 0200, 0201, 0202
//   lab-codes.json       a ConceptMap from common local laboratory codes to LOINC
// A site directory holds any number of ConceptMaps (one resource, or a Bundle of them, per *.json
// file) and, optionally, its own coding-systems.json and units.json; its entries extend the
// defaults, and override them for the same source and code (a site's PLT means what the site
// says). Nothing needs rebuilding.
//
// ConceptMap groups are looked up by source and target system. A group's source may be a URI or,
// for local codes, the v2 name of the coding system as the sender writes it (99TXL, L); a group
// without a source applies to codes whose coding system is local (no URI known, or a 99zzz or L
// name). Immutable once loaded; thread-safe to read.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/element.h"
#include "core/issue.h"
#include "core/string_map.h"

namespace trialbridge::mapping {

class V2Terminology {
 public:
  struct Target {
    std::string code;
    std::string display;
    bool unmatched = false;  // the map says the code has no equivalent
  };

  // The embedded defaults, read once per type resolver. Throws std::logic_error when the
  // embedded data is broken (a build defect, caught by the tests).
  static std::shared_ptr<const V2Terminology> defaults(const core::TypeResolver& types);
  // The defaults with a site directory's files over them. Problems in the files are issues whose
  // message starts with the file's path; nullptr when any is an error.
  static std::shared_ptr<const V2Terminology> withSiteDirectory(const std::string& directory,
                                                                const core::TypeResolver& types,
                                                                core::Issues& issues);

  // The URI of a v2 coding system name: the table above, then HL7nnnn as HL7 table nnnn; "" when
  // none is known (a local system).
  std::string systemUri(std::string_view name) const;
  // Whether a name is a local coding system (99zzz, L, or any name without a URI).
  bool isLocalSystem(std::string_view name) const { return systemUri(name).empty(); }
  // The URI for an OID: a known system (2.16.840.1.113883.6.1 is LOINC) or urn:oid:{oid}.
  std::string oidUri(std::string_view oid) const;
  // The identifier system of an HD-3 universal id type (CLIA, NPI), or "".
  std::string universalIdTypeSystem(std::string_view type) const;
  // The identifier system a site gives an assigning authority's namespace id (HD-1), or "".
  std::string assigningAuthority(std::string_view namespaceId) const;
  // Every assigning authority the site named (namespace id -> identifier system).
  const std::map<std::string, std::string, std::less<>>& assigningAuthorities() const {
    return assigningAuthorities_;
  }
  // The UCUM code of a unit as written (exact, then ignoring case), or "".
  std::string ucumFor(std::string_view written) const;

  // The target in `targetSystem` of `code` from `sourceSystem` (a URI or a v2 name); for a local
  // source, groups without a source are tried after the source's own. nullopt when no map has it.
  std::optional<Target> translate(std::string_view sourceSystem, std::string_view code,
                                  std::string_view targetSystem, bool localSource = false) const;

 private:
  V2Terminology() = default;
  static std::shared_ptr<const V2Terminology> readDefaults(const core::TypeResolver& types);
  // Reads one file's worth; `origin` names it in issues. False on an error.
  bool readCodingSystems(std::string_view json, const std::string& origin, core::Issues& issues);
  bool readUnits(std::string_view json, const std::string& origin, core::Issues& issues);
  bool readConceptMaps(std::string_view json, const std::string& origin,
                       const core::TypeResolver& types, core::Issues& issues);
  void readConceptMap(const core::Element& map);

  using Map = std::map<std::string, std::string, std::less<>>;
  // Hashed: asked for on every coded value of a message.
  core::StringMap<std::string> codingSystems_;
  Map oids_, universalIdTypes_, assigningAuthorities_, units_, unitsFolded_;
  // target '\n' source '\n' code -> target concept
  core::StringMap<Target> concepts_;
};

}  // namespace trialbridge::mapping
