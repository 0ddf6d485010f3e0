#include "service/registry_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/text.h"

namespace trialbridge::service {

namespace {

// At most this much of an answer is read (a registry's record is far smaller).
constexpr std::streamsize kMaxReplyBytes = 16 * 1024 * 1024;

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

}  // namespace

int64_t epochMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RegistryReply::header(std::string_view lowerName) const {
  for (const auto& [n, v] : headers) {
    if (n == lowerName) return v;
  }
  return {};
}

bool RegistryReply::transient() const {
  return status == 0 || status == 408 || status == 429 || status == 500 || status == 502 ||
         status == 503 || status == 504;
}

std::string RegistryReply::describe() const {
  if (status == 0) return error;
  std::string out = "HTTP " + std::to_string(status);
  // An OperationOutcome's first diagnostics or details text, if the body has one.
  for (const char* key : {"\"diagnostics\":\"", "\"text\":\""}) {
    const size_t at = body.find(key);
    if (at == std::string::npos) continue;
    const size_t from = at + std::string_view(key).size();
    const size_t to = body.find('"', from);
    if (to != std::string::npos) {
      out += " (" + body.substr(from, std::min<size_t>(to - from, 300)) + ")";
      break;
    }
  }
  return out;
}

int64_t backoffDelay(int attempt, int64_t baseMs, int64_t maxMs, std::mt19937_64& random) {
  const int shift = std::clamp(attempt - 1, 0, 40);
  const double ceiling =
      std::min(static_cast<double>(maxMs), static_cast<double>(baseMs) * std::ldexp(1.0, shift));
  std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(ceiling));
  return pick(random);
}

namespace {

int monthOf(const char* name) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (std::string_view(name) == kMonths[i]) return i;
  }
  return -1;
}

// An HTTP-date (RFC 9110 5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms) as epoch
// milliseconds; nullopt for anything else.
std::optional<int64_t> parseHttpDate(const std::string& v, int64_t nowMs) {
  char wkday[16] = {}, month[4] = {}, zone[4] = {};
  int day = 0, year = 0, h = 0, m = 0, sec = 0, used = 0;
  std::tm tm{};
  const auto two = [](const char* s) { return std::strlen(s) == 3; };
  if (std::sscanf(v.c_str(), "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wkday, &day,
                  month, &year, &h, &m, &sec, zone, &used) == 8 &&
      static_cast<size_t>(used) == v.size() && std::string_view(zone) == "GMT" && two(wkday)) {
  } else if (std::sscanf(v.c_str(), "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", wkday,
                         &day, month, &year, &h, &m, &sec, zone, &used) == 8 &&
             static_cast<size_t>(used) == v.size() && std::string_view(zone) == "GMT") {
    // A two-digit year more than 50 years ahead is in the past century (RFC 9110).
    const int nowYear = 1970 + static_cast<int>(nowMs / 31556952000LL);
    year += 2000;
    if (year > nowYear + 50) year -= 100;
  } else if (std::sscanf(v.c_str(), "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wkday, month,
                         &day, &h, &m, &sec, &year, &used) == 7 &&
             static_cast<size_t>(used) == v.size()) {
  } else {
    return std::nullopt;
  }
  const int mon = monthOf(month);
  if (mon < 0 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60 || year < 1970) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

}  // namespace

std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t nowMs) {
  const std::string v = trim(std::string(value));
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::nullopt;  // more than 31 years: not a delay anyone means
    return std::stoll(v) * 1000;
  }
  const std::optional<int64_t> at = parseHttpDate(v, nowMs);
  if (!at) return std::nullopt;
  return std::max<int64_t>(0, *at - nowMs);
}

std::string etagVersion(std::string_view etag) {
  std::string_view v = etag;
  if (v.rfind("W/", 0) == 0) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    return std::string(v.substr(1, v.size() - 2));
  return {};
}

RateLimiter::RateLimiter(int perMinute, int burst)
    : perMs_(perMinute / 60000.0), burst_(std::max(1, burst)), tokens_(burst_) {}

int64_t RateLimiter::reserve(int64_t nowMs) {
  std::lock_guard lock(mutex_);
  if (lastMs_ >= 0 && nowMs > lastMs_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(nowMs - lastMs_) * perMs_);
  }
  if (lastMs_ < 0 || nowMs > lastMs_) lastMs_ = nowMs;
  tokens_ -= 1;
  if (tokens_ >= 0) return 0;
  return static_cast<int64_t>(std::ceil(-tokens_ / perMs_));
}

