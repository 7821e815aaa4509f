"""Extract every class's module path and constructor signature from CONTRACT.md into JSON.

Usage: python tools/extract_contract.py ../shared/api/CONTRACT.md tests/contract/contract.json
The JSON is committed so the conformance tests need nothing outside the repository.
"""
import json
import re
import sys


def split_top_level(text: str) -> list:
    parts, depth, current, quote = [], 0, "", None
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def main(src: str, dst: str) -> None:
    text = open(src, encoding="utf-8").read()
    # class index (section 5): module path and class name of every public class
    classes = {}
    for module, cls, bases, notes in re.findall(
            r"^\| \d+ \| `([\w.]+)` \| `(\w+)` \| ([^|]*)\| [^|]*\| ([^|]*)\|", text, re.M):
        classes["%s.%s" % (module, cls)] = {
            "module": module, "class": cls, "params": None,
            "bases": [b.strip() for b in bases.split(",") if b.strip()],
            "abstract": "abstract" in notes,
        }
    # headers "#### `Name` ... — `module.path`" followed by a Ctor line
    for match in re.finditer(r"^#{3,5} `(\w+)`[^\n]*? — `([\w.]+)`\n(.*?)(?=^#{2,5} )", text, re.M | re.S):
        name, module, body = match.groups()
        key = "%s.%s" % (module, name)
        if key not in classes:
            continue
        ctor = re.search(r"Ctor:\s*`(\w*)\((.*?)\)`", body, re.S)
        if ctor and ctor.group(1) in ("", name):
            classes[key]["params"] = split_top_level(ctor.group(2))
        elif re.search(r"[Ii]nherit(ed|s the)[^.]*ctor|identical ctor|same ctor|No ctor arguments", body):
            classes[key]["params"] = "inherited" if "No ctor" not in body else []
    json.dump(classes, open(dst, "w"), indent=1, sort_keys=True)
    print("%d classes, %d with constructor signatures" % (len(classes), sum(c["params"] is not None for c in classes.values())))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
