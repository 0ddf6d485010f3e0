#include "service/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/metrics.h"
#include "service/auth.h"
#include "service/console_assets.h"
#include "service/fhir_api.h"
#include "service/http_types.h"
#include "service/rendering.h"
#include "store/store.h"

namespace trialbridge::service {

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// "/fhir/Patient/123/_history/2" -> "/fhir/Patient/:id/_history/:vid" for the access log.
std::string pathTemplate(const std::string& path) {
  std::string out;
  size_t pos = 0;
  int segment = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos + 1);
    if (next == std::string::npos) next = path.size();
    std::string seg = path.substr(pos, next - pos);
    ++segment;
    if (segment == 3 && seg != "/_history" && seg != "/_search" && seg.rfind("/$", 0) != 0) {
      seg = "/:id";
    } else if (segment == 5) {
      seg = "/:vid";
    }
    out += seg;
    pos = next;
  }
  return out;
}

}  // namespace

struct HttpService::Impl {
  const FhirApi& api;
  const TokenVerifier* verifier;
  HttpServerOptions options;
  std::vector<const HttpView*> views;
  core::MetricFamily* requestsByRoute = nullptr;
  core::Histogram* requestSeconds = nullptr;
  core::Counter* validationErrors = nullptr;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  bool stopped = false;
  std::atomic<uint64_t> requests{0};
  std::atomic<bool> draining{false};
  std::atomic<int> inFlight{0};

  Impl(const FhirApi& a, const TokenVerifier* v, HttpServerOptions o)
      : api(a), verifier(v), options(std::move(o)) {}

  void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(HttpService::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    impl_.serve(req, resp);
  }

 private:
  HttpService::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(HttpService::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  HttpService::Impl& impl_;
};

void send(Poco::Net::HTTPServerResponse& resp, const HttpResponse& out) {
  resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
  for (const auto& [n, v] : out.headers) resp.set(n, v);
  if (out.status == 204 || out.status == 304 || out.body.empty()) {
    resp.setContentLength(0);
    resp.send();
    return;
  }
  resp.setContentType(out.contentType);
  resp.sendBuffer(out.body.data(), out.body.size());
}

// A request that failed inside the program: logged, and answered 500 unless a response went out.
void sendInternalError(Poco::Net::HTTPServerResponse& resp, const std::string& what) {
  core::Log::error("http.failed", "request failed", {{"reason", what}});
  if (resp.sent()) return;
  HttpResponse err;
  failResponse(err, 500, core::IssueType::Exception, "internal error");
  send(resp, err);
}

}  // namespace

