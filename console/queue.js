/* idwatch console: the queue page (#/queue?...), incidents or alerts.
 * Every filter, the sort and the page live in the URL's hash, so a view can
 * be reloaded, bookmarked and shared; the form only rewrites the hash and the
 * router (app.js) renders again.  Bulk actions post reviews (one bulk call
 * for alerts, one call per incident) and report each refusal. */
'use strict';

(function () {
  const IDW = window.IDW;
  const h = IDW.h;
  const SEVERITIES = ['critical', 'high', 'medium', 'low'];
  const STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'];
  const RANGES = [['all', 'any time'], ['24h', 'last 24 h'], ['7d', 'last 7 days'], ['30d', 'last 30 days'],
    ['custom', 'custom…']];
  const PAGE_SIZES = [25, 50, 100, 200];

  /* The query state from the hash's parameters, with defaults. */
  function state(params) {
    return {
      view: params.get('view') === 'alerts' ? 'alerts' : 'incidents',
      severity: params.get('severity') || '',
      status: params.has('status') ? params.get('status') : 'open,acknowledged',
      rule: params.get('rule') || '', user: params.get('user') || '', actor: params.get('actor') || '',
      ip: params.get('ip') || '', q: params.get('q') || '',
      range: params.get('range') || 'all', since: params.get('since') || '', until: params.get('until') || '',
      sort: params.get('sort') || 'last_seen', order: params.get('order') === 'asc' ? 'asc' : 'desc',
      offset: Math.max(0, parseInt(params.get('offset') || '0', 10) || 0),
      limit: Math.min(500, Math.max(1, parseInt(params.get('limit') || '50', 10) || 50)),
    };
  }

  function go(st) {
    const p = {view: st.view, severity: st.severity, status: st.status, rule: st.rule, user: st.user,
      actor: st.actor, ip: st.ip, q: st.q, range: st.range === 'all' ? '' : st.range,
      since: st.range === 'custom' ? st.since : '', until: st.range === 'custom' ? st.until : '',
      sort: st.sort, order: st.order, offset: st.offset || '', limit: st.limit === 50 ? '' : st.limit};
    if (st.status === '') p.status = 'any';
    location.hash = '#/queue' + IDW.qs(p);
  }

  /* The API query for a state: relative ranges pass through (since=24h), custom ones as RFC 3339. */
  function apiQuery(st) {
    const q = {status: st.status === 'any' ? '' : st.status, severity: st.severity, q: st.q,
      sort: st.sort, order: st.order, limit: st.limit, offset: st.offset};
    if (st.view === 'alerts') Object.assign(q, {rule: st.rule, user: st.user, actor: st.actor, ip: st.ip});
    if (st.range === 'custom') Object.assign(q, {since: st.since, until: st.until});
    else if (st.range !== 'all') q.since = st.range;
    return q;
  }

  function checks(name, values, selected) {
    const set = new Set(selected.split(',').filter(Boolean));
    return h('fieldset', {class: 'checks', id: 'f-' + name}, h('legend', {}, name),
      values.map((v) => h('label', {}, h('input', {type: 'checkbox', name, value: v, checked: set.has(v)}),
        ' ' + v.replace('_', ' '))));
  }

  function picked(form, name) {
    return [...form.querySelectorAll('input[name="' + name + '"]:checked')].map((i) => i.value).join(',');
  }

  /* datetime-local values are read as UTC, and shown back the same way */
  const toRfc = (v) => (v ? v + (v.length === 16 ? ':00' : '') + 'Z' : '');
  const fromRfc = (v) => (v ? v.replace(/Z$/, '').slice(0, 16) : '');

  function filterForm(st) {
    const text = (name, label, value, extra) => h('label', {class: 'field'}, label,
      h('input', Object.assign({type: 'text', name, value, id: 'f-' + name}, extra || {})));
    const range = h('select', {name: 'range', id: 'f-range'},
      RANGES.map(([v, l]) => h('option', {value: v, selected: v === st.range}, l)));
    const custom = h('span', {class: 'custom-range' + (st.range === 'custom' ? '' : ' hidden')},
      h('label', {class: 'field'}, 'from (UTC)', h('input', {type: 'datetime-local', name: 'since', id: 'f-since',
        value: fromRfc(st.since)})),
      h('label', {class: 'field'}, 'to (UTC)', h('input', {type: 'datetime-local', name: 'until', id: 'f-until',
        value: fromRfc(st.until)})));
    range.addEventListener('change', () => custom.classList.toggle('hidden', range.value !== 'custom'));
    const alertOnly = st.view === 'alerts' ? [text('rule', 'rule', st.rule), text('user', 'user', st.user),
      text('actor', 'actor', st.actor), text('ip', 'source IP', st.ip)] : [];
    const form = h('form', {class: 'filters', id: 'filters'},
      checks('severity', SEVERITIES, st.severity), checks('status', STATUSES, st.status === 'any' ? '' : st.status),
      h('div', {class: 'row'}, h('label', {class: 'field'}, 'time range', range), custom, alertOnly,
        text('q', 'text', st.q, {type: 'search', placeholder: 'free text'})),
      h('div', {class: 'row'}, h('button', {type: 'submit', id: 'apply'}, 'Apply'),
        h('a', {href: '#/queue?view=' + st.view, class: 'button secondary'}, 'Reset')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = form.elements;
      go(Object.assign({}, st, {
        severity: picked(form, 'severity'), status: picked(form, 'status') || 'any', q: f.q.value.trim(),
        range: f.range.value, since: toRfc(f.since.value), until: toRfc(f.until.value), offset: 0,
        rule: f.rule ? f.rule.value.trim() : '', user: f.user ? f.user.value.trim() : '',
        actor: f.actor ? f.actor.value.trim() : '', ip: f.ip ? f.ip.value.trim() : '',
      }));
    });
    return form;
  }

  /* A time on two short lines (date, then time), the exact value in the title. */
  function when(iso) {
    const [date, time] = IDW.fmtTime(iso).split(' ');
    return h('span', {class: 'when', title: iso || ''}, date, time ? [h('br'), time + ' UTC'] : null);
  }

  function columns(st, selected) {
    const pick = (id) => h('input', {type: 'checkbox', class: 'pick', 'aria-label': 'select ' + id,
      checked: selected.has(id), onchange: (ev) => (ev.target.checked ? selected.add(id) : selected.delete(id))});
    if (st.view === 'incidents') {
      return [
        {title: '', cell: (r) => pick(r.incident_id)},
        {title: 'severity', sort: 'severity', cell: (r) => IDW.sevBadge(r.severity)},
        {title: 'incident', cell: (r) => h('a', {href: '#/incident/' + encodeURIComponent(r.incident_id),
          class: 'incident-link'}, r.title || r.incident_id)},
        {title: 'people', cell: (r) => (r.people || []).map((p, i) => [i ? ', ' : '', IDW.personLink(p.user || p.tuid)])},
        {title: 'status', cell: (r) => IDW.statusBadge(r.status)},
        {title: 'alerts', cell: (r) => String(r.alert_count)},
        {title: 'takeover', cell: (r) => (r.takeover ? h('span', {class: 'badge takeover'}, 'takeover') : '')},
        {title: 'last seen', sort: 'last_seen', cell: (r) => when(r.last_seen)},
      ];
    }
    return [
      {title: '', cell: (r) => pick(r.alert_id)},
      {title: 'severity', sort: 'severity', cell: (r) => IDW.sevBadge(r.severity)},
      {title: 'rule', sort: 'rule', cell: (r) => r.rule},
      {title: 'summary', cell: (r) => h('a', {href: '#/alert/' + encodeURIComponent(r.alert_id), class: 'alert-link'},
        r.summary || r.alert_id)},
      {title: 'user', sort: 'user', cell: (r) => IDW.personLink(r.user)},
      {title: 'source IP', cell: (r) => r.ip || '—'},
      {title: 'status', sort: 'status', cell: (r) => IDW.statusBadge(r.status)},
      {title: 'assignee', cell: (r) => r.assignee || '—'},
      {title: 'first seen', sort: 'first_seen', cell: (r) => when(r.first_seen)},
      {title: 'last seen', sort: 'last_seen', cell: (r) => when(r.last_seen)},
    ];
  }

  /* Reviews the selected rows; returns the refusals as text. */
  async function bulk(st, ids, body) {
    if (st.view === 'alerts') {
      const res = await IDW.api.post('/alerts/review', Object.assign({ids}, body));
      return res.results.filter((r) => !r.ok).map((r) => r.alert_id.slice(0, 8) + ': ' + r.error);
    }
    const errors = [];
    for (const id of ids) {
      try {
        await IDW.api.post('/incidents/' + encodeURIComponent(id) + '/review', body);
      } catch (e) {
        errors.push(id + ': ' + e.message);
      }
    }
    return errors;
  }

  function bulkBar(st, selected, out, canReview) {
    const assignee = h('input', {type: 'text', id: 'bulk-assignee', placeholder: 'assignee'});
    const run = (body) => async () => {
      if (!selected.size) {
        IDW.clear(out).appendChild(IDW.notice('Select rows first.'));
        return;
      }
      try {
        const errors = await bulk(st, [...selected], body);
        IDW.render(errors.length ? IDW.notice('Refused: ' + errors.join('; ')) : null);
      } catch (e) {
        IDW.clear(out).appendChild(IDW.notice(e.message));
      }
    };
    if (!canReview) return h('p', {class: 'muted'}, 'Read-only: your role cannot review.');
    return h('div', {class: 'bulk', id: 'bulk'}, h('span', {class: 'muted'}, 'Selected:'),
      h('button', {type: 'button', onclick: run({status: 'acknowledged'})}, 'Acknowledge'),
      h('button', {type: 'button', onclick: run({status: 'resolved'})}, 'Resolve'),
      h('button', {type: 'button', onclick: run({status: 'false_positive'})}, 'False positive'),
      assignee, h('button', {type: 'button', onclick: () => run({assignee: assignee.value.trim()})()}, 'Assign'));
  }

  function pager(st, total, shown) {
    const from = total ? st.offset + 1 : 0;
    const sizes = PAGE_SIZES.includes(st.limit) ? PAGE_SIZES : PAGE_SIZES.concat([st.limit]).sort((a, b) => a - b);
    const size = h('select', {id: 'page-size'}, sizes.map((n) => h('option', {value: n, selected: n === st.limit}, n)));
    size.addEventListener('change', () => go(Object.assign({}, st, {limit: parseInt(size.value, 10), offset: 0})));
    return h('div', {class: 'pager'},
      h('button', {type: 'button', id: 'prev', disabled: st.offset === 0,
        onclick: () => go(Object.assign({}, st, {offset: Math.max(0, st.offset - st.limit)}))}, '‹ Previous'),
      h('span', {id: 'page-info'}, from + '–' + (st.offset + shown) + ' of ' + total),
      h('button', {type: 'button', id: 'next', disabled: st.offset + shown >= total,
        onclick: () => go(Object.assign({}, st, {offset: st.offset + st.limit}))}, 'Next ›'),
      h('label', {class: 'field'}, 'per page', size));
  }

  IDW.pages = IDW.pages || {};
  IDW.pages.queue = async function queue(params, root) {
    const st = state(params);
    const path = st.view === 'alerts' ? '/alerts' : '/incidents';
    const data = await IDW.api.get(path + IDW.qs(apiQuery(st)));
    const rows = data[st.view] || [];
    const selected = new Set();
    const onSort = (key) => go(Object.assign({}, st, {sort: key, offset: 0,
      order: st.sort === key && st.order === 'desc' ? 'asc' : 'desc'}));
    const out = h('div', {class: 'bulk-out'});
    const all = h('input', {type: 'checkbox', id: 'pick-all', 'aria-label': 'select all on this page'});
    const tbl = IDW.table(columns(st, selected), rows, {sort: st.sort, order: st.order, onSort, cls: 'queue',
      empty: 'No ' + st.view + ' match these filters.'});
    all.addEventListener('change', () => {
      tbl.querySelectorAll('input.pick').forEach((c, i) => {
        c.checked = all.checked;
        const id = st.view === 'alerts' ? rows[i].alert_id : rows[i].incident_id;
        if (all.checked) selected.add(id);
        else selected.delete(id);
      });
    });
    tbl.querySelector('thead th').appendChild(all);
    const tab = (v, label) => h('a', {href: '#/queue' + IDW.qs({view: v}), class: 'tab' + (st.view === v ? ' active' : ''),
      id: 'tab-' + v}, label);
    IDW.append(root, [h('h1', {}, 'Queue'), h('nav', {class: 'tabs'}, tab('incidents', 'Incidents'), tab('alerts', 'Alerts')),
      filterForm(st), bulkBar(st, selected, out, IDW.canReview()), out,
      h('p', {class: 'muted', id: 'result-count'}, data.total + ' ' + st.view), tbl, pager(st, data.total, rows.length)]);
  };
})();
