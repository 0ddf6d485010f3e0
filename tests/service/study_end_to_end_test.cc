// End to end (issue 11): `trialbridge serve --trial NCT06813157.json --secret-file ... --mllp-port
// 0` in a child process; the sample subjects enrolled through $enrol; the HL7 v2 samples
// (samples/hl7v2/) sent over MLLP with mllp_send (Debian python3-hl7), a message of a patient
// who is no subject, and the FHIR samples (samples/fhir/, as the EHR holds them: the hospital's
// Patient) through $ingest. Every ACK is positive; the stored Observations, derived responses and
// draft AdverseEvents are read back with fhir-kit-client and validate against the trial profiles
// (study_readback.mjs); the store file, the server's log and /metrics hold no MRN,
// name or birth date of the sample patients.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "child_process.h"
#include "core/issue.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"
#include "test_client.h"
#include "v2_samples.h"

namespace trialbridge::testing {
namespace {

const std::string kRoot = TB_SOURCE_ROOT;

std::vector<std::string> subjectFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/samples/entities")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("nct06813157-subject-", 0) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A birth date as HL7 v2 (19880412) and FHIR (1988-04-12) write it.
void addDate(std::set<std::string>& out, const std::string& date) {
  std::string digits;
  for (char c : date) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() < 8) return;
  digits.resize(8);
  out.insert(digits);
  out.insert(digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2));
}

// What identifies the sample patients: PID-3's identifiers, PID-5's family and given names and
// PID-7's birth date of every sample message, and the hospital identifiers, names and birth
// dates of the subjects' entity files. Names shorter than 4 characters ("Li") are left out: they
// are parts of ordinary words and cannot be scanned for.
std::set<std::string> identities(const std::vector<V2Sample>& samples) {
  std::set<std::string> out;
  auto name = [&](std::string n) {
    if (n.size() >= 4) out.insert(std::move(n));
  };
  for (const V2Sample& s : samples) {
    core::Issues issues;
    const std::optional<hl7v2::Message> m = hl7v2::parseMessage(slurpFile(s.file), issues);
    EXPECT_TRUE(m.has_value()) << s.file;
    if (!m) continue;
    const std::optional<hl7v2::Segment> pid = m->find("PID");
    if (!pid) continue;
    const hl7v2::Value ids = pid->field(3);
    for (size_t i = 1; i <= ids.repetitionCount(); ++i) {
      out.insert(ids.repetition(i).component(1).text());
    }
    const hl7v2::Value names = pid->field(5);
    for (size_t i = 1; i <= names.repetitionCount(); ++i) {
      const std::string family = names.repetition(i).component(1).text();
      const std::string given = names.repetition(i).component(2).text();
      name(family);
      name(given);
      name(family + given);  // as CJK names are written (王丽)
    }
    addDate(out, pid->field(7).component(1).text());
  }
  for (const std::string& file : subjectFiles()) {
    rapidjson::Document d;
    d.Parse(slurpFile(file).c_str());
    EXPECT_TRUE(d.IsObject()) << file;
    if (!d.IsObject()) continue;
    for (const auto& id : d["hospitalIdentifiers"].GetArray()) out.insert(id["value"].GetString());
    if (d.HasMember("birthDate")) addDate(out, d["birthDate"].GetString());
    if (d.HasMember("name") && d["name"].IsString()) {
      const std::string full = d["name"].GetString();
      name(full);
      for (size_t at = 0; at <= full.size();) {
        const size_t end = std::min(full.find(' ', at), full.size());
        name(full.substr(at, end - at));
        at = end + 1;
      }
    } else if (d.HasMember("name")) {
      name(d["name"]["family"].GetString());
      for (const auto& g : d["name"]["given"].GetArray()) name(g.GetString());
    }
  }
  out.erase("");
  return out;
}

std::string write(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return b.GetString();
}

