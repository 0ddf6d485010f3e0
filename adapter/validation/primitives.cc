#include "validation/primitives.h"
#include "core/text.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace trialbridge::validation {

using core::isSpace;

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!isDigit(s[i])) return false;
  }
  return true;
}

int num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

int daysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD at the start of s; returns the length consumed or 0.
size_t parseDate(std::string_view s, std::string& why) {
  if (!digits(s, 0, 4)) return 0;
  if (s.size() == 4 || s[4] != '-') return 4;
  if (!digits(s, 5, 2)) return 0;
  const int month = num(s, 5, 2);
  if (month < 1 || month > 12) {
    why = "the month is out of range";
    return 0;
  }
  if (s.size() == 7 || s[7] != '-') return 7;
  if (!digits(s, 8, 2)) return 0;
  const int day = num(s, 8, 2);
  if (day < 1 || day > daysIn(num(s, 0, 4), month)) {
    why = "the day is out of range for the month";
    return 0;
  }
  return 10;
}

// hh:mm:ss(.fraction)? at pos; returns the end or 0.
size_t parseTime(std::string_view s, size_t pos, std::string& why) {
  if (!digits(s, pos, 2) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2) ||
      pos + 5 >= s.size() || s[pos + 5] != ':' || !digits(s, pos + 6, 2)) {
    return 0;
  }
  if (num(s, pos, 2) > 23 || num(s, pos + 3, 2) > 59 || num(s, pos + 6, 2) > 60) {
    why = "the time is out of range";
    return 0;
  }
  size_t end = pos + 8;
  if (end < s.size() && s[end] == '.') {
    size_t k = end + 1;
    while (k < s.size() && isDigit(s[k])) ++k;
    if (k == end + 1) return 0;
    end = k;
  }
  return end;
}

// Z or (+|-)hh:mm at pos, to the end of s.
bool parseZone(std::string_view s, size_t pos) {
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  if (pos + 6 != s.size() || !digits(s, pos + 1, 2) || s[pos + 3] != ':' ||
      !digits(s, pos + 4, 2)) {
    return false;
  }
  return num(s, pos + 1, 2) <= 14 && num(s, pos + 4, 2) <= 59;
}

bool checkDateTime(std::string_view v, bool instant, std::string& why) {
  const size_t d = parseDate(v, why);
  if (d == 0) return false;
  if (d == v.size()) {
    if (instant) why = "an instant needs a full date, time and time zone";
    return !instant;
  }
  if (d != 10 || v[10] != 'T') return false;
  const size_t t = parseTime(v, 11, why);
  if (t == 0) return false;
  if (!parseZone(v, t)) {
    why = t == v.size() ? "a time zone is required when a time is given" : why;
    return false;
  }
  return true;
}

bool checkInteger(std::string_view v, int64_t min, bool allowPlus, std::string& why) {
  std::string_view d = v;
  bool negative = false;
  if (!d.empty() && (d[0] == '-' || (allowPlus && d[0] == '+'))) {
    negative = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.empty() || (d.size() > 1 && d[0] == '0')) return false;
  for (char c : d) {
    if (!isDigit(c)) return false;
  }
  if (d.size() > 11) {
    why = "the value is outside the range of a 32-bit integer";
    return false;
  }
  int64_t n = 0;
  std::from_chars(d.data(), d.data() + d.size(), n);
  if (negative) n = -n;
  if (n > 2147483647 || n < -2147483648LL) {
    why = "the value is outside the range of a 32-bit integer";
    return false;
  }
  if (n < min) {
    why = min == 1 ? "the value must be at least 1" : "the value must not be negative";
    return false;
  }
  return true;
}

bool checkDecimal(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  if (i >= v.size()) return false;
  if (v[i] == '0') {
    ++i;
  } else if (isDigit(v[i])) {
    while (i < v.size() && isDigit(v[i])) ++i;
  } else {
    return false;
  }
  if (i < v.size() && v[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < v.size() && isDigit(v[i])) ++i;
    if (i == start) return false;
  }
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    const size_t start = i;
    while (i < v.size() && isDigit(v[i])) ++i;
    if (i == start) return false;
  }
  return i == v.size();
}

bool checkBase64(std::string_view v, std::string& why) {
  size_t n = 0;
  size_t pad = 0;
  for (char c : v) {
    if (isSpace(c)) continue;
    if (c == '=') {
      ++pad;
      ++n;
      continue;
    }
    if (pad > 0 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      why = "it is not valid Base64";
      return false;
    }
    ++n;
  }
  if (n % 4 != 0 || pad > 2) {
    why = "it is not valid Base64";
    return false;
  }
  return true;
}

