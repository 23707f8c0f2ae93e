// The tenant portal (docs/portal.md): sign-in, then the tenant's own data
// from /portal/v1. The session is an HttpOnly cookie this code never sees;
// the CSRF token from the sign-in (or GET /portal/v1/me) goes in
// X-CSRF-Token on every request that changes something.
import '../../shared/ui.css';
import { call, el, table, when, say } from '../../shared/api.js';
import { usageChart, availabilityChart, latencyChart, monthlyChart } from '../../shared/charts.js';
import { accountPage, usersPage, resetPage } from './account.js';

let csrf = '';
let me = null;
const main = () => document.getElementById('main');

const api = (method, path, body) =>
  call(method, path, { body, headers: method === 'GET' ? {} : { 'X-CSRF-Token': csrf } });

const pages = {
  overview: ['概览 Overview', overview],
  apps: ['应用与凭据 Apps', apps],
  holders: ['签署人 Holders', holders],
  orders: ['签署单 Orders', orders],
  sla: ['服务水平 SLA', sla],
  notices: ['通知 Notices', notices],
  integration: ['接入指引 Integration', integration],
  faq: ['常见问题 FAQ', faq],
  account: ['我的账号 Account', (title) => accountPage(title, pageContext())],
  users: ['用户 Users', (title) => usersPage(title, pageContext())],
};

// What the account pages need from here.
const pageContext = () => ({
  api, me, show, rerender: route,
  signedOut: () => { me = null; csrf = ''; nav(); signIn(); },
});

function nav() {
  const n = document.getElementById('nav');
  n.replaceChildren();
  if (!me) return;
  for (const [id, [title]] of Object.entries(pages)) n.append(el('a', { href: `#/${id}` }, title));
  n.append(el('button', { type: 'button', onclick: signOut }, '退出 Sign out'));
}

// The page the address asks for now.
function currentPage() {
  const id = (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
  return pages[id] || pages.overview;
}

function show(title, ...content) {
  // A page's render awaits the API; if the user moved on meanwhile, a slow
  // render of the page left behind must not replace the page asked for now.
  if (me && currentPage()[0] !== title) return;
  const m = main();
  m.replaceChildren(el('h2', {}, title), ...content);
  m.focus();
}

async function route() {
  say('');
  if (!me && location.hash === '#/reset') {
    return resetPage(show, () => { location.hash = '#/overview'; });
  }
  if (!me) {
    try {
      const r = await call('GET', '/portal/v1/me');
      me = r; csrf = r.csrf_token;
    } catch { return signIn(); }
    nav();
  }
  const [title, render] = currentPage();
  try {
    await render(title);
  } catch (e) {
    if (e.status === 401) { me = null; nav(); return signIn(); }
    say(`${e.message} (${e.code || e.status}${e.requestId ? ', ' + e.requestId : ''})`, 'error');
  }
}

function signIn() {
  const err = el('p', { id: 'signin-error', class: 'error', role: 'alert' });
  const form = el('form', { id: 'signin', 'aria-describedby': 'signin-error' },
    el('label', { for: 'login' }, '登录名 Login (e-mail)'),
    el('input', { id: 'login', name: 'login', type: 'text', autocomplete: 'username', required: true }),
    el('label', { for: 'password' }, '密码 Password'),
    el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    el('label', { for: 'totp' }, '动态口令 TOTP code (if enabled)'),
    el('input', { id: 'totp', name: 'totp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code' }),
    el('p', {}, el('button', { type: 'submit' }, '登录 Sign in')), err,
    el('p', {}, el('a', { href: '#/reset' }, '有重置令牌？设置新密码 Have a reset token? Set a new password')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      const r = await call('POST', '/portal/v1/sessions', { body: {
        login: form.login.value, password: form.password.value, totp_code: form.totp.value || undefined } });
      csrf = r.csrf_token;
      form.password.value = '';
      me = await call('GET', '/portal/v1/me');
      nav();
      location.hash = '#/overview';
      route();
    } catch (e) {
      err.textContent = e.status === 423 ? '登录已锁定，请15分钟后再试 Locked after too many failed sign-ins: try again in 15 minutes'
        : '登录失败 Sign-in failed: login, password or code is wrong';
    }
  });
  show('登录 Sign in', form);
}

async function signOut() {
  try { await api('DELETE', '/portal/v1/sessions/current'); } catch { /* signed out anyway */ }
  me = null; csrf = '';
  nav();
  signIn();
}

