"""The documentation site's helpers for tests/docs-site.sh (standard library and PyYAML only).

    docs_site.py inventory LABELS OUT.inv
        Writes a Sphinx object inventory from LABELS (tests/docs/ansible-devel-labels.txt), so that
        the pages' references into the Ansible documentation resolve without network access.

    docs_site.py check HTML_DIR COLLECTION_DIR [--screenshot-dir DIR]
        Opens every page of the built site in headless Chromium (one browser, driven over the
        DevTools protocol on a pipe) and fails when a page is missing or does not render:
        - a page per module in plugins/modules, per role with meta/argument_specs.yml and per
          documented plugin of every other type (filter, lookup, test, ...);
        - no script error, no console error, no local file (style sheet, script, image) that fails
          to load;
        - every link inside the site reaches an existing page, and its #fragment an element there;
        - no error page, no docutils system message, no semantic markup left unrendered;
        - module, role and plugin pages show their options tables with an entry per option of the
          plugin's own documentation, and module and plugin pages show their examples.
"""

import argparse
import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from pathlib import Path

import yaml

# Plugin directories whose files are not documented plugins of their own.
NOT_PLUGINS = {"action", "doc_fragments", "module_utils", "plugin_utils", "__pycache__"}
# Semantic markup (M(...), O(...), V(...), ...) that antsibull-docs failed to turn into HTML.
RAW_MARKUP = re.compile(r"\b(?:[MOVCREILUBP]|RV|HORIZONTALLINE)\([A-Za-z_.#:=$ -]")
PAGE_TIMEOUT = 30.0

# Collected in the page once it has loaded: everything the checks below need.
PAGE_SCRIPT = r"""
(() => {
  const text = (el) => (el ? el.innerText : "");
  const body = document.querySelector('[itemprop="articleBody"]') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll("pre, code, .highlight, script, style").forEach((el) => el.remove());
  const section = (id) => document.getElementById(id);
  const examples = section("examples");
  return {
    title: document.title,
    h1: text(document.querySelector("h1")),
    ids: Array.from(document.querySelectorAll("[id]"), (el) => el.id),
    links: Array.from(document.querySelectorAll("a[href], link[href]"), (el) => el.href),
    prose: clone.innerText,
    system_messages: document.querySelectorAll(".system-message, .problematic").length,
    option_tables: document.querySelectorAll("table.ansible-option-table").length,
    parameters: Array.from(document.querySelectorAll('[id^="parameter-"]'), (el) => el.id),
    examples: examples ? Array.from(examples.querySelectorAll("pre"), (el) => el.innerText).join("\n") : null,
    height: body.getBoundingClientRect().height,
    stylesheets: document.styleSheets.length,
  };
})()
"""


# --------------------------------------------------------------------------- inventory


