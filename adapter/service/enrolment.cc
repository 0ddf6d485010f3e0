#include "service/enrolment.h"

#include "core/json_input.h"
#include "mapping/subject_mapper.h"
#include "mapping/trial_mapping.h"
#include "pipeline/store_subject_directory.h"
#include "study/entity_reader.h"

namespace trialbridge::service {

using core::IssueType;
using core::Severity;
using pipeline::Status;

void TrialCatalog::add(study::Trial trial, std::optional<mapping::Pseudonymizer> pseudonymizer) {
  auto shared = std::make_shared<const study::Trial>(std::move(trial));
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.trial->id == shared->id) {
      e = Entry{std::move(shared), std::move(pseudonymizer)};
      return;
    }
  }
  entries_.push_back(Entry{std::move(shared), std::move(pseudonymizer)});
}

std::optional<TrialCatalog::Entry> TrialCatalog::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.trial->isNamed(name)) return e;
  }
  return std::nullopt;
}

std::vector<TrialCatalog::Entry> TrialCatalog::all() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

size_t TrialCatalog::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

namespace {

EnrolResult refuse(Status status, std::string message, std::string location = {}) {
  EnrolResult r;
  r.status = status;
  r.issues.add(Severity::Error,
               status == Status::NotFound      ? IssueType::NotFound
               : status == Status::Conflict    ? IssueType::Duplicate
               : status == Status::Unavailable ? IssueType::Exception
                                               : IssueType::Invalid,
               std::move(message), std::move(location));
  return r;
}

// The trial the file names, read without the trial (which is needed to read the rest).
std::string trialNamed(std::string_view json, core::Issues& issues) {
  core::JsonInput in;
  if (!in.parse(json, issues)) return {};
  return in.root().str("trial");
}

}  // namespace

EnrolResult enrolSubject(const pipeline::Pipeline& pipeline, const TrialCatalog& trials,
                         std::string_view json, const pipeline::Options& write) {
  core::Issues issues;
  const std::string name = trialNamed(json, issues);
  if (issues.hasErrors()) {
    EnrolResult r;
    r.status = Status::Unprocessable;
    r.issues = std::move(issues);
    return r;
  }
  std::optional<TrialCatalog::Entry> trial = trials.find(name);
  if (!trial) {
    return refuse(Status::NotFound,
                  name.empty() ? "the entity file names no trial"
                               : "the trial '" + name + "' is not loaded in this service",
                  "$.trial");
  }
  std::optional<study::Entity> entity = study::readEntity(json, *trial->trial, issues);
  if (!entity) {
    EnrolResult r;
    r.status = Status::Unprocessable;
    r.issues = std::move(issues);
    return r;
  }
  if (entity->kind != study::Entity::Kind::Subject) {
    return refuse(Status::Unprocessable,
                  "only subjects are enrolled; write adverse events as FHIR AdverseEvent",
                  "$.kind");
  }
  const study::SubjectRecord& subject = entity->subject;
  if (!trial->pseudonymizer) {
    return refuse(Status::Unavailable,
                  "no pseudonymisation secret is configured for the trial " + trial->trial->id +
                      ": the service needs --secret-file, " +
                      mapping::Pseudonymizer::secretVariable(trial->trial->id) +
                      " or trialSecrets in its configuration");
  }
  // A hospital number already enrolled under another subject number is refused.
  const study::HospitalIdentifier& source = mapping::pseudonymSource(subject);
  const pipeline::StoreSubjectDirectory directory(pipeline.store());
  auto existing = directory.findByPseudonym(
      *trial->trial, trial->pseudonymizer->pseudonym(source.system, source.value));
  if (!existing) return refuse(Status::Internal, existing.message());
  if (existing->has_value() && (*existing)->record.subjectId != subject.subjectId) {
    return refuse(Status::Conflict,
                  "the subject's hospital identifier is enrolled in " + trial->trial->id +
                      " as subject " + (*existing)->record.subjectId,
                  "$.hospitalIdentifiers");
  }
  mapping::MapOptions options;
  options.fullUrlBase = write.baseUrl.empty() ? options.fullUrlBase : write.baseUrl;
  options.pseudonymizer = trial->pseudonymizer;
  auto bundle = mapping::mapEntities(*trial->trial, {*entity}, options, pipeline.store().types());
  if (!bundle) return refuse(Status::Invalid, bundle.message());
  EnrolResult r;
  r.subjectId = subject.subjectId;
  r.issues = std::move(issues);  // warnings of the entity reader
  r.stored = pipeline.apply(pipeline::Change::bundle(std::move(bundle.value())), write);
  r.status = r.stored.status;
  for (const core::Issue& i : r.stored.issues.items()) r.issues.add(i);
  return r;
}

}  // namespace trialbridge::service
