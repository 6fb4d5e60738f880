/* idwatch console: offline maps.  Draws the Natural Earth country outlines
 * of world.json (made by tools/mkworld.py: rings of 0.1-degree integers, the
 * first point absolute, the rest deltas) on a <canvas> in an equirectangular
 * projection, zoomed to the points shown, and plots each point with its label.
 * No tiles, no network beyond /static/world.json from our own server.  Each
 * map also lists its points as text (readable without the picture). */
'use strict';

(function () {
  const IDW = window.IDW;
  let world = null; // a promise of the parsed world.json, fetched once

  function loadWorld() {
    if (!world) {
      world = fetch('/static/world.json', {credentials: 'same-origin'})
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error('world.json: HTTP ' + r.status))));
    }
    return world;
  }

  /* The lon/lat box to show: the points' box with a margin, at least 30 x 15 degrees, 2:1. */
  function viewBox(points) {
    if (!points.length) return {lon0: -180, lon1: 180, lat0: -60, lat1: 85};
    let lon0 = Math.min(...points.map((p) => p.lon)), lon1 = Math.max(...points.map((p) => p.lon));
    let lat0 = Math.min(...points.map((p) => p.lat)), lat1 = Math.max(...points.map((p) => p.lat));
    const cx = (lon0 + lon1) / 2, cy = (lat0 + lat1) / 2;
    let w = Math.max(30, (lon1 - lon0) * 1.3), hgt = Math.max(15, (lat1 - lat0) * 1.3);
    if (w < hgt * 2) w = hgt * 2;
    else hgt = w / 2;
    w = Math.min(w, 360);
    hgt = Math.min(hgt, 180);
    lon0 = Math.max(-180, cx - w / 2);
    lon1 = Math.min(180, lon0 + w);
    lon0 = lon1 - w;
    lat0 = Math.max(-90, cy - hgt / 2);
    lat1 = Math.min(90, lat0 + hgt);
    lat0 = lat1 - hgt;
    return {lon0, lon1, lat0, lat1};
  }

  function drawWorld(ctx, doc, proj) {
    const s = doc.scale;
    ctx.fillStyle = '#dfe5ec';
    ctx.strokeStyle = '#aab4c0';
    ctx.lineWidth = 0.6;
    for (const c of doc.countries) {
      ctx.beginPath();
      for (const r of c.rings) {
        let x = r[0], y = r[1];
        ctx.moveTo(...proj(x / s, y / s));
        for (let i = 2; i < r.length; i += 2) {
          x += r[i];
          y += r[i + 1];
          // a jump across the antimeridian starts a new stroke instead of a line across the map
          if (Math.abs(r[i]) > 180 * s) ctx.moveTo(...proj(x / s, y / s));
          else ctx.lineTo(...proj(x / s, y / s));
        }
        ctx.closePath();
      }
      ctx.fill();
      ctx.stroke();
    }
  }

  function drawPoints(ctx, points, proj, W) {
    const maxW = Math.max(1, ...points.map((p) => p.weight || 1));
    ctx.font = '12px system-ui, sans-serif';
    for (const p of points) {
      const [x, y] = proj(p.lon, p.lat);
      const r = p.weight ? 4 + 8 * Math.sqrt(p.weight / maxW) : 5;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = p.kind === 'alert' ? 'rgba(200,40,40,0.75)' : 'rgba(30,90,180,0.65)';
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      if (p.label) {
        // labels near the right edge go to the left of their point, so they stay on the map
        const tw = ctx.measureText(p.label).width;
        ctx.fillStyle = '#1c2530';
        ctx.fillText(p.label, x + r + 3 + tw > W ? x - r - 3 - tw : x + r + 3, y + 4);
      }
    }
  }

  /* The same place and label listed once, with how many times it occurred. */
  function merge(points) {
    const seen = new Map();
    for (const p of points) {
      const key = p.lat + ',' + p.lon + ',' + (p.label || '');
      const hit = seen.get(key);
      if (hit) hit.n += 1;
      else seen.set(key, Object.assign({n: 1}, p));
    }
    return [...seen.values()].map((p) => (p.n > 1 && !p.weight ? Object.assign(p, {weight: p.n,
      label: p.label + ' (' + p.n + '×)'}) : p));
  }

  /* IDW.map(points, {title}) -> element; points: [{lat, lon, label, weight?, kind?}] */
  IDW.map = function map(points, opts) {
    const h = IDW.h;
    const pts = merge((points || []).filter((p) => typeof p.lat === 'number' && typeof p.lon === 'number'));
    const W = 720, H = 360;
    const canvas = h('canvas', {class: 'map', width: W, height: H, role: 'img',
      'aria-label': (opts && opts.title) || 'map'});
    const list = h('ul', {class: 'map-points'}, pts.map((p) => h('li', {}, p.label || (p.lat + ', ' + p.lon))));
    const wrap = h('div', {class: 'map-wrap'}, canvas, pts.length ? list : h('p', {class: 'empty'},
      'No located points.'));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = W * ratio;
    canvas.height = H * ratio;
    const ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    const vb = viewBox(pts);
    const proj = (lon, lat) => [(lon - vb.lon0) / (vb.lon1 - vb.lon0) * W, (vb.lat1 - lat) / (vb.lat1 - vb.lat0) * H];
    ctx.fillStyle = '#f4f8fb';
    ctx.fillRect(0, 0, W, H);
    loadWorld().then((doc) => {
      drawWorld(ctx, doc, proj);
      drawPoints(ctx, pts, proj, W);
      canvas.dataset.drawn = String(doc.countries.length);
    }, (e) => {
      drawPoints(ctx, pts, proj, W);
      wrap.appendChild(IDW.notice('Map outlines unavailable: ' + e.message));
    });
    return wrap;
  };
})();
