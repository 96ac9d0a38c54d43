#!/usr/bin/env python3
"""Links and section references that point nowhere (make docs-check, part of
make test). Pure Python, no network; a second or less.

In the Markdown files (README.md, docs/, any other *.md of the tree):
- every relative link [text](path) and [label]: path names a file or
  folder that exists, relative to the page;
- every #anchor of such a link (or of [text](#anchor) in the same page) is
  a heading of the target page, slugged as GitHub does (lower case,
  punctuation dropped, spaces to -, a repeated heading gets -1, -2, ...),
  or an explicit <a id=...>/<a name=...>.

In every text file of the tree (code, comments, scripts, the unit file,
config, help strings, and the Markdown prose too), the textual forms, also
when a comment wraps them over two lines:
- README.md#anchor, docs/PAGE.md#anchor: the page and the anchor exist;
- README.md "Heading", docs/PAGE.md "Heading" (a comma between is fine),
  and "Heading" in docs/PAGE.md: the page has a heading of exactly that
  text (inline markup left out);
- any other docs/PAGE.md: the page exists;
- file:///usr/local/share/doc/jitterd/PATH (the unit's Documentation=):
  PATH is a file of the tree, which make install copies there;
- README, Word (an unquoted section name) is an error: it cannot be
  checked, so it must be written in one of the forms above.
Not read: .git, build directories, .cache, node_modules, bpf/vmlinux.

It first runs on a small tree of its own with one reference of each kind,
good and broken, and fails unless it finds exactly the broken ones: a
check that has stopped finding anything must not pass.
"""
import bisect
import os
import re
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SELF = os.path.normpath(os.path.abspath(__file__))
SKIP_DIRS = {".git", ".cache", "node_modules", "build", "build-san", "build-fuzz", "__pycache__"}
SKIP_PATHS = {os.path.join("bpf", "vmlinux")}

PAGE = r"(?:README(?:\.md)?|docs/[A-Za-z0-9_.-]+\.md)"
ANCHOR_REF = re.compile(r"(?<![\w/.-])(" + PAGE + r")#([A-Za-z0-9_-]+)")
# A quote may be escaped (\" in a C string).
QUOTED_AFTER = re.compile(r"(?<![\w/.-])(" + PAGE + r"),? \\?\"([^\"\\\n]+)\\?\"")
QUOTED_BEFORE = re.compile(r"\\?\"([^\"\\\n]+)\\?\",? (?:in|of) (?:the )?(" + PAGE + r")(?![\w-])")
PAGE_MENTION = re.compile(r"(?<![\w/.-])(docs/[A-Za-z0-9_.-]+\.md)(?![\w-])")
# What make install puts under $(PREFIX)/share/doc/jitterd/ (the unit's Documentation=).
INSTALLED_DOC = re.compile(r"file:///usr/local/share/doc/jitterd/([A-Za-z0-9_./-]+)")
UNQUOTED = re.compile(r"(?<![\w/.-])(" + PAGE + r"), ([A-Z][a-z]+)")

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
INLINE_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINE_BREAK = re.compile(r"\n[ \t]*(?:(?:#+|\*+|//+|;+)[ \t]*)?")


def page_path(name):
    """README or README.md or docs/x.md, relative to the root."""
    return "README.md" if name in ("README", "README.md") else name


def heading_text(raw):
    """The heading as GitHub renders it: code spans, links, emphasis and tags reduced to text."""
    text = CODE_SPAN.sub(lambda m: m.group(2).strip(), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|\*|__)(.+?)\1", r"\2", text)
    return re.sub(r"\s+", " ", text).strip()