async function overview(title) {
  const [usage, pk] = await Promise.all([api('GET', '/portal/v1/usage'), api('GET', '/portal/v1/packages')]);
  const charts = el('section', { id: 'charts', 'aria-label': '图表 Charts' });
  show(title, el('p', {}, `${me.tenant.name} (${me.tenant.tenant_id})`, me.tenant.suspended ? ' — 已暂停 suspended' : ''),
    charts, el('h3', {}, '服务套餐 Packages'),
    table(['套餐 package', '类型 kind', '剩余 left', '到期 expires'], pk.packages.map((p) =>
      [p.package_id, p.kind, p.remaining ?? '∞', when(p.expires_at)])));
  usageChart(charts, usage.days);
  availabilityChart(charts, usage.days, usage.targets.availability_pct);
  latencyChart(charts, usage.days, usage.targets.avg_ms, usage.targets.max_ms);
}

async function apps(title) {
  const r = await api('GET', '/portal/v1/apps');
  const out = el('div', { id: 'secret-out', 'aria-live': 'polite' });
  const rows = r.apps.map((a) => [a.app_id, a.environment, when(a.created_at),
    me.user.role === 'admin'
      ? el('button', { type: 'button', class: 'secondary', onclick: async () => {
        if (!confirm(`轮换 ${a.app_id} 的密钥？旧密钥立即失效。Rotate the secret? The old one stops working at once.`)) return;
        const c = await api('POST', `/portal/v1/apps/${encodeURIComponent(a.app_id)}/rotate-secret`);
        out.replaceChildren(el('p', {}, '新密钥只显示这一次 The new secret is shown only now:'),
          el('p', { class: 'secret' }, c.secret));
      } }, '轮换密钥 Rotate')
      : '—']);
  show(title, table(['应用 app', '环境 environment', '创建 created', ''], rows), out);
}

function envPicker(onchange) {
  const s = el('select', { id: 'env' }, el('option', { value: 'production' }, '生产 production'),
    el('option', { value: 'sandbox' }, '公测 sandbox'));
  s.value = sessionStorage.getItem('env') || 'production';
  s.addEventListener('change', () => { sessionStorage.setItem('env', s.value); onchange(); });
  return [el('label', { for: 'env' }, '环境 Environment'), s];
}

async function holders(title) {
  const env = sessionStorage.getItem('env') || 'production';
  const r = await api('GET', `/portal/v1/holders?environment=${env}`);
  show(title, ...envPicker(route), table(['签署人 holder', '姓名 name', '证件 ID', '手机 phone', '状态 status'],
    r.holders.map((h) => [h.holder_id, h.name_masked ?? h.name, h.id_number_masked ?? '—', h.phone_masked ?? '—', h.status])));
}

async function orders(title) {
  const env = sessionStorage.getItem('env') || 'production';
  const r = await api('GET', `/portal/v1/orders?environment=${env}`);
  show(title, ...envPicker(route), table(['签署单 order', '标题 title', '状态 state', '创建 created', '下载 download'],
    r.orders.map((o) => [o.order_id, o.title, o.state, when(o.created_at),
      el('a', { href: `/portal/v1/orders/${encodeURIComponent(o.order_id)}?download=1`, download: `${o.order_id}.json` }, 'JSON')])));
}

function lastMonths(n) {
  const out = [];
  const d = new Date();
  for (let i = 0; i < n; i++) {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1));
    out.push(m.toISOString().slice(0, 7));
  }
  return out;
}

// A claim (赔偿申请) is filed per ended month (docs/sla.md "Claims"):
// POST /portal/v1/sla/claims, the Business API's claim with the signed-in
// tenant admin as the filer; an operator verifies and approves it, which
// grants the month's credits.
function claimForm(months, claimed, msg) {
  const open = months.filter((m) => !claimed.has(m));
  if (me.user.role !== 'admin') return el('p', { class: 'muted' }, '仅租户管理员可申请补偿 Only a tenant admin files claims');
  if (!open.length) return el('p', { class: 'muted' }, '没有可申请的已结束月份 No ended month left to claim');
  const f = el('form', { id: 'claim-form' },
    el('label', { for: 'claim-month' }, '月份 Month'),
    el('select', { id: 'claim-month', name: 'month' }, ...open.map((m) => el('option', { value: m }, m))),
    el('label', { for: 'claim-statement' }, '说明 Statement (optional)'),
    el('textarea', { id: 'claim-statement', name: 'statement', rows: '3', maxlength: '2000' }),
    el('p', {}, el('button', { type: 'submit' }, '申请补偿 Claim')));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const c = await api('POST', '/portal/v1/sla/claims', { month: f.month.value, statement: f.statement.value });
      await route();  // the claims table shows it; the message goes into the new page
      const m = document.getElementById('claim-msg');
      m.textContent = `已申请 Claimed ${c.month} (${c.claim_id}): 运营方核查后批准 an operator verifies and approves it`;
      m.className = 'ok';
    } catch (e) {
      msg.textContent = e.status === 409 ? `${e.message} (409)` : e.message;
      msg.className = 'error';
    }
  });
  return f;
}