def write_inventory(labels_file, out):
    """LABELS lines: `label uri title...`; blank lines and '#' comments are skipped."""
    lines = []
    for raw in Path(labels_file).read_text(encoding="utf-8").splitlines():
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        label, uri, title = raw.split(None, 2)
        lines.append("%s std:label -1 %s %s\n" % (label, uri, title))
    header = (
        "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    Path(out).write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
    print("wrote %s (%d labels)" % (out, len(lines)))


# --------------------------------------------------------------------------- expected pages


def own_documentation(path):
    """The DOCUMENTATION mapping a plugin file declares itself (fragments not included)."""
    if path.suffix in (".yml", ".yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return data.get("DOCUMENTATION") or {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    return None


def expected_pages(collection):
    """{page path relative to the site: (kind, option names the page must show)}."""
    galaxy = yaml.safe_load((collection / "galaxy.yml").read_text(encoding="utf-8"))
    base = "collections/%s/%s" % (galaxy["namespace"], galaxy["name"])
    pages = {}
    plugins = collection / "plugins"
    for type_dir in sorted(p for p in plugins.iterdir() if p.is_dir() and p.name not in NOT_PLUGINS):
        kind = "module" if type_dir.name == "modules" else type_dir.name
        for path in sorted(type_dir.iterdir()):
            if path.suffix not in (".py", ".yml", ".yaml") or path.name.startswith("_"):
                continue
            doc = own_documentation(path)
            if doc is None and path.suffix == ".py" and kind in ("filter", "test"):
                continue  # a filter/test file whose plugins are documented in .yml files beside it
            options = sorted((doc or {}).get("options") or {})
            pages["%s/%s_%s.html" % (base, path.stem, kind)] = (kind, options)
    for spec in sorted((collection / "roles").glob("*/meta/argument_specs.y*ml")):
        role = spec.parent.parent.name
        data = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
        entry = ((data.get("argument_specs") or {}).get("main")) or {}
        options = sorted(entry.get("options") or {})
        pages["%s/%s_role.html" % (base, role)] = ("role", options)
    return pages


# --------------------------------------------------------------------------- browser


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (no port, no extra package)."""

    def __init__(self, profile):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire():  # the protocol's pipe ends are the child's file descriptors 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            sys.exit("chromium is required (tests/system-packages.txt)")
        self.log = open(os.path.join(profile, "chromium.log"), "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", "--user-data-dir=" + os.path.join(profile, "profile"),
             "--window-size=1280,900", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire,  # (the check runs no threads)
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium within %.0fs" % PAGE_TIMEOUT)
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the protocol pipe (see chromium.log)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + PAGE_TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, session, method, **match):
        """The first event METHOD of SESSION whose parameters include MATCH (kept in events)."""

        def fits(event):
            params = event.get("params", {})
            return (event.get("method") == method and event.get("sessionId") == session
                    and all(params.get(k) == v for k, v in match.items()))

        deadline = time.monotonic() + PAGE_TIMEOUT
        for event in self.events:
            if fits(event):
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if fits(event):
                return event

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def load_page(browser, url, screenshot=None):
    """Loads URL in a fresh tab; returns (PAGE_SCRIPT's data, problems the browser reported)."""
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(domain + ".enable", session)
    browser.call("Page.setLifecycleEventsEnabled", session, enabled=True)
    browser.events = [e for e in browser.events if e.get("sessionId") != session]
    loader = browser.call("Page.navigate", session, url=url)
    if loader.get("errorText"):
        raise RuntimeError("Chromium could not open %s: %s" % (url, loader["errorText"]))
    browser.wait_for(session, "Page.lifecycleEvent", name="load", loaderId=loader["loaderId"])
    result = browser.call("Runtime.evaluate", session, expression=PAGE_SCRIPT, returnByValue=True)
    if "exceptionDetails" in result:
        raise RuntimeError("the page script failed on %s: %s" % (url, result["exceptionDetails"]))
    if screenshot:
        shot = browser.call("Page.captureScreenshot", session, format="png")
        Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
    problems = []
    requests = {}
    for event in [e for e in browser.events if e.get("sessionId") == session]:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append("could not load %s (%s)" % (requests.get(params["requestId"], "?"), params.get("errorText")))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            problems.append("script error: %s" % ((details.get("exception") or {}).get("description") or details.get("text")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append("console error: %s" % " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append("browser error: %s" % params["entry"].get("text"))
    browser.events = [e for e in browser.events if e.get("sessionId") != session]
    browser.call("Target.closeTarget", targetId=target)
    return result["result"]["value"], problems


# --------------------------------------------------------------------------- checks


def check_content(rel, page, expected):
    problems = []
    if "The errors were" in page["prose"] or "Did not return correct DOCUMENTATION" in page["prose"]:
        problems.append("antsibull-docs rendered an error page instead of the documentation")
    if page["system_messages"]:
        problems.append("%d docutils system message(s) in the page" % page["system_messages"])
    raw = sorted(set(RAW_MARKUP.findall(page["prose"])))
    if raw:
        problems.append("semantic markup left unrendered: %s" % ", ".join(raw))
    if page["stylesheets"] < 2:
        problems.append("the page has no style (%d style sheets)" % page["stylesheets"])
    if rel not in expected:
        return problems
    kind, options = expected[rel]
    if page["height"] < 300:
        problems.append("the page renders nearly empty (%.0fpx high)" % page["height"])
    if not page["h1"]:
        problems.append("no title")
    if options and not page["option_tables"]:
        problems.append("no options table")
    # anchors: parameter-NAME[/SUBOPTION...]; on role pages parameter-ENTRYPOINT--NAME[/...]
    prefix = "parameter-main--" if kind == "role" else "parameter-"
    shown = {p[len(prefix):].split("/", 1)[0] for p in page["parameters"] if p.startswith(prefix)}
    missing = [o for o in options if o not in shown]
    if missing:
        problems.append("options missing from the table: %s" % ", ".join(missing))
    if kind != "role" and not (page["examples"] or "").strip():
        problems.append("no examples shown")
    return problems


def check_links(site, pages):
    """Every link into the site reaches a page we loaded, and its fragment an element there."""
    problems = {}
    site_url = site.as_uri() + "/"
    for rel, page in pages.items():
        for href in page["links"]:
            if href == "file:///":
                continue  # the theme's logo links to "/", the root of the web server the site is published on
            if not href.startswith(site_url):
                if href.startswith("file:"):
                    problems.setdefault(rel, []).append("link leaves the site: %s" % href)
                continue
            parsed = urllib.parse.urlsplit(href)
            target = urllib.parse.unquote(parsed.path)[len(site.as_posix()) + 1:]
            if target.endswith("/") or not target:
                target += "index.html"
            if not (site / target).is_file():
                problems.setdefault(rel, []).append("broken link: %s" % target)
            elif parsed.fragment and urllib.parse.unquote(parsed.fragment) not in pages[target]["ids"]:
                problems.setdefault(rel, []).append("broken anchor: %s#%s" % (target, parsed.fragment))
    return problems


def check(site, collection, screenshot_dir):
    site = site.resolve()
    expected = expected_pages(collection.resolve())
    html = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    failures = {}
    for rel in sorted(set(expected) - set(html)):
        failures.setdefault(rel, []).append("page missing from the site (%s)" % expected[rel][0])
    work = tempfile.mkdtemp(prefix="docs-site-check-")
    browser = Browser(work)
    pages = {}
    started = time.monotonic()
    try:
        for rel in html:
            shot = None
            if screenshot_dir and (rel.endswith("index.html") or rel in expected):
                shot = Path(screenshot_dir) / (rel.replace("/", "_")[:-5] + ".png")
            began = time.monotonic()
            page, problems = load_page(browser, (site / rel).as_uri(), shot)
            if os.environ.get("DOCS_CHECK_TIMES"):
                print("%5.2fs %s" % (time.monotonic() - began, rel))
            pages[rel] = page
            problems += check_content(rel, page, expected)
            if problems:
                failures.setdefault(rel, []).extend(problems)
    finally:
        browser.close()
    for rel, problems in check_links(site, pages).items():
        failures.setdefault(rel, []).extend(problems)
    links = sum(len(p["links"]) for p in pages.values())
    print("browser: %d pages loaded in %.1fs (%d plugin and role pages expected), %d links followed"
          % (len(pages), time.monotonic() - started, len(expected), links))
    for rel in sorted(expected):
        if rel in pages and rel not in failures:
            kind, options = expected[rel]
            print("ok: %s (%s, %d options, %d option anchors)"
                  % (rel, kind, len(options), len(pages[rel]["parameters"])))
    for rel, problems in sorted(failures.items()):
        for problem in dict.fromkeys(problems):  # each once, in the order found
            print("FAIL: %s: %s" % (rel, problem))
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("(Chromium's log: %s/chromium.log)" % work)
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    inv = sub.add_parser("inventory")
    inv.add_argument("labels")
    inv.add_argument("out")
    chk = sub.add_parser("check")
    chk.add_argument("site", type=Path)
    chk.add_argument("collection", type=Path)
    chk.add_argument("--screenshot-dir")
    args = parser.parse_args()
    if args.command == "inventory":
        write_inventory(args.labels, args.out)
        return 0
    if args.screenshot_dir:
        os.makedirs(args.screenshot_dir, exist_ok=True)
    return check(args.site, args.collection, args.screenshot_dir)


if __name__ == "__main__":
    sys.exit(main())