struct RegistryClient::Impl {
  Poco::URI base;
  bool tls = false;
  Poco::Net::Context::Ptr context;
};

RegistryClient::RegistryClient(const RegistryTarget& target)
    : target_(target), limiter_(target.requestsPerMinute, target.burst) {}

RegistryClient::~RegistryClient() = default;

core::Result<std::unique_ptr<RegistryClient>> RegistryClient::create(const RegistryTarget& target) {
  using R = core::Result<std::unique_ptr<RegistryClient>>;
  std::unique_ptr<RegistryClient> c(new RegistryClient(target));
  c->impl_ = std::make_unique<Impl>();
  try {
    c->impl_->base = Poco::URI(target.url);
  } catch (const Poco::Exception& e) {
    return R::error("registries." + target.name + ".url: " + e.displayText());
  }
  const std::string scheme = c->impl_->base.getScheme();
  if (scheme != "http" && scheme != "https") {
    return R::error("registries." + target.name + ".url must be http:// or https://");
  }
  c->impl_->tls = scheme == "https";
  if (!target.caFile.empty() && !std::filesystem::is_regular_file(target.caFile)) {
    return R::error("registries." + target.name + ".caFile: cannot read '" + target.caFile + "'");
  }
  if (c->impl_->tls) {
    static std::once_flag once;
    std::call_once(once, [] {
      Poco::Net::initializeSSL();
      // A certificate that does not verify is refused, never asked about.
      Poco::Net::SSLManager::instance().initializeClient(
          nullptr, new Poco::Net::RejectCertificateHandler(false),
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                 Poco::Net::Context::VERIFY_RELAXED, 9, true));
    });
    try {
      // The server's chain is verified, then its name (Poco checks the name for every host only
      // in VERIFY_STRICT: in RELAXED it skips loopback addresses).
      c->impl_->context =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", target.caFile,
                                 Poco::Net::Context::VERIFY_STRICT, 9, target.caFile.empty());
    } catch (const Poco::Exception& e) {
      return R::error("registries." + target.name + ": TLS set-up failed: " + e.displayText());
    }
  }
  return R(std::move(c));
}

RegistryReply RegistryClient::send(
    const std::string& method, const std::string& pathAndQuery, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  RegistryReply reply;
  if (const int64_t wait = limiter_.reserve(epochMillis()); wait > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  std::string token;
  if (!target_.tokenFile.empty()) {
    std::ifstream in(target_.tokenFile);
    std::stringstream ss;
    ss << in.rdbuf();
    token = trim(ss.str());
    if (!in || token.empty()) {
      reply.error = "cannot read a bearer token from '" + target_.tokenFile + "'";
      return reply;
    }
  }
  const Poco::URI& base = impl_->base;
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (impl_->tls) {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(base.getHost(), base.getPort(),
                                                              impl_->context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
  }
  session->setTimeout(Poco::Timespan(target_.timeoutSeconds, 0));
  Poco::Net::HTTPRequest request(method, base.getPath() + pathAndQuery,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Accept", "application/fhir+json");
  request.set("User-Agent", "trialbridge-publisher");
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
  for (const auto& [n, v] : headers) request.set(n, v);
  if (!body.empty() || method == "PUT" || method == "POST") {
    request.setContentType("application/fhir+json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  try {
    std::ostream& out = session->sendRequest(request);
    reply.sent = true;
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    reply.status = static_cast<int>(response.getStatus());
    for (const auto& [n, v] : response) reply.headers.emplace_back(core::asciiLower(n), v);
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      reply.body.append(buf, static_cast<size_t>(in.gcount()));
      if (static_cast<std::streamsize>(reply.body.size()) > kMaxReplyBytes) {
        reply.body.clear();
        reply.status = 0;
        reply.error = "the answer is longer than 16 MiB";
        break;
      }
    }
  } catch (const Poco::Net::SSLException& e) {
    reply.status = 0;
    reply.error = "TLS: " + e.displayText();
  } catch (const Poco::TimeoutException&) {
    reply.status = 0;
    reply.error = "no answer within " + std::to_string(target_.timeoutSeconds) + " s";
  } catch (const Poco::Exception& e) {
    reply.status = 0;
    reply.error = (reply.sent ? "connection lost: " : "cannot connect: ") + e.displayText();
  }
  return reply;
}

}  // namespace trialbridge::service
