#!/usr/bin/env python3
"""Checks the shape of adapter/ against the rules of DESIGN.md (docs/architecture.md).

  tools/check_layers.py includes   [--root DIR]
      Each folder adapter/<layer> includes (#include "<other>/...") and links (tb_<other> in its
      CMakeLists.txt) only the layers listed below it in tools/layers.txt, the mirror of DESIGN's
      layer table. Fails on a header of a higher layer, on a folder not listed below, and on a
      folder of adapter/ that the table does not know.

  tools/check_layers.py functions  [--root DIR] [--limit N] [--allow FILE] [--list]
      No function in adapter/ is longer than N lines (150). Lines are counted as clang-tidy's
      readability-function-size counts them: from the line of the body's opening brace to the line
      of its closing one. Functions are found by matching braces over the clang-formatted sources,
      with comments and string literals removed. The allow-list (tools/long_functions.txt) names
      today's offenders, one `path name` a line: they are accepted, and a listed function that is
      no longer too long (or no longer there) is an error too, so that the list only shrinks.
      --list prints every function over the limit, in the allow-list's format.

Exit status: 0 when the rules hold, 1 with one line per problem (path:line: what) when not.
"""
import argparse
import os
import re
import sys
from dataclasses import dataclass

DEFAULT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_SUFFIXES = (".cc", ".h")


# ----------------------------------------------------------------------------------- layers --

def read_layers(path):
    """{layer: set of layers it may use directly}, or '*' for all; in the file's order."""
    table = {}
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if ":" not in line:
                raise ValueError(f"{path}:{number}: expected 'layer: uses...'")
            name, uses = (part.strip() for part in line.split(":", 1))
            words = uses.split()
            table[name] = "*" if words == ["*"] else set() if words == ["-"] else set(words)
    for name, uses in table.items():
        if uses != "*":
            unknown = uses - table.keys()
            if unknown:
                raise ValueError(f"{path}: {name} uses unknown layers {sorted(unknown)}")
    return table


def below(table):
    """{layer: every layer under it} (the transitive closure of 'may use')."""
    closure = {}

    def visit(name, trail):
        if name in closure:
            return closure[name]
        if name in trail:
            raise ValueError("the layer table has a cycle: " + " -> ".join(trail + [name]))
        uses = table[name]
        if uses == "*":
            result = set(table) - {name}
        else:
            result = set()
            for used in uses:
                result |= {used} | visit(used, trail + [name])
        closure[name] = result
        return result

    for name in table:
        visit(name, [])
    return closure


INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)
LINK = re.compile(r"\btb_([a-z0-9_]+)\b")


def source_files(folder):
    for base, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(base, name)


def check_includes(root, table):
    problems = []
    closure = below(table)
    adapter = os.path.join(root, "adapter")
    folders = sorted(d for d in os.listdir(adapter) if os.path.isdir(os.path.join(adapter, d)))
    for folder in folders:
        if folder not in table:
            problems.append(f"adapter/{folder}: a folder that tools/layers.txt (DESIGN's layer "
                            "table) does not list")
    for folder in folders:
        if folder not in table:
            continue
        allowed = closure[folder] | {folder}

        def judge(where, other, what):
            if other in allowed or other not in table:
                return
            if folder in closure[other]:
                problems.append(f"{where}: {folder} {what} {other}, a higher layer")
            else:
                problems.append(f"{where}: {folder} {what} {other}, which is not listed below "
                                f"{folder} in the layer table")

        for path in source_files(os.path.join(adapter, folder)):
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                included = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                first = included.split("/", 1)[0]
                if "/" not in included:
                    continue
                if first == ".." or included.startswith("../"):
                    problems.append(f"{rel}:{line}: includes \"{included}\" by a relative path; "
                                    "name the layer folder")
                    continue
                judge(f"{rel}:{line}", first, f"includes \"{included}\" of")
        cmake = os.path.join(adapter, folder, "CMakeLists.txt")
        if os.path.exists(cmake):
            with open(cmake, encoding="utf-8") as f:
                text = f.read()
            for m in re.finditer(r"target_link_libraries\s*\(([^)]*)\)", text):
                line = text.count("\n", 0, m.start()) + 1
                for lib in LINK.findall(m.group(1)):
                    judge(f"adapter/{folder}/CMakeLists.txt:{line}", lib, "links tb_" + lib + " of")
    return problems


# -------------------------------------------------------------------------------- functions --

