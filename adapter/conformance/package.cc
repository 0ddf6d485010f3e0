#include "conformance/package.h"

#include <rapidjson/document.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "conformance/context.h"
#include "conformance/package_tgz.h"
#include "core/json.h"
#include "core/rapidjson_util.h"
#include "core/resource_io.h"
#include "core/text.h"
#include "core/xml.h"

extern "C" {
extern const char tb_core_ndjson_begin[];
extern const char tb_core_ndjson_end[];
extern const char tb_core_index_begin[];
extern const char tb_core_index_end[];
extern const char tb_core_package_begin[];
extern const char tb_core_package_end[];
}

namespace trialbridge::conformance {

using core::rj::stringMember;

namespace fs = std::filesystem;
using core::Result;

namespace {

bool readFile(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return true;
}

// A package whose resources are slices of one text held in memory (a .tgz unpacked in memory,
// or the embedded core pack).
class MemoryPackage : public Package {
 public:
  struct Slice {
    size_t offset, length;
  };
  Result<std::string> json(size_t i) const override {
    if (i >= slices_.size()) return Result<std::string>::error("no such resource");
    return std::string(data().substr(slices_[i].offset, slices_[i].length));
  }

 protected:
  virtual std::string_view data() const = 0;
  std::vector<Slice> slices_;
};

class TgzPackage : public MemoryPackage {
 public:
  explicit TgzPackage(std::string tar) : tar_(std::move(tar)) {}
  std::string_view data() const override { return tar_; }

  void setManifest(std::string_view text) { readManifest(text); }
  void addResource(PackageResource r, Slice s) {
    resources_.push_back(std::move(r));
    slices_.push_back(s);
  }

 private:
  std::string tar_;  // the unpacked archive; resources are slices of it
};

class EmbeddedCorePackage : public MemoryPackage {
 public:
  EmbeddedCorePackage() {
    readManifest(std::string_view(
        tb_core_package_begin, static_cast<size_t>(tb_core_package_end - tb_core_package_begin)));
    std::string_view index(tb_core_index_begin,
                           static_cast<size_t>(tb_core_index_end - tb_core_index_begin));
    core::forEachLine(index, [&](std::string_view line, uint32_t) {
      if (line.empty() || line[0] == '#') return;
      std::string_view f[8];
      size_t n = 0;
      size_t start = 0;
      while (n < 8) {
        size_t tab = line.find('\t', start);
        f[n++] =
            line.substr(start, tab == std::string_view::npos ? line.size() - start : tab - start);
        if (tab == std::string_view::npos) break;
        start = tab + 1;
      }
      if (n != 8) return;
      PackageResource r{std::string(f[0]),
                        std::string(f[1]),
                        std::string(f[2]),
                        std::string(f[3]),
                        std::string(f[4]),
                        std::string(f[5]),
                        "hl7.fhir.r4.core#4.0.1/" + std::string(f[0]) + "-" + std::string(f[1])};
      resources_.push_back(std::move(r));
      slices_.push_back(Slice{std::stoul(std::string(f[6])), std::stoul(std::string(f[7]))});
    });
  }
  std::string_view data() const override {
    return {tb_core_ndjson_begin, static_cast<size_t>(tb_core_ndjson_end - tb_core_ndjson_begin)};
  }
};

class FolderPackage : public Package {
 public:
  Result<std::string> json(size_t i) const override {
    if (i >= files_.size()) return Result<std::string>::error("no such resource");
    std::string text;
    if (!readFile(files_[i], text)) {
      return Result<std::string>::error("cannot read " + files_[i].string());
    }
    return text;
  }
  void setManifest(std::string_view text) { readManifest(text); }
  void setName(std::string name) { name_ = std::move(name); }
  void add(PackageResource r, fs::path file) {
    resources_.push_back(std::move(r));
    files_.push_back(std::move(file));
  }

 private:
  std::vector<fs::path> files_;
};

// One resource held in memory as JSON text.
class SingleResourcePackage : public Package {
 public:
  SingleResourcePackage(std::string name, PackageResource r, std::string json)
      : json_(std::move(json)) {
    name_ = std::move(name);
    resources_.push_back(std::move(r));
  }
  Result<std::string> json(size_t i) const override {
    if (i != 0) return Result<std::string>::error("no such resource");
    return json_;
  }

