/* idwatch console: the detail pages, #/incident/ID, #/alert/ID and
 * #/person/USER, built from the API (docs/api.md).  Links to Okta open the
 * org's own System Log search for an event's uuid (the API's okta_url) in a
 * new tab, with no opener and no referrer. */
'use strict';

(function () {
  const IDW = window.IDW;
  const h = IDW.h;
  const enc = encodeURIComponent;
  const MOVES = {open: ['acknowledged', 'resolved', 'false_positive'], acknowledged: ['resolved', 'false_positive'],
    resolved: ['false_positive'], false_positive: []};
  const ACTIONS = [['acknowledged', 'Acknowledge', 'act-ack'], ['resolved', 'Resolve', 'act-resolve'],
    ['false_positive', 'False positive', 'act-fp']];
  const CONTEXT_DIMS = {country: 'countries', asn: 'asns', ip_prefix: 'ip_prefixes', device: 'devices', app: 'apps'};

  function oktaLink(e) {
    if (!e.okta_url) return h('span', {class: 'muted'}, 'no Okta link');
    return h('a', {href: e.okta_url, target: '_blank', rel: 'noopener noreferrer', class: 'okta-link',
      dataset: {uuid: e.uuid}}, 'Open in Okta');
  }

  function place(e) {
    return [e.city, e.country].filter(Boolean).join(', ') || '—';
  }

  function eventsTable(events) {
    return IDW.table([
      {title: 'time', cell: (e) => IDW.fmtTime(e.published)},
      {title: 'event', cell: (e) => h('span', {title: e.event_type}, e.display_message || e.event_type)},
      {title: 'outcome', cell: (e) => e.outcome || '—'},
      {title: 'actor', cell: (e) => IDW.personLink(e.actor && e.actor.login)},
      {title: 'source', cell: (e) => [e.ip || '—', h('br'), h('span', {class: 'muted'}, place(e))]},
      {title: 'network', cell: (e) => (e.asn ? 'AS' + e.asn + (e.as_org ? ' ' + e.as_org : '') : '—')},
      {title: 'Okta', cell: oktaLink},
    ], events, {cls: 'events', empty: 'No stored events.'});
  }

  /* Review buttons for one alert or incident; post(body) performs the review. */
  function actions(status, post) {
    if (!IDW.canReview()) return h('p', {class: 'muted'}, 'Read-only: your role cannot review.');
    const out = h('div', {class: 'action-out'});
    const allowed = MOVES[status] || ['acknowledged', 'resolved', 'false_positive'];
    const send = async (body) => {
      try {
        await post(body);
        IDW.render(IDW.notice('Saved.', 'ok'));
      } catch (e) {
        IDW.clear(out).appendChild(IDW.notice(e.message));
      }
    };
    const assignee = h('input', {type: 'text', id: 'assignee', placeholder: 'assignee'});
    const note = h('textarea', {id: 'note', rows: 2, placeholder: 'note'});
    return h('div', {class: 'actions', id: 'actions'},
      h('div', {class: 'row'}, ACTIONS.map(([st, label, id]) => h('button', {type: 'button', id,
        disabled: !allowed.includes(st), onclick: () => send({status: st, note: note.value.trim() || undefined})},
      label))),
      h('div', {class: 'row'}, assignee, h('button', {type: 'button', id: 'act-assign',
        onclick: () => send({assignee: assignee.value.trim()})}, 'Assign')),
      h('div', {class: 'row'}, note, h('button', {type: 'button', id: 'act-note',
        onclick: () => (note.value.trim() ? send({note: note.value.trim()}) : null)}, 'Add note')),
      out);
  }

  function alertsTable(alerts) {
    return IDW.table([
      {title: 'severity', cell: (a) => IDW.sevBadge(a.severity)},
      {title: 'rule', cell: (a) => a.rule},
      {title: 'summary', cell: (a) => h('a', {href: '#/alert/' + enc(a.alert_id), class: 'alert-link'}, a.summary)},
      {title: 'status', cell: (a) => IDW.statusBadge(a.status)},
      {title: 'last seen', cell: (a) => IDW.fmtTime(a.last_seen)},
    ], alerts || [], {empty: 'No alerts.'});
  }

  /* ---- incident ------------------------------------------------------- */
  IDW.pages.incident = async function incident(id, root) {
    const inc = await IDW.api.get('/incidents/' + enc(id));
    // the events behind each alert carry the Okta links the timeline shows
    const byUuid = {};
    await Promise.all((inc.alerts || []).map((a) => IDW.api.get('/alerts/' + enc(a.alert_id) + '/events')
      .then((r) => r.events.forEach((e) => { byUuid[e.uuid] = e; }), () => null)));
    const timeline = h('ol', {class: 'timeline', id: 'timeline'}, (inc.timeline || []).map((t) => {
      const e = t.uuid && byUuid[t.uuid];
      return h('li', {class: 'tl-' + t.kind},
        h('span', {class: 'tl-time'}, IDW.fmtTime(t.time)),
        t.kind === 'alert' ? IDW.sevBadge(t.severity) : h('span', {class: 'badge kind-event'}, 'event'),
        ' ', t.alert_id ? h('a', {href: '#/alert/' + enc(t.alert_id), class: 'alert-link'}, t.text) : t.text,
        t.user ? [' — ', IDW.personLink(t.user)] : null,
        e ? [' ', oktaLink(e)] : null);
    }));
    const points = (inc.locations || []).map((l) => ({lat: l.lat, lon: l.lon,
      label: [l.city, l.country].filter(Boolean).join(', ') + ' — ' + (l.user || '') + ' ' + (l.ip || '')}));
    IDW.append(root, [
      h('h1', {}, IDW.sevBadge(inc.severity), ' ', inc.title || inc.incident_id,
        inc.takeover ? h('span', {class: 'badge takeover'}, 'takeover') : null),
      h('div', {class: 'cols'},
        IDW.section('Summary', IDW.facts([['incident', inc.incident_id], ['status', IDW.statusBadge(inc.status)],
          ['alerts', String(inc.alert_count)], ['first seen', IDW.fmtTime(inc.first_seen)],
          ['last seen', IDW.fmtTime(inc.last_seen)], ['sources', (inc.sources || []).join(', ')],
          ['version', String(inc.version)]]),
        actions(inc.status, (b) => IDW.api.post('/incidents/' + enc(id) + '/review', b))),
        IDW.section('People involved', h('ul', {class: 'people', id: 'people'},
          (inc.people || []).map((p) => h('li', {}, IDW.personLink(p.user || p.tuid)))))),
      IDW.section('Sign-in locations', IDW.map(points, {title: 'sign-in locations of this incident'})),
      IDW.section('Alerts', alertsTable(inc.alerts)),
      IDW.section('Timeline', timeline),
    ]);
  };

  /* ---- alert ---------------------------------------------------------- */
  /* What the persona knows of each context value: usual, provisional or new. */
  function contextFacts(ctx, persona) {
    const rows = [];
    for (const [key, dim] of Object.entries(CONTEXT_DIMS)) {
      const v = ctx[key];
      if (v === null || v === undefined) continue;
      let fact = h('span', {class: 'muted'}, 'persona unknown');
      if (persona) {
        const hit = ((persona.dimensions || {})[dim] || []).find((d) => d.value === v);
        if (!hit) fact = h('span', {class: 'badge fact-new'}, 'new for this user');
        else if (hit.provisional) fact = h('span', {class: 'badge fact-provisional'}, 'provisional');
        else fact = h('span', {class: 'badge fact-usual'}, 'usual (seen ' + hit.count + '×)');
      }
      const label = key === 'asn' && ctx.as_org ? v + ' ' + ctx.as_org : key === 'app' && ctx.app_name ? ctx.app_name : v;
      rows.push(h('tr', {dataset: {key}}, h('th', {}, key.replace('_', ' ')), h('td', {class: 'mono'}, label),
        h('td', {class: 'fact'}, fact)));
    }
    if (!rows.length) return h('p', {class: 'muted'}, 'No context (the alert is keyed by a source or the connector).');
    return h('table', {class: 'grid context', id: 'context'}, h('tbody', {}, rows));
  }

  function mitreLinks(ids) {
    return (ids || []).map((t, i) => [i ? ' ' : '', h('a', {class: 'mitre', target: '_blank', rel: 'noopener noreferrer',
      href: 'https://attack.mitre.org/techniques/' + t.replace('.', '/') + '/'}, t)]);
  }

  IDW.pages.alert = async function alert(id, root) {
    const a = await IDW.api.get('/alerts/' + enc(id));
    const [evs, person] = await Promise.all([
      // a distributed-mode console (501) says why there are no events: the partition's worker keeps them
      IDW.api.get('/alerts/' + enc(a.alert_id) + '/events').catch((e) => ({events: [], error: e.message})),
      a.user ? IDW.api.get('/people/' + enc(a.user)).catch(() => null) : null]);
    const evidence = (a.evidence || '').split('; ').filter(Boolean);
    IDW.append(root, [
      h('h1', {}, IDW.sevBadge(a.severity), ' ', a.rule, ' ', IDW.statusBadge(a.status)),
      h('p', {class: 'lead', id: 'alert-summary'}, a.summary),
      h('div', {class: 'cols'},
        IDW.section('Summary', IDW.facts([['alert', h('span', {class: 'mono'}, a.alert_id)], ['score', String(a.score)],
          ['user', IDW.personLink(a.user)], ['actor', IDW.personLink(a.actor)], ['source IP', a.ip],
          ['first seen', IDW.fmtTime(a.first_seen)], ['last seen', IDW.fmtTime(a.last_seen)],
          ['events', String(a.event_count)], ['stage', a.stage], ['assignee', a.assignee],
          ['incident', a.incident_id ? h('a', {href: '#/incident/' + enc(a.incident_id)}, a.incident_id) : null],
          ['version', String(a.version)], ['historical', a.historical ? 'yes (backfilled history)' : 'no']]),
        actions(a.status, (b) => IDW.api.post('/alerts/' + enc(a.alert_id) + '/review', b))),
        IDW.section('Evidence', h('ul', {class: 'evidence', id: 'evidence'}, evidence.map((e) => h('li', {}, e))),
          h('p', {}, 'MITRE ATT&CK: ', mitreLinks(a.mitre)))),
      IDW.section('Context and what the persona knows', contextFacts(a.context || {}, person && person.persona)),
      IDW.section('Events behind it', evs.error ? IDW.notice(evs.error) : eventsTable(evs.events)),
      IDW.section('History', IDW.table([
        {title: 'time', cell: (r) => IDW.fmtTime(r.time)}, {title: 'status', cell: (r) => IDW.statusBadge(r.status)},
        {title: 'by', cell: (r) => r.by || '—'}, {title: 'note', cell: (r) => r.note || ''},
      ], a.history || [], {empty: 'Not reviewed yet.', cls: 'history'})),
    ]);
  };

  /* ---- person --------------------------------------------------------- */
  /* 7 x 24 grid of the persona's hour-of-week weights (slot = weekday*24 + hour, Monday 0, UTC). */
  function heatmap(hours) {
    const w = (hours && hours.hour_of_week) || [];
    const max = Math.max(0, ...w);
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const grid = h('div', {class: 'heatmap', id: 'heatmap', role: 'table', 'aria-label': 'activity by hour of week, UTC'},
      h('span', {class: 'hm-corner'}), [...Array(24).keys()].map((hr) => h('span', {class: 'hm-hour'}, String(hr))));
    days.forEach((d, day) => {
      grid.appendChild(h('span', {class: 'hm-day'}, d));
      for (let hr = 0; hr < 24; hr++) {
        const v = w[day * 24 + hr] || 0;
        const level = v <= 0 || max <= 0 ? 0 : Math.min(5, 1 + Math.floor(4.999 * v / max));
        grid.appendChild(h('span', {class: 'hm-cell hm-' + level, title: d + ' ' + hr + ':00 UTC: ' + v}));
      }
    });
    return grid;
  }

  function dimTable(id, values, withLabel) {
    return IDW.table([
      {title: 'value', cell: (v) => h('span', {class: 'mono', title: v.value},
        v.value.length > 24 ? v.value.slice(0, 12) + '…' : v.value)},
      withLabel ? {title: 'label', cell: (v) => v.label || '—'} : null,
      {title: 'seen', cell: (v) => String(v.count)},
      {title: 'weight', cell: (v) => String(v.weight)},
      {title: 'last seen', cell: (v) => IDW.fmtTime(v.last_seen)},
      {title: 'trust', cell: (v) => (v.provisional ? h('span', {class: 'badge fact-provisional'}, 'provisional')
        : h('span', {class: 'badge fact-usual'}, 'usual'))},
    ].filter(Boolean), values || [], {cls: 'dim dim-' + id});
  }

  async function timeline(user, hours, box) {
    IDW.clear(box).appendChild(h('p', {class: 'muted'}, 'Loading…'));
    delete box.dataset.hours; // set again once these hours are shown
    try {
      const r = await IDW.api.get('/people/' + enc(user) + '/timeline?hours=' + hours);
      IDW.clear(box).appendChild(eventsTable(r.events));
      box.dataset.hours = String(hours);
    } catch (e) {
      IDW.clear(box).appendChild(IDW.notice(e.message));
    }
  }

  IDW.pages.person = async function person(user, root) {
    const p = await IDW.api.get('/people/' + enc(user));
    const ps = p.persona || {};
    const dims = ps.dimensions || {};
    const c = ps.counters || {};
    const tlBox = h('div', {id: 'person-timeline'});
    const tlButtons = [[24, 'last 24 h'], [168, 'last 7 days']].map(([n, l]) => h('button', {type: 'button',
      id: 'tl-' + n, class: n === 24 ? '' : 'secondary', onclick: (ev) => {
        tlButtons.forEach((b) => b.classList.add('secondary'));
        ev.target.classList.remove('secondary');
        timeline(p.user, n, tlBox);
      }}, l));
    const places = (p.places || []).map((pl) => ({lat: pl.lat, lon: pl.lon, weight: pl.weight,
      label: [pl.city, pl.country].filter(Boolean).join(', ')}));
    IDW.append(root, [
      h('h1', {}, ps.display_name || p.user, ' ', h('span', {class: 'muted'}, p.user),
        ' ', h('span', {class: 'badge learning-' + ((ps.learning || {}).state || '')}, (ps.learning || {}).state || '')),
      h('div', {class: 'cols'},
        IDW.section('Persona', IDW.facts([['login', p.user], ['Okta id', ps.okta_id], ['tuid', p.tuid],
          ['org', p.domain_id], ['events', String(ps.events)], ['first seen', IDW.fmtTime(ps.first_seen)],
          ['last seen', IDW.fmtTime(ps.last_seen)],
          ['sign-ins', (c.signin_ok || 0) + ' ok, ' + (c.signin_fail || 0) + ' failed'],
          ['MFA pushes', (c.push_sent || 0) + ' sent, ' + (c.push_denied || 0) + ' denied'],
          ['changed by others', String(c.changed_by_others || 0)], ['admin actions', String(c.admin_actions || 0)],
          ['last location', ps.last_fix ? [ps.last_fix.city, ps.last_fix.country, ps.last_fix.ip].filter(Boolean).join(', ')
            : null]])),
        IDW.section('Usual places', IDW.map(places, {title: 'usual places'}))),
      IDW.section('Hours (UTC)', heatmap(ps.hours)),
      IDW.section('Open alerts', alertsTable(p.open_alerts),
        h('p', {}, h('a', {href: '#/queue' + IDW.qs({view: 'alerts', user: p.user, status: 'any'}), id: 'all-alerts'},
          'All alerts about ' + p.user), ' · ',
        h('a', {href: '#/queue' + IDW.qs({view: 'alerts', actor: p.user, status: 'any'})}, 'All alerts on their actions'))),
      h('div', {class: 'cols'},
        IDW.section('Countries', dimTable('countries', dims.countries, false)),
        IDW.section('Networks', dimTable('asns', dims.asns, true))),
      h('div', {class: 'cols'},
        IDW.section('Devices', dimTable('devices', dims.devices, true)),
        IDW.section('Apps', dimTable('apps', dims.apps, true))),
      IDW.section('Activity', h('div', {class: 'row'}, tlButtons), tlBox),
    ]);
    timeline(p.user, 24, tlBox);
  };
})();
