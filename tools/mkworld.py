#!/usr/bin/env python3
"""Converts Natural Earth country outlines (the npm package world-atlas's
countries-110m.json, TopoJSON) into console/world.json, the compact polygon
file the web console draws its offline maps from (console/map.js).

Run once, by hand, when the outline data should change; the output is
committed (data/SOURCES.md names the source and licence):

    mkdir /tmp/wa && cd /tmp/wa && npm install world-atlas@2
    python3 tools/mkworld.py /tmp/wa/node_modules/world-atlas/countries-110m.json console/world.json

Output: {"source": ..., "scale": 10, "countries": [{"name": N, "rings": [[x0, y0, dx1, dy1, ...]]}]}
Every ring is quantized to 1/scale degree (lon, lat as integers), its first
point absolute and every following one a delta from the previous point, with
repeated points dropped; no dependencies beyond the standard library.
"""
import json
import sys

SCALE = 10  # 0.1 degree: finer than a 1:110m outline needs on a console map


def decode_arcs(topo):
    """TopoJSON arcs are delta-encoded integers under a transform: absolute lon/lat."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring_points(arcs, ring):
    """A ring is a list of arc indexes; a negative index ~i means arc i reversed."""
    pts = []
    for i in ring:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(arc if not pts else arc[1:])  # consecutive arcs share an end point
    return pts


def quantize(pts):
    out, last = [], None
    for lon, lat in pts:
        q = (round(lon * SCALE), round(lat * SCALE))
        if q != last:
            out.append(q)
            last = q
    if len(out) < 4:  # a ring quantized to fewer than 3 distinct points draws nothing
        return None
    flat = [out[0][0], out[0][1]]
    for (x0, y0), (x1, y1) in zip(out, out[1:]):
        flat += [x1 - x0, y1 - y0]
    return flat


def polygons(geom):
    if geom.get("type") == "Polygon":
        return [geom["arcs"]]
    if geom.get("type") == "MultiPolygon":
        return geom["arcs"]
    return []


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mkworld.py countries-110m.json world.json\n")
        return 2
    with open(argv[1]) as f:
        topo = json.load(f)
    arcs = decode_arcs(topo)
    countries = []
    for geom in topo["objects"]["countries"]["geometries"]:
        rings = []
        for poly in polygons(geom):
            for ring in poly:
                q = quantize(ring_points(arcs, ring))
                if q:
                    rings.append(q)
        if rings:
            countries.append({"name": geom.get("properties", {}).get("name", ""), "rings": rings})
    doc = {
        "source": "Natural Earth 1:110m Admin 0 countries (public domain), via npm world-atlas 2.0.2 (ISC)",
        "scale": SCALE,
        "countries": countries,
    }
    with open(argv[2], "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