bool checkString(std::string_view v, std::string& why) {
  if (v.size() > kMaxStringBytes) {
    why = "it is longer than the permitted maximum length of 1 MB (1048576 bytes)";
    return false;
  }
  // Eight bytes at a time past those with no byte below 0x20 (the classic "has a byte less than
  // n" test); the bytes of a chunk that has one are looked at one by one.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t i = 0;
  while (i < v.size()) {
    if (v.size() - i >= 8) {
      uint64_t w = 0;
      std::memcpy(&w, v.data() + i, 8);
      if ((((w - kOnes * 0x20) & ~w) & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    const size_t stop = std::min(v.size(), i + 8);
    for (; i < stop; ++i) {
      const auto u = static_cast<unsigned char>(v[i]);
      if (u < 0x20 && u != '\t' && u != '\r' && u != '\n') {
        why = "it contains an illegal character (control character " + std::to_string(u) + ")";
        return false;
      }
    }
  }
  return true;
}

}  // namespace

size_t codePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool checkResourceId(std::string_view id, std::string& why) {
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      why = "Invalid Characters ('" + std::string(id) + "')";
      return false;
    }
  }
  if (id.size() > 64) {
    why = "Too long (" + std::to_string(id.size()) + " chars)";
    return false;
  }
  if (id.empty()) {
    why = "Empty";
    return false;
  }
  return true;
}

bool checkPrimitive(std::string_view type, std::string_view v, std::string& why) {
  if (type == "string" || type == "markdown") return checkString(v, why);
  if (type == "boolean") return v == "true" || v == "false";
  if (type == "integer") return checkInteger(v, INT32_MIN, false, why);
  if (type == "positiveInt") return checkInteger(v, 1, true, why);
  if (type == "unsignedInt") return checkInteger(v, 0, false, why);
  if (type == "decimal") return checkDecimal(v);
  if (type == "date") {
    const size_t d = parseDate(v, why);
    return d != 0 && d == v.size();
  }
  if (type == "dateTime") return checkDateTime(v, false, why);
  if (type == "instant") return checkDateTime(v, true, why);
  if (type == "time") {
    const size_t t = parseTime(v, 0, why);
    return t != 0 && t == v.size();
  }
  if (type == "code") {
    // [^\s]+(\s[^\s]+)*
    if (v.empty() || isSpace(v.front()) || isSpace(v.back())) return false;
    for (size_t i = 1; i < v.size(); ++i) {
      if (isSpace(v[i]) && isSpace(v[i - 1])) return false;
    }
    return checkString(v, why);
  }
  if (type == "id") {
    if (!checkResourceId(v, why)) {
      why = "it is not a valid id: " + why;
      return false;
    }
    return true;
  }
  if (type == "uri" || type == "url" || type == "canonical") {
    for (char c : v) {
      if (isSpace(c)) {
        why = "URIs cannot contain white space";
        return false;
      }
    }
    if (v.rfind("urn:oid:", 0) == 0) return checkPrimitive("oid", v, why);
    if (v.rfind("urn:uuid:", 0) == 0) return checkPrimitive("uuid", v, why);
    return checkString(v, why);
  }
  if (type == "oid") {
    // urn:oid:[0-2](\.(0|[1-9][0-9]*))+
    if (v.rfind("urn:oid:", 0) != 0) return false;
    std::string_view rest = v.substr(8);
    if (rest.size() < 3 || rest[0] < '0' || rest[0] > '2' || rest[1] != '.') return false;
    size_t i = 2;
    while (i <= rest.size()) {
      size_t dot = rest.find('.', i);
      if (dot == std::string_view::npos) dot = rest.size();
      std::string_view arc = rest.substr(i, dot - i);
      if (arc.empty() || (arc.size() > 1 && arc[0] == '0')) return false;
      for (char c : arc) {
        if (!isDigit(c)) return false;
      }
      i = dot + 1;
    }
    return true;
  }
  if (type == "uuid") {
    if (v.rfind("urn:uuid:", 0) != 0 || v.size() != 45) return false;
    for (size_t i = 9; i < v.size(); ++i) {
      const size_t k = i - 9;
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        if (v[i] != '-') return false;
      } else if (!isDigit(v[i]) && (v[i] < 'a' || v[i] > 'f')) {
        why = "a UUID is written in lower case hexadecimal digits";
        return false;
      }
    }
    return true;
  }
  if (type == "base64Binary") return checkBase64(v, why);
  return true;
}

int comparePrimitive(std::string_view type, std::string_view a, std::string_view b) {
  if (type == "integer" || type == "positiveInt" || type == "unsignedInt" || type == "decimal" ||
      type == "Quantity") {
    char* end = nullptr;
    const std::string sa(a), sb(b);
    const long double x = std::strtold(sa.c_str(), &end);
    if (end == sa.c_str()) return 2;
    const long double y = std::strtold(sb.c_str(), &end);
    if (end == sb.c_str()) return 2;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (type == "date" || type == "dateTime" || type == "instant" || type == "time") {
    // Same-precision ISO text compares as text (time zones aside).
    const size_t n = std::min(a.size(), b.size());
    if (n < 4) return 2;
    const int c =
        a.substr(0, std::min<size_t>(n, 19)).compare(b.substr(0, std::min<size_t>(n, 19)));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return 2;
}

}  // namespace trialbridge::validation
