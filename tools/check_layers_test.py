#!/usr/bin/env python3
"""Tests of tools/check_layers.py over small trees made for each case (run by ctest)."""
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_layers  # noqa: E402

LAYERS = """\
core: -
conformance: core
study: conformance
hl7v2: core
mapping: study hl7v2
cli: *
"""


class Tree:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        self.write("tools/layers.txt", LAYERS)
        for layer in ("core", "conformance", "study", "hl7v2", "mapping", "cli"):
            os.makedirs(os.path.join(self.root, "adapter", layer))

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text))

    def includes(self):
        table = check_layers.read_layers(os.path.join(self.root, "tools", "layers.txt"))
        return check_layers.check_includes(self.root, table)

    def functions(self, allow=""):
        self.write("tools/long_functions.txt", allow)
        return check_layers.check_functions(self.root, 150,
                                            os.path.join(self.root, "tools/long_functions.txt"))

    def close(self):
        self.dir.cleanup()


def function(name, body_lines, indent=""):
    """A definition whose body spans body_lines lines by clang-tidy's count."""
    inner = "".join(f"{indent}  x += {i};\n" for i in range(body_lines - 1))
    return f"{indent}int {name}(int x) {{\n{inner}{indent}}}\n"


class IncludesTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()

    def tearDown(self):
        self.tree.close()

    def test_includes_of_layers_below_pass(self):
        self.tree.write("adapter/mapping/a.cc", """\
            #include "mapping/a.h"
            #include "study/trial.h"
            #include "conformance/profiles.h"
            #include "core/issue.h"
            #include <rapidjson/document.h>
            #include "local.h"
            """)
        self.tree.write("adapter/cli/main.cc", '#include "mapping/a.h"\n#include "hl7v2/x.h"\n')
        self.assertEqual(self.tree.includes(), [])

    def test_a_header_of_a_higher_layer_fails(self):
        self.tree.write("adapter/study/trial_reader.cc",
                        '#include "study/trial.h"\n\n#include "mapping/ids.h"\n')
        problems = self.tree.includes()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("adapter/study/trial_reader.cc:3:", problems[0])
        self.assertIn("a higher layer", problems[0])

    def test_a_folder_not_listed_below_fails(self):
        # hl7v2 and study are side by side: neither is below the other.
        self.tree.write("adapter/study/x.h", '#include "hl7v2/message.h"\n')
        problems = self.tree.includes()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("not listed below study", problems[0])

    def test_a_folder_the_table_does_not_know_fails(self):
        os.makedirs(os.path.join(self.tree.root, "adapter", "extras"))
        problems = self.tree.includes()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("adapter/extras", problems[0])

    def test_links_are_checked_too(self):
        self.tree.write("adapter/conformance/CMakeLists.txt",
                        "add_library(tb_conformance a.cc)\n"
                        "target_link_libraries(tb_conformance PUBLIC tb_core tb_study)\n")
        problems = self.tree.includes()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("links tb_study", problems[0])

    def test_relative_includes_fail(self):
        self.tree.write("adapter/core/a.cc", '#include "../mapping/ids.h"\n')
        problems = self.tree.includes()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("relative path", problems[0])

    def test_the_table_is_closed_transitively_and_refuses_cycles(self):
        closure = check_layers.below(check_layers.read_layers(
            os.path.join(self.tree.root, "tools", "layers.txt")))
        self.assertEqual(closure["mapping"], {"study", "conformance", "core", "hl7v2"})
        self.assertEqual(closure["core"], set())
        self.tree.write("tools/layers.txt", "a: b\nb: a\n")
        with self.assertRaises(ValueError):
            check_layers.below(check_layers.read_layers(
                os.path.join(self.tree.root, "tools", "layers.txt")))


class FunctionsTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()

    def tearDown(self):
        self.tree.close()

    def test_150_lines_pass_and_151_fail(self):
        self.tree.write("adapter/core/a.cc", "namespace x {\n" + function("fits", 150) +
                        function("tooLong", 151) + "}  // namespace x\n")
        problems = self.tree.functions()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("adapter/core/a.cc:153: tooLong is 151 lines long", problems[0])

    def test_methods_are_named_with_their_class(self):
        self.tree.write("adapter/core/a.h", "class Run {\n public:\n" +
                        function("walk", 160, "  ") + "};\n")
        self.tree.write("adapter/core/b.cc", "Engine::Engine(int a, int b)\n    : a_(a), b_{b} {\n" +
                        "".join("  a_ += 1;\n" for _ in range(160)) + "}\n")
        problems = self.tree.functions()
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("Run::walk is 160 lines", problems[0])
        self.assertIn("Engine::Engine is 161 lines", problems[1])

    def test_braces_in_comments_strings_and_initializers_do_not_count(self):
        self.tree.write("adapter/core/a.cc", '''\
            // a comment with { and }
            const char* kText = R"x({ "raw": "}" })x";
            const int kTable[] = {1, 2, {3}};
            struct Point { int x = 0; };
            int f() {
              /* } */ const char c = '}';
              const char* s = "}{";
              if (c == 'x') { return 1; }
              return s[0];
            }
            ''')
        functions = check_layers.find_functions(os.path.join(self.tree.root, "adapter/core/a.cc"),
                                                "adapter/core/a.cc")
        self.assertEqual([(f.name, f.line, f.lines) for f in functions], [("f", 5, 5)])

    def test_the_allow_list_accepts_and_only_shrinks(self):
        self.tree.write("adapter/core/a.cc", function("big", 200) + function("small", 20))
        self.assertEqual(self.tree.functions("adapter/core/a.cc big\n"), [])
        problems = self.tree.functions("adapter/core/a.cc big\nadapter/core/a.cc small\n"
                                       "adapter/core/gone.cc old  # split already\n")
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("small is now 20 lines", problems[0])
        self.assertIn("gone.cc old is no longer there", problems[1])


class RepositoryTest(unittest.TestCase):
    """The repository itself: the same checks ctest runs, reported here with their problems."""

    def test_the_layer_table_parses(self):
        table = check_layers.read_layers(os.path.join(check_layers.DEFAULT_ROOT, "tools",
                                                      "layers.txt"))
        self.assertIn("study", table)
        self.assertNotIn("mapping", check_layers.below(table)["study"])


if __name__ == "__main__":
    unittest.main()