// The FHIR samples as the hospital's EHR holds them: the sample Patient with ITP-0001's hospital
// identifier, name and birth date (from its entity file), the sample platelet count, and an ALT
// of the same subject at CTCAE grade 3 (over 5 x ULN), in one collection Bundle for $ingest.
std::string ehrBundle() {
  rapidjson::Document subject, patient, platelets;
  subject.Parse(slurpFile(kRoot + "/samples/entities/nct06813157-subject-itp-0001.json").c_str());
  patient.Parse(slurpFile(kRoot + "/samples/fhir/patient-example.json").c_str());
  platelets.Parse(slurpFile(kRoot + "/samples/fhir/observation-platelets.json").c_str());
  auto& a = patient.GetAllocator();
  const auto& mrn = subject["hospitalIdentifiers"][0];
  rapidjson::Value identifier(rapidjson::kObjectType);
  identifier.AddMember("system", rapidjson::Value(mrn["system"], a), a);
  identifier.AddMember("value", rapidjson::Value(mrn["value"], a), a);
  patient["identifier"].SetArray().PushBack(identifier, a);
  rapidjson::Value name(rapidjson::kArrayType);
  name.PushBack(rapidjson::Value(subject["name"], a), a);
  patient.AddMember("name", name, a);
  patient["birthDate"].SetString(subject["birthDate"].GetString(), a);
  const std::string patientId = patient["id"].GetString();
  const std::string alt =
      R"({"resourceType":"Observation","id":"ehr-alt-1","status":"final","category":)" +
      write(platelets["category"]) +
      R"(,"code":{"coding":[{"system":"http://loinc.org","code":"1742-6"}]},)"
      R"("subject":{"reference":"Patient/)" +
      patientId +
      R"("},"effectiveDateTime":"2025-03-20T08:00:00+08:00","valueQuantity":{"value":320,)"
      R"("unit":"U/L","system":"http://unitsofmeasure.org","code":"U/L"},"referenceRange":)"
      R"([{"high":{"value":40,"unit":"U/L","system":"http://unitsofmeasure.org","code":"U/L"}}]})";
  return R"({"resourceType":"Bundle","type":"collection","entry":[)"
         R"({"fullUrl":"http://ehr.example/fhir/Patient/)" +
         patientId + R"(","resource":)" + write(patient) +
         R"(},{"fullUrl":"http://ehr.example/fhir/Observation/)" + platelets["id"].GetString() +
         R"(","resource":)" + write(platelets) +
         R"(},{"fullUrl":"http://ehr.example/fhir/Observation/ehr-alt-1","resource":)" + alt +
         "}]}";
}

std::string frameAll(const std::vector<V2Sample>& sent) {
  std::string framed;
  for (const V2Sample& s : sent) framed += hl7v2::mllpFrame(slurpFile(s.file));
  return framed;
}

void expectAccepted(const std::string& output, const std::vector<V2Sample>& sent) {
  const auto acks = msas(output);
  ASSERT_EQ(acks.size(), sent.size()) << output;
  for (size_t i = 0; i < acks.size(); ++i) {
    // CA: the sample that asks for enhanced-mode acknowledgement gets its commit accept.
    EXPECT_TRUE(acks[i].first == "AA" || acks[i].first == "CA")
        << sent[i].file << " got " << acks[i].first << "\n"
        << output;
    EXPECT_EQ(acks[i].second, sent[i].controlId) << sent[i].file;
  }
}

int total(const Client& client, const std::string& query) {
  const Reply r = client.get(query);
  EXPECT_EQ(r.status, 200) << query << ": " << r.body;
  const std::string t = jsonAt(r.body, "total");
  return t.empty() ? -1 : std::stoi(t);
}

// `serve` with the configuration file `config`, the reference trial and the sample secret.
std::vector<std::string> serveWithTrial(const std::string& config) {
  return {TB_SERVE_BINARY,
          "--config",
          config,
          "--trial",
          kRoot + "/samples/trials/NCT06813157.json",
          "--secret-file",
          kRoot + "/samples/entities/demo.secret"};
}

// What `serve` printed when it was ready: its output, FHIR base URL and MLLP port.
struct Served {
  std::string out, baseUrl, mllpPort;
  int httpPort = 0;
};