def strip_code(text):
    """The text with comments, string and character literals (raw strings too) blanked out, and
    preprocessor lines emptied; newlines are kept, so line numbers stay those of the file."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                i += 1
            continue
        if c == "\n":
            out.append(c)
            i += 1
            at_line_start = True
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        raw = re.match(r'(?:u8|u|U|L)?R"([^(\s]{0,16})\(', text[i:i + 24])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + raw.group(1) + '"'
            end = text.find(close, i + raw.end())
            end = n if end < 0 else end + len(close)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:end]))
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = min(j + 1, n)
            continue
        out.append(c)
        i += 1
    return "".join(out)


@dataclass
class Function:
    path: str
    name: str
    line: int  # of the opening brace
    lines: int  # clang-tidy's count: closing brace's line minus opening brace's line


CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum|extern)\b")
CONTROL = re.compile(r"^(if|for|while|switch|catch|else|do|try)\b")
TRAILING = re.compile(
    r"\)\s*(?:(?:const|volatile|noexcept(?:\s*\([^()]*\))?|override|final|mutable|&&|&)\s*)*"
    r"(?:->\s*[\w:<>,\s*&]+?)?\s*(?:requires\b.*)?$", re.S)
CTOR_INIT = re.compile(r"\)\s*(?:noexcept\s*)?:(?!:)")


def is_function_header(header):
    h = header.strip()
    if not h or CONTROL.match(h) or "(" not in h:
        return False
    if h.endswith("]") or re.search(r"=\s*$", h):
        return False
    # A constructor's initializer list is complete when it ends with ')' or '}'; before that, a
    # brace is a member's braced initializer (`: a_(a), b_{b} {`).
    if TRAILING.search(h) or (CTOR_INIT.search(h) and h.endswith("}")):
        head = h.split("(", 1)[0]
        # `Type name = f(...) {`? Not a definition: a declaration with an initializer has '='
        # before its first parenthesis (operator= is the exception).
        if "=" in head.replace("operator=", "").replace("operator==", "") \
                .replace("operator!=", "").replace("<=", "").replace(">=", ""):
            return False
        return True
    return False


def function_name(header, classes):
    h = " ".join(header.split())
    m = re.search(r"(operator\s*(?:\(\)|[^\s(]+)|~?[\w:]+)\s*(?:<[^()]*>)?\s*\(", h)
    if m and "operator" in h:
        op = re.search(r"([\w:]*operator\s*(?:\(\)|[^\s(]+))\s*\(", h)
        if op:
            m = op
    name = m.group(1) if m else h[:40]
    name = re.sub(r"\s+", "", name)
    if classes and "::" not in name:
        name = "::".join(classes) + "::" + name
    return name


def container_name(header):
    m = re.search(r"\b(?:class|struct|union)\s+(?:\[\[[^\]]*\]\]\s*)?(?:alignas\([^)]*\)\s*)?"
                  r"(\w+)", header)
    return m.group(1) if m else None


def find_functions(path, rel):
    with open(path, encoding="utf-8", errors="replace") as f:
        code = strip_code(f.read())
    functions = []
    # Scopes: ("container", class name or None) | ("function", Function) | ("other", None).
    stack = []
    header_start = 0
    line = 1
    i, n = 0, len(code)
    inside_function = 0
    while i < n:
        c = code[i]
        if c == "\n":
            line += 1
        elif c in ";" and not inside_function:
            header_start = i + 1
        elif c == "{":
            if inside_function:
                stack.append(("other", None))
            else:
                header = code[header_start:i]
                if is_function_header(header):
                    classes = [name for kind, name in stack if kind == "container" and name]
                    fn = Function(rel, function_name(header, classes), line, 0)
                    stack.append(("function", fn))
                    inside_function += 1
                elif CONTAINER.search(header) and "=" not in header:
                    stack.append(("container", container_name(header)))
                    header_start = i + 1
                else:
                    # A braced initializer at namespace or class scope: skip it whole.
                    depth = 1
                    j = i + 1
                    while j < n and depth:
                        if code[j] == "{":
                            depth += 1
                        elif code[j] == "}":
                            depth -= 1
                        elif code[j] == "\n":
                            line += 1
                        j += 1
                    i = j
                    continue
        elif c == "}":
            if stack:
                kind, value = stack.pop()
                if kind == "function":
                    inside_function -= 1
                    value.lines = line - value.line
                    functions.append(value)
            if not inside_function:
                header_start = i + 1
        elif c == ":" and not inside_function:
            # `public:` / `private:` / `protected:` end a header in a class body.
            if re.search(r"\b(public|private|protected)\s*$", code[header_start:i]):
                header_start = i + 1
        i += 1
    return functions


def all_functions(root):
    found = []
    adapter = os.path.join(root, "adapter")
    for path in source_files(adapter):
        found += find_functions(path, os.path.relpath(path, root))
    return found


def read_allow_list(path):
    entries = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"{path}:{number}: expected 'path name'")
            entries[(parts[0], parts[1])] = number
    return entries


def check_functions(root, limit, allow_path):
    problems = []
    allowed = read_allow_list(allow_path)
    allow_rel = os.path.relpath(allow_path, root)
    longest = {}
    for fn in all_functions(root):
        key = (fn.path, fn.name)
        longest[key] = max(longest.get(key, 0), fn.lines)
        if fn.lines > limit and key not in allowed:
            problems.append(f"{fn.path}:{fn.line}: {fn.name} is {fn.lines} lines long, more than "
                            f"{limit}: split it (by concern, each piece small and named)")
    for key, number in sorted(allowed.items(), key=lambda kv: kv[1]):
        if key not in longest:
            problems.append(f"{allow_rel}:{number}: {key[0]} {key[1]} is no longer there: remove "
                            "it from the list")
        elif longest[key] <= limit:
            problems.append(f"{allow_rel}:{number}: {key[0]} {key[1]} is now {longest[key]} lines "
                            f"(at most {limit}): remove it from the list, which only shrinks")
    return problems


# ------------------------------------------------------------------------------------- main --

def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", choices=["includes", "functions"])
    parser.add_argument("--root", default=DEFAULT_ROOT, help="the repository (default: this one)")
    parser.add_argument("--layers", help="the layer table (default: ROOT/tools/layers.txt)")
    parser.add_argument("--limit", type=int, default=150, help="longest function, in lines")
    parser.add_argument("--allow", help="allow-list (default: ROOT/tools/long_functions.txt)")
    parser.add_argument("--list", action="store_true", help="print the functions over the limit")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        if args.check == "includes":
            table = read_layers(args.layers or os.path.join(root, "tools", "layers.txt"))
            problems = check_includes(root, table)
        elif args.list:
            for fn in sorted(all_functions(root), key=lambda f: (f.path, f.line)):
                if fn.lines > args.limit:
                    print(f"{fn.path} {fn.name}  # {fn.lines} lines")
            return 0
        else:
            allow = args.allow or os.path.join(root, "tools", "long_functions.txt")
            problems = check_functions(root, args.limit, allow)
    except (OSError, ValueError) as e:
        print(f"check_layers: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers {args.check}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