def slug(text):
    """github-slugger: lower case, drop what is neither a letter, a digit, '-', '_' nor a space."""
    return "".join(c for c in text.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def outside_fences(lines):
    """(line number, line) of the lines not inside a fenced code block."""
    fence = None
    for n, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield n, line


def joined(text):
    """The text with each line break and the comment marker after it (#, *, //, ;) made one
    space, so that a reference wrapped in a comment reads as one; and a function from an
    offset in it to the line number."""
    out, starts, pos = [], [0], 0
    length = 0
    for m in LINE_BREAK.finditer(text):
        out.append(text[pos:m.start()] + " ")
        length += m.start() - pos + 1
        starts.append(length)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), lambda offset: bisect.bisect_right(starts, offset)


class Page:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.lines = f.read().splitlines()
        self.headings = set()
        self.anchors = set()
        seen = {}
        for _, line in outside_fences(self.lines):
            for a in HTML_ANCHOR.findall(line):
                self.anchors.add(a)
            m = HEADING.match(line)
            if not m:
                continue
            text = heading_text(m.group(2))
            self.headings.add(text)
            s = slug(text)
            if s in seen:
                seen[s] += 1
                s = "%s-%d" % (s, seen[s])
            else:
                seen[s] = 0
            self.anchors.add(s)


def text_files(root):
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".check-")
                         and os.path.normpath(os.path.join(rel_top, d)) not in SKIP_PATHS)
        for name in sorted(files):
            path = os.path.join(top, name)
            if os.path.normpath(path) == SELF:
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if b"\0" in data:
                continue
            try:
                yield os.path.relpath(path, root), data.decode("utf-8")
            except UnicodeDecodeError:
                continue


class Checker:
    def __init__(self, root):
        self.root = root
        self.pages = {}
        self.errors = []

    def page(self, rel):
        """The parsed Markdown page at rel (relative to the root), or None."""
        rel = os.path.normpath(rel)
        if rel not in self.pages:
            path = os.path.join(self.root, rel)
            self.pages[rel] = Page(path) if os.path.isfile(path) else None
        return self.pages[rel]

    def error(self, where, line, msg):
        self.errors.append((where, line, msg))

    def check_anchor(self, where, line, target, anchor, shown):
        p = self.page(target)
        if p is None:
            self.error(where, line, "%s: no such page" % shown)
        elif anchor not in p.anchors:
            self.error(where, line, "%s: %s has no heading with the anchor #%s" % (shown, target, anchor))

    def check_heading(self, where, line, target, heading, shown):
        p = self.page(target)
        if p is None:
            self.error(where, line, "%s: no such page" % shown)
        elif heading_text(heading) not in p.headings:
            self.error(where, line, "%s: %s has no heading \"%s\"" % (shown, target, heading))

    def markdown_links(self, rel, text):
        here = os.path.dirname(rel)
        for n, line in outside_fences(text.splitlines()):
            bare = CODE_SPAN.sub("", line)
            targets = [m.group(2) for m in INLINE_LINK.finditer(bare)]
            m = REF_DEF.match(bare)
            if m:
                targets.append(m.group(1))
            for t in targets:
                if not t or re.match(r"[a-z][a-z0-9+.-]*:", t, re.I):
                    continue  # http:, https:, mailto:, file: ...
                path, _, anchor = t.partition("#")
                target = os.path.normpath(os.path.join(here, path)) if path else rel
                if path and not os.path.exists(os.path.join(self.root, target)):
                    self.error(rel, n, "link (%s): %s does not exist" % (t, target))
                elif anchor and target.endswith(".md"):
                    self.check_anchor(rel, n, target, anchor, "link (%s)" % t)

    def textual_refs(self, rel, text):
        if "README" not in text and "docs/" not in text and "/share/doc/jitterd/" not in text:
            return  # every form names one of these
        if rel.endswith(".md"):  # link targets were checked as links
            text = INLINE_LINK.sub(lambda m: "[" + m.group(1) + "]()", text)
        text, line_of = joined(text)
        for m in ANCHOR_REF.finditer(text):
            self.check_anchor(rel, line_of(m.start()), page_path(m.group(1)), m.group(2), m.group(0))
        for m in QUOTED_AFTER.finditer(text):
            self.check_heading(rel, line_of(m.start()), page_path(m.group(1)), m.group(2), m.group(0))
        for m in QUOTED_BEFORE.finditer(text):
            self.check_heading(rel, line_of(m.start()), page_path(m.group(2)), m.group(1), m.group(0))
        for m in PAGE_MENTION.finditer(text):
            if self.page(m.group(1)) is None:
                self.error(rel, line_of(m.start()), "%s: no such page" % m.group(1))
        for m in INSTALLED_DOC.finditer(text):
            if not os.path.isfile(os.path.join(self.root, m.group(1))):
                self.error(rel, line_of(m.start()), "%s: make install puts no %s there" % (m.group(0), m.group(1)))
        for m in UNQUOTED.finditer(text):
            self.error(rel, line_of(m.start()), "%s: a section named without quotes cannot be checked: "
                       "write %s \"Heading\" or %s#anchor" % (m.group(0), m.group(1), m.group(1)))

    def run(self):
        for rel, text in text_files(self.root):
            if rel.endswith(".md"):
                self.markdown_links(rel, text)
            self.textual_refs(rel, text)
        return self.errors


