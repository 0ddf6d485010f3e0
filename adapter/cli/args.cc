#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"

namespace trialbridge::cli {

ArgParser& ArgParser::option(std::string name, std::string valueName, std::string help,
                             bool repeatable) {
  specs_.push_back({std::move(name), std::move(valueName), std::move(help), true, repeatable});
  return *this;
}

ArgParser& ArgParser::flag(std::string name, std::string help) {
  specs_.push_back({std::move(name), "", std::move(help), false, false});
  return *this;
}

ArgParser& ArgParser::choices(std::vector<std::string> values) {
  if (!specs_.empty()) specs_.back().choices = std::move(values);
  return *this;
}

bool ArgParser::parse(std::span<const std::string> args) {
  bool optionsEnded = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (optionsEnded || a == "-" || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      optionsEnded = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inlineValue;
    if (const size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inlineValue = a.substr(eq + 1);
    }
    const Spec* spec = nullptr;
    for (const Spec& s : specs_) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      std::cerr << "trialbridge " << command_ << ": unknown option '" << name
                << "' (see 'trialbridge " << command_ << " --help')\n";
      return false;
    }
    if (!spec->takesValue) {
      if (inlineValue) {
        std::cerr << "trialbridge " << command_ << ": option '" << name << "' takes no value\n";
        return false;
      }
      values_[spec->name].push_back("true");
      continue;
    }
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      std::cerr << "trialbridge " << command_ << ": option '" << name << "' needs a value ("
                << spec->valueName << ")\n";
      return false;
    }
    auto& slot = values_[spec->name];
    if (!spec->repeatable && !slot.empty()) {
      std::cerr << "trialbridge " << command_ << ": option '" << name << "' given twice\n";
      return false;
    }
    slot.push_back(std::move(value));
  }
  return true;
}

bool ArgParser::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> ArgParser::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

const std::vector<std::string>& ArgParser::values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

std::string ArgParser::optionsHelp() const {
  std::ostringstream out;
  out << "Options:\n";
  for (const Spec& s : specs_) {
    std::string left = "  " + s.name + (s.takesValue ? " " + s.valueName : "");
    if (left.size() < 28) left.resize(28, ' ');
    out << left << " " << s.help << (s.repeatable ? " (repeatable)" : "") << "\n";
  }
  out << "  --help, -h                   print this help\n";
  return out.str();
}

bool readInput(const std::string& path, std::string& out, std::string& error) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    out = std::move(ss).str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open file";
    return false;
  }
  ss << in.rdbuf();
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  out = std::move(ss).str();
  return true;
}

std::string displayName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string issueLine(const std::string& path, const core::Issue& issue) {
  std::ostringstream out;
  out << displayName(path) << ":" << issue.line << ":" << issue.column << ": "
      << core::severityCode(issue.severity) << ": " << issue.message
      << (issue.location.empty() ? "" : " [" + issue.location + "]");
  return out.str();
}

}  // namespace trialbridge::cli
