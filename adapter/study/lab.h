#pragma once
// Laboratory results as the protocol's logic sees them, and what it knows about tests
// (mappings/lab-analytes.json, embedded): which codes measure the same analyte, the unit results
// are compared in, and molar masses for mass <-> substance concentration.
//
// Units are UCUM codes. Every comparison converts first (conformance/ucum.h; 10*3/uL and 10*9/L
// are the same count per volume; mg/dL and umol/L of creatinine or bilirubin through the molar
// mass); when units cannot be converted the caller gets nothing and the reason, and the rule
// that asked says "cannot be evaluated": never a comparison of numbers in different units.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/instant.h"
#include "study/trial.h"

namespace trialbridge::study {

// One result (an Observation, an OBX) reduced to what the rules read. The pipeline or mapping
// layer fills it; nothing here reads FHIR.
struct LabResult {
  std::string source;        // where it came from, for evidence: "Observation/123"
  std::string system, code;  // the test (LOINC when known)
  // A quantity: the value and, for a censored value ("<5"), its comparator (<, <=, >=, >).
  std::optional<double> value;
  std::string comparator;
  std::string unit;  // UCUM
  // The reference range as the laboratory gave it; rangeUnit "" means the value's unit.
  std::optional<double> low, high;
  std::string rangeUnit;
  // A qualitative value: a code (SNOMED CT, LOINC answer) or text, and the interpretation code
  // (v3 ObservationInterpretation: POS, NEG, N, A, H, L...).
  std::string valueSystem, valueCode, valueText;
  std::string interpretation;
  Instant effective;
};

struct Analyte {
  struct Code {
    std::string system, code;
    std::string specimen;  // serum, blood, urine, or ""
  };
  std::string id, name;
  std::string unit;                 // UCUM: the unit results are compared in
  std::optional<double> molarMass;  // g/mol
  std::vector<Code> codes;
};

// The analytes of mappings/lab-analytes.json. Built on first use; thread-safe; lookups do not
// allocate.
class LabCatalog {
 public:
  static const LabCatalog& get();
  const Analyte* find(std::string_view system, std::string_view code) const;
  const Analyte* byId(std::string_view id) const;
  // The analyte of the first code of `test` that has one.
  const Analyte* forConcept(const Concept& test) const;
  // The specimen the catalogue gives for a code ("" when it gives none).
  std::string_view specimen(std::string_view system, std::string_view code) const;
  const std::vector<Analyte>& analytes() const { return analytes_; }

 private:
  LabCatalog();
  std::vector<Analyte> analytes_;
  std::map<std::string, size_t, std::less<>> byCode_;  // code -> analyte (systems checked after)
};

// Whether a result with this code answers a test named by `test`: one of its codes, or a
// code of the same analyte.
bool sameTest(const Concept& test, std::string_view system, std::string_view code);
// The same between two codes.
bool sameTest(std::string_view systemA, std::string_view codeA, std::string_view systemB,
              std::string_view codeB);

// The codes of `test` and every code of the same analytes (the codes a store search for the test
// must list, e.g. SubjectDirectory::results).
std::vector<Coding> testCodes(const Concept& test);

// Converts `value` from unit `from` to unit `to`: by UCUM when comparable, else through the
// analyte's molar mass (mass concentration <-> substance concentration). nullopt, with `why`,
// when the units are not UCUM or cannot be converted.
std::optional<double> convertUnit(double value, std::string_view from, std::string_view to,
                                  const Analyte* analyte, std::string* why);

// An interval of possible true values for a result: a censored value "<5" is [-inf, 5).
struct ValueRange {
  double low = 0, high = 0;  // in the unit asked for
  bool lowOpen = false, highOpen = false;
  bool point() const { return low == high && !lowOpen && !highOpen; }
};
// The result's value in `unit`, as a range (a point unless censored); nullopt with `why` when
// the result has no numeric value or its unit cannot be converted.
std::optional<ValueRange> valueIn(const LabResult& result, std::string_view unit,
                                  const Analyte* analyte, std::string* why);

// A subject's facts the rules read. birthDate may be partial (the trial's birth-date precision);
// ages are then ranges.
struct SubjectFacts {
  std::string sex;        // FHIR administrative gender: female, male, other, unknown, ""
  std::string birthDate;  // YYYY[-MM[-DD]], or ""
  std::optional<bool> childbearingPotential;
};

// The limits of normal for a result, in `unit` (the result's unit when empty): the result's own
// reference range when it has the limit asked for, else the first of the trial's configured
// ranges (laboratory.referenceRanges) for the same test whose sex and ages fit the subject.
struct NormalLimits {
  std::optional<double> low, high;
  std::string unit;
  std::string source;  // "result", "trial", or "" when none
};
NormalLimits normalLimits(const Trial& trial, const LabResult& result, const SubjectFacts& subject,
                          std::string_view unit, std::string* why);

// Whether the subject has reached the age `value` `unit` (a, mo, wk, d) on the local day of
// `when`: true, false, or nullopt when the birth date is missing or too partial to tell (born
// "1988" is 36 on some days of 2025 and 37 on others).
std::optional<bool> hasReachedAge(std::string_view birthDate, const Instant& when, double value,
                                  std::string_view unit);

}  // namespace trialbridge::study
