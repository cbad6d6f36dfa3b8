#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""module_cycles.py — fails when modules inside one component folder depend on each other in a
cycle. A module is a .c/.h pair (src/cloud/cloud.c + src/cloud/cloud.h → "cloud"); module A
depends on module B when A's source file includes B's header: that is how one file comes to call
another's functions. Headers that include headers for their types (a types-only header such as
board_state.h, a component's shared *_int.h) add no edge. Private headers (src/X/private/)
belong to the component. Cycles across components are not checked here (the CMake link graph
decides those).

usage: module_cycles.py SRC_DIR     exit 0: no cycle; 1: cycles listed on stdout
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules_of(component_dir):
    files = {}
    for root, _, names in os.walk(component_dir):
        for n in names:
            if n.endswith(('.c', '.h')):
                files[os.path.join(root, n)] = n
    return files


def graph(component_dir):
    files = modules_of(component_dir)
    headers = {n for n in files.values() if n.endswith('.h') and not n.endswith('_int.h')}
    edges = {}
    for path, name in files.items():
        if not name.endswith('.c'):
            continue
        mod = name[:-2]
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            base = os.path.basename(inc)
            if base in headers and base[:-2] != mod:
                edges.setdefault(mod, set()).add(base[:-2])
    return edges


def cycles(edges):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def main():
    src = sys.argv[1]
    found = 0
    for comp in sorted(os.listdir(src)):
        d = os.path.join(src, comp)
        if not os.path.isdir(d):
            continue
        for scc in cycles(graph(d)):
            found += 1
            print(f"src/{comp}: modules depend on each other in a cycle: {' <-> '.join(scc)}")
    if found:
        return 1
    print("no module cycle inside any component folder")
    return 0


if __name__ == '__main__':
    sys.exit(main())