// A percentage cut (never rounded up past a promise) to three decimals.
const pct = (v) => (v === null || v === undefined ? '—' : String(Math.floor(v * 1000) / 1000));

const claimState = { filed: '已申请 filed', approved: '已批准 approved', refused: '已拒绝 refused' };

async function sla(title) {
  const months = lastMonths(6);
  const [reports, claims] = await Promise.all([
    Promise.all(months.map((m) => api('GET', `/portal/v1/sla?month=${m}`).catch(() => null))),
    api('GET', '/portal/v1/sla/claims').catch(() => ({ claims: [] }))]);
  const rows = [];
  const bars = [];
  const credits = [];
  const ended = [];
  reports.forEach((r, i) => {
    if (!r || !r.tenant) return;
    const t = r.tenant;
    if (r.final) ended.push(months[i]);
    bars.unshift({ month: months[i], pct: t.availability_pct ?? null });
    rows.push([months[i], `${pct(t.availability_pct)} %`, `${t.avg_ms ?? '—'} ms`, `${t.max_ms ?? '—'} ms`,
      t.availability_met && t.avg_met && t.max_met ? '达标 met' : '未达标 missed', r.final ? '终 final' : '进行中 running']);
    for (const c of t.credits || []) credits.push(c);
  });
  const charts = el('section', { 'aria-label': '图表 Charts' });
  const msg = el('p', { id: 'claim-msg', role: 'status' });
  const claimed = new Set(claims.claims.map((c) => c.month));
  show(title, charts,
    table(['月份 month', '可用性 availability', '平均 mean', '最长 max', '承诺 promise', ''], rows),
    el('h3', {}, '补偿 Compensation credits'),
    table(['补偿 credit', '月份 month', '类型 kind', '数量 amount', '状态 state'], credits.map((c) => [
      c.credit_id, c.month, c.kind, c.amount, c.state === 'approved' ? '已批准 approved' : '待申请 proposed'])),
    el('h3', {}, '补偿申请 Claims'),
    table(['申请 claim', '月份 month', '状态 state', '申请时间 filed', '理由 reason'], claims.claims.map((c) => [
      c.claim_id, c.month, claimState[c.state] || c.state, when(c.filed_at), c.decision_reason ?? '—'])),
    claimForm(ended, claimed, msg), msg);
  monthlyChart(charts, bars.filter((b) => b.pct !== null));
}

async function notices(title) {
  const r = await api('GET', '/portal/v1/notices');
  show(title, table(['时间 when', '类型 kind', '套餐 package', '生效 effective'], r.notices.map((n) =>
    [when(n.created_at), n.kind, n.package_id ?? '—', when(n.effective_at)])));
}

// The guided integration: docs/integration.md's examples, as compiled into
// duetd, with this tenant's sandbox credential filled in.
async function integration(title) {
  const [g, a] = await Promise.all([call('GET', '/portal/v1/guide'), api('GET', '/portal/v1/apps')]);
  const sandbox = a.apps.find((x) => x.environment === 'sandbox');
  const parts = [];
  const re = /^##? (.*)$|^```(\w*)\n([\s\S]*?)^```$/gm;
  let m;
  let n = 0;
  while ((m = re.exec(g.markdown)) !== null) {
    if (m[1]) { parts.push(el('h3', {}, m[1])); continue; }
    let code = m[3];
    if (sandbox) code = code.replace('app_sbx_...', sandbox.app_id);
    code = code.replace('https://duet.example', location.origin);
    const id = `code-${n++}`;
    parts.push(el('pre', { id, tabindex: '0' }, code),
      el('button', { type: 'button', class: 'secondary', 'aria-controls': id,
        onclick: () => navigator.clipboard.writeText(code).then(() => say('已复制 Copied', 'ok')) }, '复制 Copy'));
  }
  show(title, el('p', {}, '从公测凭据到第一个可验证的签名 From sandbox credentials to the first verified signature; ',
    'C++ SDK: include/duet_client.h; Business API: docs/api/openapi.yaml.'), ...parts);
}

async function faq(title) {
  const q = el('input', { id: 'faq-q', type: 'search', name: 'q' });
  const list = el('div', { id: 'faq-list', 'aria-live': 'polite' });
  const search = async () => {
    const r = await call('GET', `/portal/v1/faq?q=${encodeURIComponent(q.value)}`);
    list.replaceChildren(...(r.entries.length ? r.entries.map((e) =>
      el('details', {}, el('summary', {}, e.title), el('pre', {}, e.body_markdown))) : [el('p', {}, '没有结果 No results')]));
  };
  const form = el('form', { role: 'search' }, el('label', { for: 'faq-q' }, '搜索 Search'), q,
    el('button', { type: 'submit' }, '搜索 Search'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  show(title, form, list);
  await search();
}

window.addEventListener('hashchange', route);
route();