 private:
  std::string json_;
};

Result<std::string> gunzip(const std::string& compressed, uint64_t maxBytes) {
  if (compressed.size() > std::numeric_limits<uInt>::max())
    return Result<std::string>::error("the file is larger than 4 GiB");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return Result<std::string>::error("zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  // One byte more than the limit, so that a package of exactly the limit is told from a larger.
  const uint64_t cap = maxBytes + 1;
  out.resize(static_cast<size_t>(
      std::min<uint64_t>(std::max<uint64_t>(uint64_t{compressed.size()} * 6, 1 << 16), cap)));
  const auto tooLarge = [&] {
    inflateEnd(&zs);
    return Result<std::string>::error("unpacks to more than " + std::to_string(maxBytes) +
                                      " bytes (the limit of a package): refused");
  };
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.total_out >= out.size()) {
      if (out.size() >= cap) return tooLarge();
      out.resize(static_cast<size_t>(std::min<uint64_t>(uint64_t{out.size()} * 2, cap)));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Result<std::string>::error(std::string("not a valid gzip file (") +
                                        (zs.msg != nullptr ? zs.msg : "inflate failed") + ")");
    }
  }
  if (zs.total_out > maxBytes) return tooLarge();
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

uint64_t octal(std::string_view field) {
  uint64_t v = 0;
  for (char c : field) {
    if (c >= '0' && c <= '7') {
      v = v * 8 + static_cast<uint64_t>(c - '0');
    } else if (c == '\0' || c == ' ') {
      if (v != 0) break;
    } else {
      break;
    }
  }
  return v;
}

std::string cstr(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }

bool wantedFile(const std::string& name) {
  // Resources of the package live in package/; examples in package/example/ too.
  if (name.rfind("package/", 0) != 0) return false;
  if (name.size() < 5 || name.compare(name.size() - 5, 5, ".json") != 0) return false;
  const std::string base = name.substr(name.rfind('/') + 1);
  return base != "package.json" && base != ".index.json" && base[0] != '.' &&
         name.find("/other/") == std::string::npos && name.find("/openapi/") == std::string::npos;
}

// Whether a path of the archive stays inside it: not absolute, no ".." step.
bool pathInside(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.front() == '\\') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<std::unique_ptr<Package>> openTgz(const std::string& path, const PackageLimits& limits) {
  std::string compressed;
  if (!readFile(path, compressed))
    return Result<std::unique_ptr<Package>>::error("cannot read " + path);
  return readTgz(compressed, path, limits);
}

}  // namespace

Result<std::unique_ptr<Package>> readTgz(const std::string& compressed, const std::string& path,
                                         const PackageLimits& limits) {
  using R = Result<std::unique_ptr<Package>>;
  auto unpacked = gunzip(compressed, limits.maxUnpackedBytes);
  if (!unpacked) return R::error(path + ": " + unpacked.message());
  auto pkg = std::make_unique<TgzPackage>(std::move(unpacked.value()));
  const std::string_view tar = pkg->data();
  size_t pos = 0;
  size_t entries = 0;
  std::string longName;
  bool manifest = false;
  while (pos + 512 <= tar.size()) {
    const char* h = tar.data() + pos;
    if (h[0] == '\0') break;  // end-of-archive block
    if (++entries > limits.maxEntries) {
      return R::error(path + ": more than " + std::to_string(limits.maxEntries) +
                      " entries in the archive (the limit of a package): refused");
    }
    std::string name = cstr(h, 100);
    const std::string prefix = cstr(h + 345, 155);
    if (!prefix.empty() && std::memcmp(h + 257, "ustar", 5) == 0) name = prefix + "/" + name;
    const uint64_t size = octal(std::string_view(h + 124, 12));
    const char type = h[156];
    const size_t dataPos = pos + 512;
    if (size > limits.maxEntryBytes) {
      return R::error(path + ": entry " + name + " is " + std::to_string(size) +
                      " bytes, over the limit of " + std::to_string(limits.maxEntryBytes) +
                      " for one file of a package: refused");
    }
    if (size > tar.size() - dataPos) return R::error(path + ": truncated tar entry " + name);
    std::string_view content(tar.data() + dataPos, size);
    pos = dataPos + ((size + 511) / 512) * 512;
    if (type == 'L') {  // GNU long name for the next entry
      longName = cstr(content.data(), content.size());
      continue;
    }
    if (type == 'x') {  // pax header: look for path=
      size_t p = content.find(" path=");
      if (p != std::string_view::npos) {
        size_t e = content.find('\n', p);
        longName = std::string(content.substr(p + 6, e - p - 6));
      }
      continue;
    }
    if (!longName.empty()) {
      name = longName;
      longName.clear();
    }
    if (!pathInside(name)) {
      return R::error(path + ": entry '" + name +
                      "' has a path outside the package (absolute or with ..): refused");
    }
    if (type != '0' && type != '\0') continue;
    if (name == "package/package.json") {
      pkg->setManifest(content);
      manifest = true;
      continue;
    }
    if (!wantedFile(name)) continue;
    PackageResource r;
    if (!indexResource(content, r)) continue;
    r.file = path + "#" + name;
    pkg->addResource(std::move(r), {dataPos, static_cast<size_t>(size)});
  }
  if (!manifest) return R::error(path + ": no package/package.json in the archive");
  return std::unique_ptr<Package>(std::move(pkg));
}

namespace {

Result<std::unique_ptr<Package>> openFolder(const fs::path& dir) {
  fs::path root = dir;
  if (fs::exists(dir / "package" / "package.json")) root = dir / "package";
  auto pkg = std::make_unique<FolderPackage>();
  std::string manifest;
  if (readFile(root / "package.json", manifest)) {
    pkg->setManifest(manifest);
  } else {
    pkg->setName(dir.filename().string());
  }
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    const fs::path& p = it->path();
    const std::string base = p.filename().string();
    if (p.extension() != ".json" || base == "package.json" || base[0] == '.') continue;
    files.push_back(p);
  }
  if (ec)
    return Result<std::unique_ptr<Package>>::error("cannot list " + dir.string() + ": " +
                                                   ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::string text;
    PackageResource r;
    if (!readFile(f, text) || !indexResource(text, r)) continue;
    r.file = f.string();
    pkg->add(std::move(r), f);
  }
  return std::unique_ptr<Package>(std::move(pkg));
}

}  // namespace

