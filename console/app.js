/* idwatch console: sign-in, the header and the hash router.  Loaded last by
 * index.html.  The session is the HttpOnly idw_session cookie the server
 * sets; the CSRF token the sign-in answers with stays in memory (core.js) and
 * is asked for again (GET /api/v1/session) when the page is reloaded. */
'use strict';

(function () {
  const IDW = window.IDW;
  const h = IDW.h;
  let me = null; // {user, role, csrf_token} once signed in
  let flash = null;

  IDW.canReview = () => !!me && (me.role === 'analyst' || me.role === 'admin');

  function header() {
    const bar = IDW.clear(document.getElementById('top'));
    IDW.append(bar, [h('a', {href: '#/queue', class: 'brand'}, 'idwatch'),
      me ? h('nav', {}, h('a', {href: '#/queue?view=incidents'}, 'Incidents'), h('a', {href: '#/queue?view=alerts'}, 'Alerts'))
        : null,
      me ? h('span', {class: 'who', id: 'who'}, me.user + ' (' + me.role + ')') : null,
      me ? h('button', {type: 'button', id: 'logout', class: 'secondary', onclick: logout}, 'Sign out') : null]);
  }

  function loginPage(root, message) {
    const user = h('input', {type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: true});
    const pass = h('input', {type: 'password', id: 'password', name: 'password', autocomplete: 'current-password',
      required: true});
    const out = h('div', {id: 'login-out'}, message ? IDW.notice(message) : null);
    const form = h('form', {class: 'login card', id: 'login'}, h('h1', {}, 'Sign in'),
      h('label', {class: 'field'}, 'user', user), h('label', {class: 'field'}, 'password', pass),
      h('button', {type: 'submit', id: 'login-submit'}, 'Sign in'), out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const s = await IDW.api.post('/session', {username: user.value, password: pass.value});
        pass.value = '';
        signedIn(s);
        if (!location.hash || location.hash.startsWith('#/login')) location.hash = '#/queue';
        else render();
      } catch (e) {
        pass.value = '';
        IDW.clear(out).appendChild(IDW.notice(e.status === 429 ? 'Too many attempts: wait and retry.' : e.message));
      }
    });
    root.appendChild(form);
    user.focus();
  }

  function signedIn(s) {
    me = s;
    IDW.api.setCsrf(s && s.csrf_token);
    header();
  }

  async function logout() {
    try {
      await IDW.api.del('/session');
    } catch (e) {
      // signed out locally either way; the server forgets an unknown session
    }
    signedIn(null);
    location.hash = '#/login';
    render();
  }

  IDW.onUnauthorized = () => {
    if (!me) return;
    signedIn(null);
    render(IDW.notice('Your session ended: sign in again.'));
  };

  /* '#/alert/ID?x=1' -> {name: 'alert', arg: 'ID', params} */
  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const [path, query] = raw.split('?');
    const [name, ...rest] = path.split('/');
    return {name: name || 'queue', arg: rest.length ? decodeURIComponent(rest.join('/')) : '',
      params: new URLSearchParams(query || '')};
  }

  let seq = 0;
  async function render(notice) {
    if (notice !== undefined) flash = notice;
    const my = ++seq; // a slower earlier render must not overwrite a newer one
    const main = IDW.clear(document.getElementById('main'));
    if (flash) main.appendChild(flash);
    flash = null;
    const route = parseHash();
    if (!me) {
      loginPage(main, null);
      return;
    }
    const page = {queue: () => IDW.pages.queue(route.params, view), incident: () => IDW.pages.incident(route.arg, view),
      alert: () => IDW.pages.alert(route.arg, view), person: () => IDW.pages.person(route.arg, view)}[route.name];
    const view = h('div', {class: 'page page-' + route.name, id: 'page'});
    document.body.dataset.page = 'loading';
    try {
      if (!page) throw new Error('no page ' + route.name);
      await page();
      if (my !== seq) return;
      main.appendChild(view);
      document.title = 'idwatch — ' + route.name;
    } catch (e) {
      if (my !== seq || !me) return;
      main.appendChild(IDW.notice(e.message));
    }
    document.body.dataset.page = route.name; // tests wait for this: the page is complete
  }
  IDW.render = render;

  async function start() {
    try {
      signedIn(await IDW.api.get('/session'));
    } catch (e) {
      signedIn(null);
    }
    window.addEventListener('hashchange', () => render());
    render();
  }
  document.addEventListener('DOMContentLoaded', start);
})();
