/* idwatch console: the shared core (loaded first by index.html).
 * DOM building from nodes only, never from HTML strings (every value goes through textContent or an
 * attribute, so data can never become markup: the CSP forbids inline script
 * and this keeps alert text from ever becoming script), the API client that
 * carries the session's CSRF token, and small formatters.  The pages
 * (queue.js, pages.js) and the router (app.js) build on window.IDW. */
'use strict';

const IDW = (window.IDW = window.IDW || {});

/* h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', childNode, [more]) */
IDW.h = function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  IDW.append(el, children);
  return el;
};

IDW.append = function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
};

IDW.clear = function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
};

/* ---- formatting ------------------------------------------------------ */
IDW.fmtTime = function fmtTime(s) {
  if (!s) return '—';
  return String(s).replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
};

IDW.sevBadge = function sevBadge(sev) {
  return IDW.h('span', {class: 'badge sev-' + (sev || 'none')}, sev || '—');
};

IDW.statusBadge = function statusBadge(st) {
  return IDW.h('span', {class: 'badge st-' + (st || 'none')}, (st || '—').replace('_', ' '));
};

IDW.personLink = function personLink(user) {
  if (!user) return '—';
  return IDW.h('a', {href: '#/person/' + encodeURIComponent(user), class: 'person'}, user);
};

/* A definition list from [label, value] rows; values may be nodes. */
IDW.facts = function facts(rows) {
  const dl = IDW.h('dl', {class: 'facts'});
  for (const [k, v] of rows) {
    dl.appendChild(IDW.h('dt', {}, k));
    dl.appendChild(IDW.h('dd', {}, v === null || v === undefined || v === '' ? '—' : v));
  }
  return dl;
};

IDW.section = function section(title, ...body) {
  return IDW.h('section', {class: 'card'}, IDW.h('h2', {}, title), body);
};

/* A table: cols = [{title, cell(row) -> node|string, sort?: key}] */
IDW.table = function table(cols, rows, opts) {
  opts = opts || {};
  const head = IDW.h('tr', {}, cols.map((c) => {
    if (!c.sort || !opts.onSort) return IDW.h('th', {}, c.title);
    const active = opts.sort === c.sort;
    const arrow = active ? (opts.order === 'asc' ? ' ▲' : ' ▼') : '';
    return IDW.h('th', {class: 'sortable' + (active ? ' sorted' : '')},
      IDW.h('button', {type: 'button', class: 'linkish', dataset: {sort: c.sort},
        onclick: () => opts.onSort(c.sort)}, c.title + arrow));
  }));
  const body = IDW.h('tbody', {}, rows.map((r) => IDW.h('tr', {}, cols.map((c) => IDW.h('td', {}, c.cell(r))))));
  if (!rows.length) body.appendChild(IDW.h('tr', {}, IDW.h('td', {colspan: cols.length, class: 'empty'},
    opts.empty || 'Nothing to show.')));
  return IDW.h('table', {class: 'grid' + (opts.cls ? ' ' + opts.cls : '')}, IDW.h('thead', {}, head), body);
};

/* ---- API client ------------------------------------------------------ */
/* The CSRF token lives only in this closure's memory: never in storage or the URL. */
IDW.api = (function () {
  let csrf = null;
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  async function call(method, path, body) {
    const headers = {Accept: 'application/json'};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 20000);
    let res;
    try {
      res = await fetch('/api/v1' + path, {method, headers, credentials: 'same-origin', signal: ctl.signal,
        body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      throw new ApiError(0, 'the server did not answer (' + e.message + ')');
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const err = new ApiError(res.status, (data && data.error) || 'HTTP ' + res.status);
      if (res.status === 401 && path !== '/session' && IDW.onUnauthorized) IDW.onUnauthorized();
      throw err;
    }
    return data;
  }
  return {
    ApiError,
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b || {}),
    del: (p) => call('DELETE', p),
    setCsrf: (t) => { csrf = t || null; },
  };
})();

IDW.qs = function qs(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  }
  return parts.length ? '?' + parts.join('&') : '';
};

/* A line under a page for an error or a result; kind: 'error' | 'ok'. */
IDW.notice = function notice(text, kind) {
  return IDW.h('p', {class: 'notice ' + (kind || 'error'), role: kind === 'ok' ? 'status' : 'alert'}, text);
};
