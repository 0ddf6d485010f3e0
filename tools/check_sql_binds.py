#!/usr/bin/env python3
"""Checks that the store builds SQL from constant text only: values go in as bound parameters.

Usage: check_sql_binds.py [--root DIR]     scan DIR/adapter/store/*.cc and *.h (exit 1 if any)
       check_sql_binds.py --self-test      the rules against known good and bad snippets

A value spliced into SQL shows up in C++ as one of these, each refused:
  quote    a string literal that opens or closes an SQL quote next to a concatenation
           ("... = '" + v, v + "' ..."), or a quote appended to a string, in an expression that
           builds SQL (see number: messages quote values too, and pass);
  escape   a helper that quotes or escapes text for SQL (quoted(), escape...(), sqlQuote());
  number   std::to_string / std::format / snprintf in an expression that builds SQL (a line
           with .add(, .sql(, << or an SQL keyword in a string literal);
  stream   an ostringstream fed to a Statement or a Session.
Column and table names chosen from fixed tables (indexTable(), sortColumn()) are constants and
pass; so do '?' placeholders and the '' literal of a constant empty column.
One function may put a number in SQL text, because SQLite's PRAGMAs take no bound parameters:
`std::string integerPragma(std::string_view name, int64_t value)`, defined once, its value an
integer by its type. Its body passes; a second definition, or one with another signature, does not.
"""
import argparse
import pathlib
import re
import sys

SQL_WORD = re.compile(r'"[^"\n]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|ORDER BY|LIMIT|'
                      r'FROM|JOIN|SET|PRAGMA)\b[^"\n]*"')
QUOTE = re.compile(r"'\"\s*\+|\+\s*\"'|\+=\s*'\\''|\+=\s*\"'\"")
RULES = [
    ("escape", re.compile(r"\b(quoted|sqlQuote|escape\w*)\s*\(")),
    ("stream", re.compile(r"std::(o|)stringstream\b.*\b(Statement|Session)\b")),
]
NUMBER = re.compile(r"std::to_string\s*\(|std::format\s*\(|snprintf\s*\(")
SQL_BUILDING = re.compile(r"\.add\s*\(|\.sql\s*\(|<<")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


PRAGMA_FUNCTION = re.compile(r"^std::string integerPragma\(std::string_view name, int64_t value\) \{$")


def check_text(text):
    """Returns (line, rule, source line) for each finding."""
    found = []
    lines = strip_comments(text).split("\n")
    in_pragma = False
    pragmas = 0
    for number, line in enumerate(lines, 1):
        if PRAGMA_FUNCTION.match(line):
            pragmas += 1
            in_pragma = pragmas == 1
            if pragmas > 1:
                found.append((number, "pragma", "a second integerPragma: " + line.strip()))
            continue
        if in_pragma:
            in_pragma = line != "}"
            continue
        for name, rule in RULES:
            if rule.search(line):
                found.append((number, name, line.strip()))
        sql = SQL_BUILDING.search(line) or SQL_WORD.search(line)
        if sql and QUOTE.search(line):
            found.append((number, "quote", line.strip()))
        if sql and NUMBER.search(line):
            found.append((number, "number", line.strip()))
    return found


def scan(root):
    files = sorted((root / "adapter" / "store").glob("*.cc")) + sorted(
        (root / "adapter" / "store").glob("*.h"))
    if not files:
        print(f"check_sql_binds: no sources under {root}/adapter/store", file=sys.stderr)
        return 2
    bad = 0
    for path in files:
        for number, rule, line in check_text(path.read_text(encoding="utf-8")):
            print(f"{path.relative_to(root)}:{number}: [{rule}] SQL built from a value: {line}")
            bad += 1
    print(f"check_sql_binds: {len(files)} files, {bad} findings")
    return 1 if bad else 0


BAD = [
    ('sql.add(" AND s.param = \'" + code + "\'");', "quote"),
    ('std::string q = "SELECT * FROM t WHERE id = \'" + id;', "quote"),
    ('sql.add(" WHERE k = ").add(q += \'\\\'\');', "quote"),
    ('sql.add(quoted(k.param->code));', "escape"),
    ('session << "DELETE FROM t WHERE id = " + std::to_string(id), now;', "number"),
    ('sql.add(" LIMIT " + std::to_string(n));', "number"),
    ('std::ostringstream os; Statement st(session); st << os.str();', "stream"),
    ('std::string integerPragma(std::string_view name, std::string value) {\n'
     '  return "PRAGMA " + std::string(name) + " = " + std::to_string(value);\n}', "number"),
    ('std::string integerPragma(std::string_view name, int64_t value) {\n  return "";\n}\n'
     'std::string integerPragma(std::string_view name, int64_t value) {\n  return "";\n}',
     "pragma"),
    ('std::string integerPragma(std::string_view name, int64_t value) {\n  return "";\n}\n'
     'session << "DELETE FROM t WHERE id = " + std::to_string(id), now;', "number"),
]
GOOD = [
    'sql.add(" WHERE r.res_type = ? AND r.deleted = 0").bind(query.type);',
    'sql.add(") FROM ").add(indexTable(k.param->type));',
    'sql.add("SELECT r.res_id, \'\' FROM resources r");',
    'return Status::error("version " + std::to_string(v) + " not found");',
    'return Status::error(Code::Invalid, "invalid resource id \'" + id + "\'");',
    '// sql.add(" = \'" + value + "\'") in a comment is not code',
    'for (size_t i = 0; i < n; ++i) sql.add(i > 0 ? ", ?" : "?").bind(values[i]);',
    'std::string integerPragma(std::string_view name, int64_t value) {\n'
    '  return "PRAGMA " + std::string(name) + " = " + std::to_string(value);\n}\n'
    '*s << integerPragma("cache_size", -options_.pageCacheKiB), kNow;',
]


def self_test():
    failures = 0
    for snippet, rule in BAD:
        rules = {r for _, r, _ in check_text(snippet)}
        if rule not in rules:
            print(f"not refused ({rule}): {snippet}")
            failures += 1
    for snippet in GOOD:
        if check_text(snippet):
            print(f"refused but fine: {snippet}")
            failures += 1
    print(f"check_sql_binds self-test: {len(BAD)} bad, {len(GOOD)} good, {failures} failures")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    return self_test() if args.self_test else scan(pathlib.Path(args.root))


if __name__ == "__main__":
    sys.exit(main())
