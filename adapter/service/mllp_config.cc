// The "mllp" section of the configuration (docs/configuration.md) and the sender allow-list.
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>

#include <algorithm>

#include "core/json_input.h"
#include "mapping/v2_time.h"
#include "service/mllp_listener.h"

namespace trialbridge::service {

namespace {

// "10.1.0.0/16" -> the network and its prefix length; a plain address is a network of one.
bool parseEntry(const std::string& entry, Poco::Net::IPAddress& net, unsigned& prefix) {
  const size_t slash = entry.find('/');
  const std::string address = entry.substr(0, slash);
  // Four dotted numbers for IPv4 (inet_aton would take "10.1" as 10.0.0.1).
  const bool v6 = address.find(':') != std::string::npos;
  if (!v6 && std::count(address.begin(), address.end(), '.') != 3) return false;
  if (!Poco::Net::IPAddress::tryParse(address, net)) return false;
  const unsigned bits = net.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
  prefix = bits;
  if (slash == std::string::npos) return true;
  const std::string digits = entry.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  prefix = static_cast<unsigned>(std::stoul(digits));
  return prefix <= bits;
}

// An IPv4 peer seen through an IPv6 socket (::ffff:10.1.2.3) as the IPv4 address.
Poco::Net::IPAddress plain(const Poco::Net::IPAddress& a) {
  if (a.family() == Poco::Net::IPAddress::IPv6 && a.isIPv4Mapped()) {
    const std::string text = a.toString();
    Poco::Net::IPAddress v4;
    if (Poco::Net::IPAddress::tryParse(text.substr(text.rfind(':') + 1), v4)) return v4;
  }
  return a;
}

}  // namespace

bool validAllowEntry(const std::string& entry) {
  Poco::Net::IPAddress net;
  unsigned prefix = 0;
  return parseEntry(entry, net, prefix);
}

bool addressAllowed(const std::vector<std::string>& allow, const std::string& address) {
  if (allow.empty()) return true;
  Poco::Net::IPAddress peer;
  if (!Poco::Net::IPAddress::tryParse(address, peer)) return false;
  peer = plain(peer);
  for (const std::string& entry : allow) {
    Poco::Net::IPAddress net;
    unsigned prefix = 0;
    if (!parseEntry(entry, net, prefix) || net.family() != peer.family()) continue;
    try {
      const Poco::Net::IPAddress mask(prefix, net.family());
      if ((peer & mask) == (net & mask)) return true;
    } catch (const Poco::Exception&) {
    }
  }
  return false;
}

void readMllpConfig(core::JsonObjectReader& s, MllpOptions& c) {
  c.enabled = s.present();
  s.boolean("enabled", c.enabled);
  s.str("host", c.host);
  s.integer("port", c.port, 0, 65535);
  s.integer("maxConnections", c.maxConnections, 1, 10000);
  s.integer("maxFrameBytes", c.maxFrameBytes, 1024, int64_t{256} << 20);
  s.integer("maxSegments", c.maxSegments, 2, 1000000);
  s.integer("idleSeconds", c.idleSeconds, 1, 86400);
  s.integer("frameSeconds", c.frameSeconds, 1, 3600);
  s.strings("allow", c.allow);
  s.str("application", c.application);
  s.str("facility", c.facility);
  s.boolean("messageLog", c.messageLog);
  s.str("maps", c.maps);
  s.str("timezone", c.timezone);
  if (!c.timezone.empty() && !mapping::v2time::zoneSetting(c.timezone)) {
    s.error("timezone", "must be a zone offset like \"+08:00\" or \"Z\", not '" + c.timezone + "'");
  }
  // Flat keys (not a "tls" object) so that each has its variable (TRIALBRIDGE_MLLP_TLS_...).
  s.str("tlsCertificate", c.certificateFile);
  s.str("tlsPrivateKey", c.privateKeyFile);
  s.str("tlsClientCa", c.clientCaFile);
  s.boolean("tlsRequireClientCertificate", c.requireClientCertificate);
  c.tls = !c.certificateFile.empty() || !c.privateKeyFile.empty();
  if (c.tls && (c.certificateFile.empty() || c.privateKeyFile.empty())) {
    s.error("needs both 'tlsCertificate' and 'tlsPrivateKey' (PEM files) for TLS");
  }
  if (c.requireClientCertificate && c.clientCaFile.empty()) {
    s.error(
        "'tlsRequireClientCertificate' needs 'tlsClientCa' (the CA that signs client "
        "certificates, PEM)");
  }
  for (size_t i = 0; i < c.allow.size(); ++i) {
    if (!validAllowEntry(c.allow[i])) {
      s.error("allow", i,
              "must be an IP address or a network (\"10.1.0.0/16\"), not '" + c.allow[i] + "'");
    }
  }
}

}  // namespace trialbridge::service