# A tree of its own with one reference of each kind, good and broken: the
# check must find exactly the broken ones, or it has stopped checking.
SELF_TEST_TREE = {
    "README.md": "# Top\n\n## Two words\n\n```\n## Not a heading\n```\n\n"
                 "[ok](docs/a.md#b-c) [ok](#two-words) [ok](Makefile)\n"
                 "[bad](docs/nope.md) [bad](docs/a.md#nope) [bad](#not-a-heading)\n",
    "docs/a.md": "# A\n\n## B: `c`\n\n## B: `c`\n\n[ok](../README.md#top) [ok](a.md#b-c-1)\n",
    "Makefile": "# see docs/a.md \"B: c\" and \"A\" in docs/a.md and README.md#two-words\n"
                "# bad: docs/a.md \"B\", README.md#b-c, docs/gone.md, README, Top\n",
    "x.c": "/* ok: docs/a.md\n * \"B: c\"; bad: \"Two\n * words\" in docs/a.md */\n"
           "puts(\"(docs/a.md, \\\"B: c\\\")\"); puts(\"(README \\\"Nothing\\\")\");\n",
    "x.service": "Documentation=file:///usr/local/share/doc/jitterd/docs/a.md\n"
                 "Documentation=file:///usr/local/share/doc/jitterd/docs/b.md\n",
}
SELF_TEST_FINDS = {
    ("README.md", 10, "link (docs/nope.md)"), ("README.md", 10, "link (docs/a.md#nope)"),
    ("README.md", 10, "link (#not-a-heading)"), ("Makefile", 2, 'docs/a.md "B"'),
    ("Makefile", 2, "README.md#b-c"), ("Makefile", 2, "docs/gone.md"), ("Makefile", 2, "README, Top"),
    ("x.c", 2, '"Two words" in docs/a.md'), ("x.c", 4, 'README \\"Nothing\\"'),
    ("x.service", 2, "file:///usr/local/share/doc/jitterd/docs/b.md"),
}


def self_test():
    with tempfile.TemporaryDirectory(prefix="check-docs-") as root:
        for rel, text in SELF_TEST_TREE.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        found = {(w, n, msg.split(": ")[0]) for w, n, msg in Checker(root).run()}
    if found != SELF_TEST_FINDS:
        for e in sorted(SELF_TEST_FINDS - found):
            print("check-docs: self-test: not found: %s:%d: %s" % e, file=sys.stderr)
        for e in sorted(found - SELF_TEST_FINDS):
            print("check-docs: self-test: found wrongly: %s:%d: %s" % e, file=sys.stderr)
        sys.exit(1)


def main():
    self_test()
    errors = sorted(set(Checker(ROOT).run()))
    for e in errors:
        print("%s:%d: %s" % e, file=sys.stderr)
    if errors:
        print("check-docs: %d reference(s) point nowhere" % len(errors), file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
