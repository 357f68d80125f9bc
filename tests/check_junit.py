#!/usr/bin/env python3
"""Independent check of sa-cosim's JUnit XML with Python's own XML parser: the structure that
Jenkins, GitLab and GitHub test reporters read (testsuites > testsuite > testcase, failure vs
error), the counts in the attributes, and which case failed.

usage: check_junit.py FILE TESTS FAILURES ERRORS FAILING_CASE ('' when none fails)
"""
import sys
import xml.etree.ElementTree as ET


def main():
    path, tests, failures, errors, failing = sys.argv[1:6]
    tests, failures, errors = int(tests), int(failures), int(errors)
    root = ET.parse(path).getroot()
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    need(root.tag == "testsuites", f"root is <{root.tag}>, not <testsuites>")
    suites = root.findall("testsuite")
    need(len(suites) == 1, f"{len(suites)} testsuite elements")
    for el in [root] + suites:
        for attr, want in (("tests", tests), ("failures", failures), ("errors", errors)):
            need(el.get(attr) == str(want), f"<{el.tag}> {attr}={el.get(attr)}, expected {want}")
        need(float(el.get("time", "-1")) >= 0, f"<{el.tag}> has no non-negative time")
    suite = suites[0]
    need(suite.get("timestamp"), "testsuite has no timestamp")
    cases = suite.findall("testcase")
    need(len(cases) == tests, f"{len(cases)} testcases, expected {tests}")
    names = [c.get("name") for c in cases]
    need(len(set(names)) == len(names), "testcase names repeat")
    failed = []
    for c in cases:
        need(c.get("classname"), f"testcase {c.get('name')} has no classname")
        need(float(c.get("time", "-1")) >= 0, f"testcase {c.get('name')} has no time")
        f, e = c.findall("failure"), c.findall("error")
        need(len(f) + len(e) <= 1, f"testcase {c.get('name')} has several results")
        if f:
            failed.append(c.get("name"))
            text = f[0].text or ""
            need(f[0].get("message"), "failure without a message")
            need("MISMATCH" in text or f[0].get("type") != "mismatch", "mismatch list missing")
            need("rerun:" in text, "rerun command missing from the failure text")
    need(len(failed) == failures, f"{len(failed)} failed cases, expected {failures}")
    if failing:
        need(failing in failed, f"'{failing}' is not among the failed cases {failed}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{path}: valid JUnit, {tests} cases, {failures} failures, {errors} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