// Waits for `serve` to print both addresses, then enrols the sample subjects through $enrol.
// Fails the test (httpPort 0) when it does not come up.
Served startedAndEnrolled(ChildProcess& serve, const std::string& dir) {
  Served s;
  EXPECT_TRUE(serve.started());
  if (!serve.started()) return s;
  s.out = serve.readUntil("MLLP on ", 120);
  const size_t base = s.out.find("FHIR base http://127.0.0.1:");
  const size_t mllp = s.out.find("MLLP on 127.0.0.1:");
  EXPECT_TRUE(base != std::string::npos && mllp != std::string::npos)
      << s.out << slurpFile(dir + "/stderr.log");
  if (base == std::string::npos || mllp == std::string::npos) return s;
  s.baseUrl = s.out.substr(base + 10, s.out.find('\n', base) - base - 10);
  s.mllpPort = s.out.substr(mllp + 18, s.out.find('\n', mllp) - mllp - 18);
  s.httpPort = std::stoi(s.baseUrl.substr(s.baseUrl.rfind(':') + 1));
  const Client client("127.0.0.1", s.httpPort);
  for (const std::string& file : subjectFiles()) {
    const Reply r = client.request("POST", "/fhir/ResearchSubject/$enrol", slurpFile(file),
                                   {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << file << ": " << r.body;
  }
  return s;
}

TEST(StudyContextEndToEnd, SamplesOverMllpAndIngestAreStoredPseudonymousPlacedAndValid) {
  const std::string peers = kRoot + "/tests/peers";
  ASSERT_TRUE(std::filesystem::exists(peers + "/node_modules/fhir-kit-client/package.json"))
      << "fhir-kit-client is not installed: run 'npm ci' in tests/peers (deploy/test.sh does)";
  ASSERT_EQ(std::system("command -v mllp_send >/dev/null 2>&1"), 0)
      << "mllp_send is not installed (Debian python3-hl7; deploy/install-deps.sh installs it)";
  ASSERT_EQ(std::system("node --version >/dev/null 2>&1"), 0) << "node is not installed";
  const std::string dir = tempDir();
  const std::vector<V2Sample> sent = v2Samples(dir);
  ASSERT_GE(sent.size(), 10u);
  writeFile(dir + "/all.mllp", frameAll(sent));

  ChildProcess serve({TB_SERVE_BINARY, "--port", "0", "--mllp-port", "0", "--trial",
                      kRoot + "/samples/trials/NCT06813157.json", "--secret-file",
                      kRoot + "/samples/entities/demo.secret"},
                     dir, dir + "/stderr.log");
  const Served served = startedAndEnrolled(serve, dir);
  ASSERT_GT(served.httpPort, 0);
  const std::string& out = served.out;
  const std::string& baseUrl = served.baseUrl;
  const std::string& mllpPort = served.mllpPort;
  const Client client("127.0.0.1", served.httpPort);
  ASSERT_EQ(total(client, "/fhir/Observation?_summary=count"), 0);

  // The samples over MLLP: each subject's results are stored, with the responses they give.
  expectAccepted(runCommand("mllp_send -f " + dir + "/all.mllp -p " + mllpPort + " 127.0.0.1"),
                 sent);
  const int afterMllp = total(client, "/fhir/Observation?_summary=count");
  EXPECT_GT(afterMllp, 0);

  // A patient who is no subject: AA, a receipt, nothing stored.
  const std::string mrn = "MRN0048213";
  const auto itp1 = std::find_if(sent.begin(), sent.end(), [&](const V2Sample& s) {
    return slurpFile(s.file).find(mrn) != std::string::npos;
  });
  ASSERT_NE(itp1, sent.end());
  std::string stranger = slurpFile(itp1->file);
  stranger.replace(stranger.find(mrn), mrn.size(), "MRN0000001");
  const std::string controlId = itp1->controlId;
  stranger.replace(stranger.find(controlId), controlId.size(), "E2E-STRANGER");
  writeFile(dir + "/stranger.mllp", hl7v2::mllpFrame(stranger));
  const auto strangerAck =
      msas(runCommand("mllp_send -f " + dir + "/stranger.mllp -p " + mllpPort + " 127.0.0.1"));
  ASSERT_EQ(strangerAck.size(), 1u);
  EXPECT_EQ(strangerAck[0].first, "AA");
  EXPECT_EQ(strangerAck[0].second, "E2E-STRANGER");
  EXPECT_EQ(total(client, "/fhir/Observation?_summary=count"), afterMllp);

  // The FHIR samples through $ingest: the count and a draft adverse event for the ALT.
  const Reply ingested = client.post("/fhir/$ingest", ehrBundle());
  ASSERT_EQ(ingested.status, 200) << ingested.body;
  EXPECT_NE(ingested.body.find("AdverseEvent/tbdraft-"), std::string::npos) << ingested.body;

  // Read back with fhir-kit-client, each validated against its trial profile.
  const std::string readback =
      runCommand("node " + kRoot + "/tests/service/study_readback.mjs " + baseUrl + " " + peers);
  ASSERT_NE(readback.find("\nok"), std::string::npos) << readback;
  rapidjson::Document counts;
  counts.Parse(readback.substr(0, readback.find('\n')).c_str());
  ASSERT_TRUE(counts.IsObject()) << readback;
  EXPECT_EQ(counts["observations"].GetInt() + counts["responses"].GetInt(), afterMllp + 2);
  EXPECT_GE(counts["responses"].GetInt(), 1) << readback;
  EXPECT_GE(counts["drafts"].GetInt(), 1) << readback;
  std::set<std::string> ids;
  for (const auto& id : counts["ids"].GetArray()) ids.insert(id.GetString());
  EXPECT_TRUE(ids.count("itp-0001-plt-v2")) << readback;  // the FHIR sample keeps its id
  EXPECT_TRUE(ids.count("ehr-alt-1")) << readback;

  const Reply metrics = client.get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_NE(metrics.body.find("\ntrialbridge_v2_not_a_subject_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(serve.terminate(), 0);

  // Nothing that identifies the sample patients in the store, the log or the metrics.
  const std::string scanned = out + slurpFile(dir + "/stderr.log") + metrics.body;
  std::string stored;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("trialbridge.db", 0) == 0) {
      stored += slurpFile(e.path().string());
    }
  }
  const std::set<std::string> identity = identities(sent);
  ASSERT_TRUE(identity.count("MRN0048213") && identity.count("19880412") && identity.count("Wang"));
  for (const std::string& i : identity) {
    EXPECT_EQ(scanned.find(i), std::string::npos) << "'" << i << "' is in the log or the metrics";
    EXPECT_EQ(stored.find(i), std::string::npos) << "'" << i << "' is in the store";
  }
  // Nor the pseudonymisation secret (it would let anyone who reads them undo the pseudonyms).
  std::string secret = slurpFile(kRoot + "/samples/entities/demo.secret");
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  ASSERT_GE(secret.size(), 16u);
  EXPECT_EQ(scanned.find(secret), std::string::npos) << "the secret is in the log or the metrics";
  EXPECT_EQ(stored.find(secret), std::string::npos) << "the secret is in the store";
  std::filesystem::remove_all(dir);
}

// Files under `dir` (recursively), concatenated.
std::string slurpTree(const std::string& dir) {
  std::string out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out += slurpFile(e.path().string());
  }
  return out;
}

// What operators and registries are shown when messages of the sample patients wait in the
// quarantine: the listing and each entry's view (masked by the server), the log, /metrics and
// the registry files written in the four formats hold no identity of the patients, though the
// quarantined messages carry their PID segments (kept whole in the store, for a retry).
TEST(StudyContextEndToEnd, QuarantineViewsLogsMetricsAndRegistryFilesShowNoPatientIdentity) {
  ASSERT_EQ(std::system("command -v mllp_send >/dev/null 2>&1"), 0)
      << "mllp_send is not installed (Debian python3-hl7; deploy/install-deps.sh installs it)";
  const std::string dir = tempDir();
  std::string registries;
  for (const char* format : {"ctgov-json", "prs-xml", "who-json", "who-xml"}) {
    registries += std::string(registries.empty() ? "" : ",") + "\"" + format +
                  R"(": {"kind": "file", "format": ")" + format + R"(", "directory": ")" + dir +
                  "/registry/" + format + R"(", "intervalSeconds": 1})";
  }
  writeFile(dir + "/tb.json", R"({"http": {"port": 0}, "store": {"database": ")" + dir +
                                  R"(/trialbridge.db"}, "mllp": {"port": 0}, "registries": {)" +
                                  registries + "}}");
  // Every sample with a message type the listener does not take: each is refused (AR) and kept
  // in quarantine whole, its PID included.
  const std::vector<V2Sample> sent = v2Samples(dir);
  std::string framed;
  for (const V2Sample& s : sent) {
    std::string m = slurpFile(s.file);
    const size_t type = m.find("R01", m.find("ORU"));  // MSH-9.2, whatever the delimiters
    ASSERT_NE(type, std::string::npos) << s.file;
    m.replace(type, 3, "R99");
    framed += hl7v2::mllpFrame(m);
  }
  writeFile(dir + "/refused.mllp", framed);

  ChildProcess serve(serveWithTrial(dir + "/tb.json"), dir, dir + "/stderr.log");
  const Served served = startedAndEnrolled(serve, dir);
  ASSERT_GT(served.httpPort, 0);
  const Client client("127.0.0.1", served.httpPort);
  const auto acks = msas(
      runCommand("mllp_send -f " + dir + "/refused.mllp -p " + served.mllpPort + " 127.0.0.1"));
  ASSERT_EQ(acks.size(), sent.size());
  for (const auto& [code, controlId] : acks) {
    EXPECT_TRUE(code == "AR" || code == "CR") << controlId << ": " << code;  // CR: enhanced mode
  }

  std::string shown;  // what an operator of the quarantine is shown
  const Reply list = client.get("/mllp/quarantine?status=all&_count=1000");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(jsonAt(list.body, "total"), std::to_string(sent.size())) << list.body;
  shown += list.body;
  for (size_t i = 0; i < sent.size(); ++i) {
    const std::string id = jsonAt(list.body, "entries." + std::to_string(i) + ".id");
    const Reply one = client.get("/mllp/quarantine/" + id);
    EXPECT_EQ(one.status, 200) << one.body;
    EXPECT_NE(one.body.find(R"("id":"PID")"), std::string::npos) << one.body;
    shown += one.body;
  }
  // The registry files: each format written at least once (the study, published at start).
  for (const char* format : {"ctgov-json", "prs-xml", "who-json", "who-xml"}) {
    const std::string folder = dir + "/registry/" + format;
    for (int i = 0;
         i < 100 && (!std::filesystem::exists(folder) || std::filesystem::is_empty(folder)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_FALSE(slurpTree(folder).empty()) << format << " wrote nothing";
  }
  const Reply metrics = client.get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(serve.terminate(), 0);

  // What `serve` printed (its output to the end, no marker) and its log.
  const std::string log = served.out + serve.readUntil("\x01", 5) + slurpFile(dir + "/stderr.log");
  const std::string registry = slurpTree(dir + "/registry");
  const std::set<std::string> identity = identities(sent);
  ASSERT_TRUE(identity.count("MRN0048213") && identity.count("19880412") && identity.count("Wang"));
  for (const std::string& i : identity) {
    EXPECT_EQ(shown.find(i), std::string::npos) << "'" << i << "' is in the quarantine's views";
    EXPECT_EQ(log.find(i), std::string::npos) << "'" << i << "' is in the log";
    EXPECT_EQ(metrics.body.find(i), std::string::npos) << "'" << i << "' is in the metrics";
    EXPECT_EQ(registry.find(i), std::string::npos) << "'" << i << "' is in a registry file";
  }
  std::filesystem::remove_all(dir);
}

// A hospital that writes only its assigning authority's namespace in PID-3.4 (no universal id):
// the site names it in its v2 maps (mllp.maps, coding-systems.json), and the message is matched
// to the subject enrolled with that identifier system.
TEST(StudyContextEndToEnd, ASitesAssigningAuthorityMatchesIdentifiersWithoutASystem) {
  ASSERT_EQ(std::system("command -v mllp_send >/dev/null 2>&1"), 0)
      << "mllp_send is not installed (Debian python3-hl7; deploy/install-deps.sh installs it)";
  const std::string dir = tempDir();
  std::filesystem::create_directories(dir + "/maps");
  writeFile(dir + "/maps/coding-systems.json",
            R"({"assigningAuthorities": {"TAIXIN": "https://dongguan-taixin.example/sid/mrn"}})");
  writeFile(dir + "/tb.json", R"({"http": {"port": 0}, "store": {"database": ")" + dir +
                                  R"(/trialbridge.db"}, "mllp": {"port": 0, "maps": ")" + dir +
                                  R"(/maps", "timezone": "+08:00"}})");
  const std::vector<V2Sample> sent = v2Samples(dir);
  const std::string mrnField = "MRN0048213^^^TAIXIN&https://dongguan-taixin.example/sid/mrn&URI^MR";
  const auto itp1 = std::find_if(sent.begin(), sent.end(), [&](const V2Sample& s) {
    return slurpFile(s.file).find(mrnField) != std::string::npos;
  });
  ASSERT_NE(itp1, sent.end());
  std::string message = slurpFile(itp1->file);
  message.replace(message.find(mrnField), mrnField.size(), "MRN0048213^^^TAIXIN^MR");
  writeFile(dir + "/namespace-only.mllp", hl7v2::mllpFrame(message));

  ChildProcess serve(serveWithTrial(dir + "/tb.json"), dir, dir + "/stderr.log");
  const Served served = startedAndEnrolled(serve, dir);
  ASSERT_GT(served.httpPort, 0);
  const Client client("127.0.0.1", served.httpPort);

  const auto ack = msas(runCommand("mllp_send -f " + dir + "/namespace-only.mllp -p " +
                                   served.mllpPort + " 127.0.0.1"));
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].first, "AA");
  EXPECT_GT(total(client, "/fhir/Observation?_summary=count"), 0);
  const Reply metrics = client.get("/metrics");
  EXPECT_NE(metrics.body.find("\ntrialbridge_v2_not_a_subject_total 0\n"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(serve.terminate(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
