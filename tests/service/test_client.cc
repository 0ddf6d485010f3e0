#include "test_client.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/text.h"
#include "hl7v2/mllp.h"

namespace trialbridge::testing {

Reply Client::request(const std::string& method, const std::string& uri, const std::string& body,
                      std::vector<std::pair<std::string, std::string>> headers) const {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (tls_) {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                         "", Poco::Net::Context::VERIFY_NONE);
    session = std::make_unique<Poco::Net::HTTPSClientSession>(
        host_, static_cast<Poco::UInt16>(port_), ctx);
  } else {
    session =
        std::make_unique<Poco::Net::HTTPClientSession>(host_, static_cast<Poco::UInt16>(port_));
  }
  session->setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [n, v] : headers) req.set(n, v);
  if (!bearer_.empty()) req.set("Authorization", "Bearer " + bearer_);
  if (!body.empty() || method == "POST" || method == "PUT")
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostream& out = session->sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session->receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  r.reason = resp.getReason();
  for (const auto& [n, v] : resp) {
    std::string name = n;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = v;
  }
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

std::string tempDir() {
  char tmpl[] = "/tmp/tb-service-test.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return "/tmp";
  return tmpl;
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TestServer::TestServer(const std::string& configJson) {
  dir_ = tempDir();
  auto parsed = service::parseConfig(configJson, "test config");
  if (!parsed) {
    error_ = parsed.message();
    return;
  }
  service::ServiceConfig c = parsed.value();
  c.http.port = 0;
  if (c.store.backend == "sqlite") c.store.database = dir_ + "/store.db";
  // Tests write generic resources: the trial's profiles apply only when a test asks for them.
  if (c.defaultProfiles) c.api.requiredProfiles.clear();
  c.audit.flushMillis = 20;
  tls_ = c.http.tls;
  auto s = service::Service::start(c);
  if (!s) {
    error_ = s.message();
    return;
  }
  service_ = std::move(s.value());
}

TestServer::~TestServer() {
  service_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// ---------------------------------------------------------------------------------------------
// Keys, tokens, certificates

namespace {

std::string b64url(const std::string& bytes) { return core::base64Encode(bytes, true); }

std::string bnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::shared_ptr<void> own(EVP_PKEY* k) {
  return std::shared_ptr<void>(k, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

}  // namespace

SigningKey makeRsaKey(const std::string& kid) {
  EVP_PKEY* k = EVP_RSA_gen(2048);
  SigningKey s;
  s.alg = "RS256";
  s.kid = kid;
  s.pkey = own(k);
  s.jwk = R"({"kty":"RSA","kid":")" + kid + R"(","alg":"RS256","use":"sig","n":")" +
          b64url(bnParam(k, OSSL_PKEY_PARAM_RSA_N)) + R"(","e":")" +
          b64url(bnParam(k, OSSL_PKEY_PARAM_RSA_E)) + R"("})";
  return s;
}

SigningKey makeEcKey(const std::string& kid) {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  SigningKey s;
  s.alg = "ES256";
  s.kid = kid;
  s.pkey = own(k);
  unsigned char pub[65];
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len);
  const std::string x(reinterpret_cast<char*>(pub) + 1, 32),
      y(reinterpret_cast<char*>(pub) + 33, 32);
  s.jwk = R"({"kty":"EC","crv":"P-256","kid":")" + kid + R"(","alg":"ES256","x":")" + b64url(x) +
          R"(","y":")" + b64url(y) + R"("})";
  return s;
}

std::string jwks(const std::vector<const SigningKey*>& keys) {
  std::string j = R"({"keys":[)";
  for (size_t i = 0; i < keys.size(); ++i) j += (i > 0 ? "," : "") + keys[i]->jwk;
  return j + "]}";
}

std::string signJwt(const SigningKey& key, const std::string& claimsJson) {
  const std::string header =
      R"({"alg":")" + key.alg + R"(","typ":"JWT","kid":")" + key.kid + R"("})";
  const std::string input = b64url(header) + "." + b64url(claimsJson);
  auto* pkey = static_cast<EVP_PKEY*>(key.pkey.get());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (key.alg == "ES256") {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    const BIGNUM *r = nullptr, *s = nullptr;
    ECDSA_SIG_get0(es, &r, &s);
    std::string raw(64, '\0');
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + b64url(sig);
}

void makeCertificate(const std::string& certPath, const std::string& keyPath) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  FILE* f = std::fopen(certPath.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(keyPath.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
}

// ---------------------------------------------------------------------------------------------

namespace {

const rapidjson::Value* walk(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* v = &root;
  size_t pos = 0;
  while (pos < path.size() && v != nullptr) {
    size_t dot = path.find('.', pos);
    if (dot == std::string::npos) dot = path.size();
    const std::string part = path.substr(pos, dot - pos);
    pos = dot + 1;
    if (v->IsArray()) {
      const size_t i = std::stoul(part);
      v = i < v->Size() ? &(*v)[static_cast<rapidjson::SizeType>(i)] : nullptr;
    } else if (v->IsObject()) {
      auto it = v->FindMember(part.c_str());
      v = it == v->MemberEnd() ? nullptr : &it->value;
    } else {
      v = nullptr;
    }
  }
  return v;
}

}  // namespace

std::string jsonAt(const std::string& json, const std::string& path) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) return "";
  const rapidjson::Value* v = walk(d, path);
  if (v == nullptr) return "";
  if (v->IsString()) return v->GetString();
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsDouble()) return std::to_string(v->GetDouble());
  return v->IsNull() ? "" : "<object>";
}

size_t jsonSize(const std::string& json, const std::string& path) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) return 0;
  const rapidjson::Value* v = path.empty() ? &d : walk(d, path);
  return v != nullptr && v->IsArray() ? v->Size() : 0;
}

MllpClient::MllpClient(int port) {
  try {
    auto s = std::make_shared<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", port));
    s->setReceiveTimeout(Poco::Timespan(0, 200 * 1000));
    socket_ = s;
  } catch (const Poco::Exception&) {
  }
}

MllpClient::~MllpClient() = default;

std::string MllpClient::exchange(const std::string& message, int seconds) {
  if (socket_ == nullptr) return "";
  auto& s = *static_cast<Poco::Net::StreamSocket*>(socket_.get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  try {
    const std::string frame = hl7v2::mllpFrame(message);
    for (size_t sent = 0; sent < frame.size();) {
      const int n = s.sendBytes(frame.data() + sent, static_cast<int>(frame.size() - sent));
      if (n <= 0) throw Poco::IOException("send");
      sent += static_cast<size_t>(n);
    }
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      const size_t end = pending_.find("\x1c\r");
      if (end != std::string::npos) {
        const size_t start = pending_.find('\x0b');
        std::string ack = start == std::string::npos || start > end
                              ? ""
                              : pending_.substr(start + 1, end - start - 1);
        pending_.erase(0, end + 2);
        return ack;
      }
      try {
        const int n = s.receiveBytes(buf, sizeof buf);
        if (n <= 0) break;
        pending_.append(buf, static_cast<size_t>(n));
      } catch (const Poco::TimeoutException&) {
      }
    }
  } catch (const Poco::Exception&) {
  }
  socket_.reset();
  return "";
}

}  // namespace trialbridge::testing