void HttpService::Impl::serve(Poco::Net::HTTPServerRequest& req,
                              Poco::Net::HTTPServerResponse& resp) {
  const auto started = std::chrono::steady_clock::now();
  requests++;
  inFlight++;
  struct Done {
    std::atomic<int>& n;
    ~Done() { n--; }
  } done{inFlight};
  HttpResponse out;
  HttpRequest in;
  try {
    in.method = req.getMethod();
    const std::string& uri = req.getURI();
    const size_t q = uri.find('?');
    Poco::URI::decode(uri.substr(0, q), in.path);
    if (q != std::string::npos) in.query = uri.substr(q + 1);
    in.headers.reserve(req.size());
    for (auto it = req.begin(); it != req.end(); ++it)
      in.headers.emplace_back(lower(it->first), it->second);
    in.remoteAddress = req.clientAddress().host().toString();
    in.secure = options.tls;
    const size_t limit = api.options().maxBodyBytes;
    bool tooLarge =
        req.hasContentLength() && req.getContentLength64() > static_cast<int64_t>(limit);
    if (!tooLarge && (req.hasContentLength() || req.getChunkedTransferEncoding())) {
      std::istream& body = req.stream();
      char buf[16384];
      while (body) {
        body.read(buf, sizeof buf);
        in.body.append(buf, static_cast<size_t>(body.gcount()));
        if (in.body.size() > limit) {
          tooLarge = true;
          break;
        }
      }
    }
    std::shared_ptr<const Principal> principal;
    const HttpView* view = nullptr;
    for (const HttpView* v : views) {
      if (v->handles(in)) {
        view = v;
        break;
      }
    }
    const bool open =
        in.path == api.options().basePath + "/metadata" || (view != nullptr && view->open());
    if (isConsolePath(in.path)) {
      serveConsole(in, out);  // static files without data: no token (console_assets.h)
    } else if (draining.load() && (view == nullptr || !view->open())) {
      // Graceful stop: nothing new is taken; the probes and metrics still answer.
      out.setHeader("Retry-After", "1");
      failResponse(out, 503, core::IssueType::Transient,
                   "the service is stopping: send the request again");
      resp.setKeepAlive(false);
    } else if (tooLarge) {
      failResponse(out, 413, core::IssueType::TooLong,
                   "the request body is larger than " + std::to_string(limit) + " bytes");
      resp.setKeepAlive(false);
    } else if (verifier != nullptr && !open) {
      const std::string auth = req.get("Authorization", "");
      std::string error;
      if (auth.size() < 8 || lower(auth.substr(0, 7)) != "bearer ") {
        error = "a bearer token is required (Authorization: Bearer <JWT>)";
      } else {
        auto verified = verifier->verify(std::string_view(auth).substr(7));
        if (verified) {
          principal = verified.value();
        } else {
          error = verified.message();
        }
      }
      if (principal == nullptr) {
        failResponse(out, 401, core::IssueType::Security, error);
        std::string desc = error;
        for (char& c : desc) {
          if (c == '"') c = '\'';
        }
        out.setHeader("WWW-Authenticate",
                      "Bearer realm=\"trialbridge\", error=\"invalid_token\", "
                      "error_description=\"" +
                          desc + "\"");
      }
    }
    if (out.body.empty() && !isConsolePath(in.path)) {
      in.principal = principal.get();
      if (view != nullptr) {
        view->handle(in, out);
      } else {
        api.handle(in, out);
      }
    }
    send(resp, out);
  } catch (const Poco::Exception& e) {
    out.status = 500;
    sendInternalError(resp, e.displayText());
  } catch (const std::exception& e) {
    out.status = 500;
    sendInternalError(resp, e.what());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (requestsByRoute != nullptr) {
    requestsByRoute->counter({in.method, pathTemplate(in.path), std::to_string(out.status)}).inc();
    requestSeconds->observe(seconds);
    // 422: a write refused by validation (docs/rest.md#validation-of-writes).
    if (out.status == 422) validationErrors->inc();
  }
  if (options.accessLog) {
    core::Log::info("http.request", "request",
                    {{"method", in.method},
                     {"route", pathTemplate(in.path)},
                     {"status", out.status},
                     {"ms", seconds * 1000}});
  }
}

core::Result<std::unique_ptr<HttpService>> HttpService::start(const FhirApi& api,
                                                              const TokenVerifier* verifier,
                                                              const HttpServerOptions& options,
                                                              std::vector<const HttpView*> views,
                                                              core::MetricsRegistry* metrics) {
  using R = core::Result<std::unique_ptr<HttpService>>;
  auto impl = std::make_unique<Impl>(api, verifier, options);
  impl->views = std::move(views);
  if (metrics != nullptr) {
    impl->requestsByRoute = &metrics->counter(
        "trialbridge_http_requests_total",
        "HTTP requests answered, by method, route template (ids as :id) and status",
        {"method", "route", "status"});
    impl->requestSeconds = &metrics
                                ->histogram("trialbridge_http_request_seconds",
                                            "HTTP request time, from its start to its answer sent",
                                            core::latencyBuckets())
                                .histogram();
    impl->validationErrors =
        &metrics
             ->counter("trialbridge_validation_errors_total",
                       "writes refused because the resource does not validate (HTTP 422)")
             .counter();
  }
  try {
    const Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (options.tls) {
      static std::once_flag once;
      std::call_once(once, [] { Poco::Net::initializeSSL(); });
      Poco::Net::Context::Ptr ctx;
      try {
        ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options.privateKeyFile,
                                     options.certificateFile, "", Poco::Net::Context::VERIFY_NONE,
                                     9, false, "HIGH:!aNULL:!MD5:!RC4:@STRENGTH");
      } catch (const Poco::Exception& e) {
        return R::error("cannot load the TLS certificate '" + options.certificateFile +
                        "' and key '" + options.privateKeyFile + "': " + e.displayText());
      }
      ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                            Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(ctx);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    // SO_REUSEADDR (a restart need not wait for TIME_WAIT) but not SO_REUSEPORT, which Poco's
    // binding constructors also set: with it a second server on the same port starts without
    // error and the kernel shares the connections between the two.
    socket->bind(address, true, false);
    socket->listen(options.backlog);
    impl->port = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(options.threads);
    params->setMaxQueued(options.maxQueued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    params->setKeepAliveTimeout(Poco::Timespan(options.keepAliveSeconds, 0));
    params->setServerName("trialbridge");
    impl->pool = std::make_unique<Poco::ThreadPool>(2, options.threads + 2);
    impl->server =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), *impl->pool, *socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return R::error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                    e.displayText());
  }
  return R(std::unique_ptr<HttpService>(new HttpService(std::move(impl))));
}

HttpService::HttpService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpService::~HttpService() { stop(); }

int HttpService::port() const { return impl_->port; }
bool HttpService::tls() const { return impl_->options.tls; }
uint64_t HttpService::requests() const { return impl_->requests.load(); }

void HttpService::drain(std::chrono::steady_clock::time_point deadline) {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->draining = true;
  // Requests that came before keep their place; those after get 503 at once. This request's own
  // count is not here (drain is not called from a handler).
  while (impl_->inFlight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void HttpService::stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->stopAll(true);
  impl_->pool->joinAll();
}

}  // namespace trialbridge::service