bool Package::readManifest(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  name_ = stringMember(d, "name");
  version_ = stringMember(d, "version");
  canonical_ = stringMember(d, "canonical");
  auto deps = d.FindMember("dependencies");
  if (deps != d.MemberEnd() && deps->value.IsObject()) {
    for (auto& m : deps->value.GetObject()) {
      if (m.value.IsString()) {
        dependencies_.push_back(std::string(m.name.GetString()) + "#" + m.value.GetString());
      }
    }
  }
  return true;
}

bool indexResource(std::string_view json, PackageResource& out) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  out.resourceType = stringMember(d, "resourceType");
  if (out.resourceType.empty()) return false;
  out.id = stringMember(d, "id");
  out.url = stringMember(d, "url");
  out.version = stringMember(d, "version");
  if (out.resourceType == "StructureDefinition") {
    out.kind = stringMember(d, "kind");
    out.type = stringMember(d, "type");
  }
  return true;
}

Result<std::unique_ptr<Package>> openPackage(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return openFolder(path);
  if (!fs::exists(path, ec))
    return Result<std::unique_ptr<Package>>::error("no such file or folder: " + path);
  return openTgz(path, PackageLimits{});
}

Result<std::unique_ptr<Package>> openResourceFile(const std::string& path) {
  std::string text;
  if (!readFile(path, text)) return Result<std::unique_ptr<Package>>::error("cannot read " + path);
  if (core::detectFormat(text) == core::Format::Xml) {
    // Read as leniently as the validator reads its input: what breaks the format's rules (an
    // element out of order, an unknown one) is left out, and only a file that gives no resource
    // at all is refused.
    core::Issues issues;
    auto doc = core::readXml(text, Context::r4(), issues);
    const bool fatal =
        std::any_of(issues.items().begin(), issues.items().end(),
                    [](const core::Issue& i) { return i.severity == core::Severity::Fatal; });
    if (doc == nullptr || doc->root() == nullptr || fatal) {
      const core::Issue* first = issues.items().empty() ? nullptr : &issues.items().front();
      return Result<std::unique_ptr<Package>>::error(
          path + ": not a valid FHIR resource in XML" +
          (first != nullptr ? " (" + std::to_string(first->line) + ":" +
                                  std::to_string(first->column) + ": " + first->message + ")"
                            : std::string()));
    }
    text = core::writeJson(*doc->root());
  }
  PackageResource r;
  if (!indexResource(text, r)) {
    return Result<std::unique_ptr<Package>>::error(path + ": not a FHIR resource in JSON or XML");
  }
  r.file = path;
  return std::unique_ptr<Package>(std::make_unique<SingleResourcePackage>(
      fs::path(path).filename().string(), std::move(r), std::move(text)));
}

std::string gzipBytes(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  char buf[64 * 1024];
  size_t at = 0;
  do {
    // zlib counts in uInt: the input goes in slices.
    const size_t slice = std::min<size_t>(data.size() - at, 1u << 30);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + at));
    zs.avail_in = static_cast<uInt>(slice);
    at += slice;
    const int flush = at == data.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      deflate(&zs, flush);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (at < data.size());
  deflateEnd(&zs);
  return out;
}

std::unique_ptr<Package> embeddedCorePackage() { return std::make_unique<EmbeddedCorePackage>(); }

}  // namespace trialbridge::conformance
