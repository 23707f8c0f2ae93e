// The operator console (docs/portal.md "Operator console"). It signs in with
// the operator's own Admin API token (the one `duet admin` uses), kept in
// this tab's sessionStorage only and sent as "Authorization: Bearer" — no
// cookie, so no cross-site request can carry it. GET /admin/v1/me names the
// token's role; the menu shows the pages of that role, and the Admin API
// itself refuses every other page's calls (403): hiding is a convenience,
// the server is the check.
import '../../shared/ui.css';
import { call, el, table, when, say } from '../../shared/api.js';
import { monthlyChart } from '../../shared/charts.js';

let me = null;
const token = () => sessionStorage.getItem('duet_operator_token') || '';
const api = (method, path, body) => call(method, path, { body, headers: { Authorization: `Bearer ${token()}` } });
const main = () => document.getElementById('main');

// Page -> [title, roles that may use it, render]. The roles mirror the Admin
// API's (docs/operations-roles.md).
const OP = 'operator', AUD = 'auditor', SEC = 'security_officer';
const pages = {
  tenants: ['租户 Tenants', [OP, SEC], tenants],
  apps: ['应用 Apps', [OP, SEC], apps],
  packages: ['套餐 Packages', [OP, SEC], packages],
  maintenance: ['维护与通知 Maintenance', [OP, SEC], maintenance],
  sla: ['SLA 报告 Reports', [OP, SEC], sla],
  audit: ['审计日志 Audit log', [AUD, SEC], audit],
  operators: ['运营人员 Operators', [SEC], operators],
};

function nav() {
  const n = document.getElementById('nav');
  n.replaceChildren();
  if (!me) return;
  for (const [id, [title, roles]] of Object.entries(pages)) {
    if (roles.includes(me.role)) n.append(el('a', { href: `#/${id}` }, title));
  }
  n.append(el('span', {}, `${me.name} (${me.role}) `), el('button', { type: 'button', onclick: signOut }, '退出 Sign out'));
}

// The page the address asks for now (the first of the role's pages by default).
function currentPage() {
  const first = Object.keys(pages).find((p) => pages[p][1].includes(me.role));
  const id = location.hash.replace(/^#\//, '').split('?')[0] || first;
  return pages[id] || pages[first];
}

function show(title, ...content) {
  // A page's render awaits the API; if the user moved on meanwhile, a slow
  // render of the page left behind must not replace the page asked for now.
  if (me && currentPage()[0] !== title) return;
  main().replaceChildren(el('h2', {}, title), ...content);
  main().focus();
}

async function route() {
  say('');
  if (!me) {
    if (!token()) return signIn();
    try { me = await api('GET', '/admin/v1/me'); } catch { sessionStorage.removeItem('duet_operator_token'); return signIn(); }
    nav();
  }
  const [title, roles, render] = currentPage();
  try {
    await render(title, roles);
  } catch (e) {
    if (e.status === 401) { me = null; sessionStorage.removeItem('duet_operator_token'); nav(); return signIn(); }
    if (e.status === 403) {
      show(title, el('p', { class: 'error', role: 'alert', id: 'forbidden' }, '无权访问此页面 Your role may not open this page (403 forbidden).'));
      return;
    }
    say(`${e.message} (${e.code || e.status})`, 'error');
  }
}

function signIn() {
  const err = el('p', { class: 'error', role: 'alert' });
  const f = el('form', { id: 'signin' },
    el('label', { for: 'token' }, '运营令牌 Operator token (adm_…)'),
    el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true }),
    el('p', {}, el('button', { type: 'submit' }, '登录 Sign in')), err);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('duet_operator_token', f.token.value.trim());
    f.token.value = '';
    try {
      me = await api('GET', '/admin/v1/me');
      nav();
      location.hash = '';
      route();
    } catch {
      sessionStorage.removeItem('duet_operator_token');
      err.textContent = '令牌无效 The token was not accepted';
    }
  });
  show('登录 Sign in', f);
}

function signOut() {
  sessionStorage.removeItem('duet_operator_token');
  me = null;
  nav();
  signIn();
}

async function tenants(title) {
  const r = await api('GET', '/admin/v1/tenants');
  const rows = r.tenants.map((t) => [t.tenant_id, t.name, t.suspended ? '已暂停 suspended' : '正常 active',
    when(t.production_active_from),
    el('button', { type: 'button', class: 'secondary', onclick: async () => {
      await api('POST', `/admin/v1/tenants/${encodeURIComponent(t.tenant_id)}/${t.suspended ? 'resume' : 'suspend'}`);
      route();
    } }, t.suspended ? '恢复 Resume' : '暂停 Suspend')]);
  const f = el('form', { id: 'new-tenant' }, el('label', { for: 'tn' }, '新租户名称 New tenant name'),
    el('input', { id: 'tn', name: 'name', required: true }), el('p', {}, el('button', { type: 'submit' }, '创建 Create')));
  f.addEventListener('submit', async (ev) => { ev.preventDefault(); await api('POST', '/admin/v1/tenants', { name: f.name.value }); route(); });
  show(title, table(['租户 tenant', '名称 name', '状态 state', '生产启用 production from', ''], rows), f);
}

async function tenantPicker(onpick) {
  const r = await api('GET', '/admin/v1/tenants');
  const s = el('select', { id: 'tenant' }, r.tenants.map((t) => el('option', { value: t.tenant_id }, `${t.name} (${t.tenant_id})`)));
  s.value = sessionStorage.getItem('tenant') || (r.tenants[0] && r.tenants[0].tenant_id) || '';
  s.addEventListener('change', () => { sessionStorage.setItem('tenant', s.value); onpick(); });
  return [el('label', { for: 'tenant' }, '租户 Tenant'), s, s.value];
}

async function apps(title) {
  const [label, sel, tenant] = await tenantPicker(route);
  const r = tenant ? await api('GET', `/admin/v1/tenants/${encodeURIComponent(tenant)}/apps`) : { apps: [] };
  show(title, label, sel, table(['应用 app', '环境 environment', '身份核验 identity', '创建 created'],
    r.apps.map((a) => [a.app_id, a.environment, a.identity_mode ?? '—', when(a.created_at)])));
}

async function packages(title) {
  const [label, sel, tenant] = await tenantPicker(route);
  const r = tenant ? await api('GET', `/admin/v1/tenants/${encodeURIComponent(tenant)}/packages`) : { packages: [] };
  show(title, label, sel, table(['套餐 package', '类型 kind', '剩余 left', '到期 expires', '来源 source'],
    r.packages.map((p) => [p.package_id, p.kind, p.remaining ?? '∞', when(p.expires_at), p.source])));
}

async function maintenance(title) {
  const r = await api('GET', '/admin/v1/maintenance-windows');
  const f = el('form', { id: 'new-window' },
    el('label', { for: 'mw-start' }, '开始 Starts (UTC)'), el('input', { id: 'mw-start', type: 'datetime-local', required: true }),
    el('label', { for: 'mw-end' }, '结束 Ends (UTC)'), el('input', { id: 'mw-end', type: 'datetime-local', required: true }),
    el('label', { for: 'mw-desc' }, '说明（租户可见）Description (tenants see it)'), el('input', { id: 'mw-desc', required: true }),
    el('p', {}, el('button', { type: 'submit' }, '公告 Announce')));
  const secs = (v) => Math.floor(Date.parse(`${v}:00Z`) / 1000);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await api('POST', '/admin/v1/maintenance-windows', { starts_at: secs(f['mw-start'].value), ends_at: secs(f['mw-end'].value), description: f['mw-desc'].value });
    route();
  });
  show(title, table(['窗口 window', '开始 starts', '结束 ends', '说明 description', '计入豁免 excluded'],
    (r.windows || []).map((w) => [w.window_id, when(w.starts_at), when(w.ends_at), w.description, w.excluded ? '✓' : '—'])), f);
}

async function sla(title) {
  const d = new Date();
  const months = [];
  for (let i = 5; i >= 0; i--) months.push(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1)).toISOString().slice(0, 7));
  const reports = await Promise.all(months.map((m) => api('GET', `/admin/v1/sla/report?month=${m}`).catch(() => null)));
  const credits = await api('GET', '/admin/v1/sla/credits');
  const charts = el('section', { 'aria-label': '图表 Charts' });
  const rows = credits.credits.map((c) => [c.credit_id, c.tenant_id, c.month, c.kind, c.amount, c.state,
    c.state === 'proposed' ? el('button', { type: 'button', onclick: async () => {
      await api('POST', `/admin/v1/sla/credits/${encodeURIComponent(c.credit_id)}/approve`);
      say(`已批准 Approved ${c.credit_id}`, 'ok');
      route();
    } }, '批准 Approve') : (c.approved_by ?? '—')]);
  // Claims filed by tenants (Business API or portal): verified (核查) and
  // approved here; approving grants the month's proposed credits.
  const claims = await api('GET', '/admin/v1/sla/claims').catch(() => ({ claims: [] }));
  const claimRows = claims.claims.map((c) => [c.claim_id, c.tenant_id, c.month, c.statement || '—', c.state,
    c.state === 'filed' ? el('button', { type: 'button', onclick: async () => {
      try {
        const v = await api('POST', `/admin/v1/sla/claims/${encodeURIComponent(c.claim_id)}/approve`, {});
        await route();
        say(`已批准申请 Approved claim ${c.claim_id}: ${v.credits.map((x) => `${x.amount} ${x.kind}`).join(', ')}`, 'ok');
      } catch (e) { say(`${e.message} (${e.code || e.status})`, 'error'); }
    } }, `批准申请 Approve claim ${c.month}`) : (c.decided_by ?? '—')]);
  show(title, charts, el('h3', {}, '补偿申请 Claims'),
    table(['申请 claim', '租户 tenant', '月份 month', '说明 statement', '状态 state', ''], claimRows),
    el('h3', {}, '补偿 Compensation credits'),
    table(['补偿 credit', '租户 tenant', '月份 month', '类型 kind', '数量 amount', '状态 state', ''], rows));
  monthlyChart(charts, reports.map((r, i) => ({ month: months[i], pct: r && r.overall ? r.overall.availability_pct : null }))
    .filter((m) => m.pct !== null));
}

async function audit(title) {
  const r = await api('GET', '/admin/v1/audit/events?limit=100');
  const out = el('p', { id: 'verify-out', role: 'status' });
  const verify = el('button', { type: 'button', onclick: async () => {
    out.textContent = '…';
    try {
      const v = await api('GET', '/admin/v1/audit/verify');
      out.className = v.ok ? 'ok' : 'error';
      out.textContent = v.ok ? `链完整 Chain intact: ${v.events} events, ${v.checkpoints} signed checkpoints` : `损坏 Damaged at seq ${v.first_bad_seq}: ${v.damage} — ${v.detail}`;
    } catch (e) { out.className = 'error'; out.textContent = e.message; }
  } }, '校验审计链 Verify the chain');
  show(title, verify, out, table(['序号 seq', '时间 at', '操作者 actor', '动作 action', '租户 tenant', '结果 outcome'],
    r.events.map((e) => [e.seq, when(e.at), `${e.actor_type}:${e.actor_id}`, e.action, e.tenant_id || '—', e.outcome])));
}

async function operators(title) {
  const r = await api('GET', '/admin/v1/operators');
  const out = el('div', { 'aria-live': 'polite' });
  const f = el('form', { id: 'new-operator' },
    el('label', { for: 'op-name' }, '名称 Name'), el('input', { id: 'op-name', required: true }),
    el('label', { for: 'op-role' }, '角色 Role'),
    el('select', { id: 'op-role' }, [OP, AUD, SEC].map((x) => el('option', { value: x }, x))),
    el('p', {}, el('button', { type: 'submit' }, '签发令牌 Issue a token')));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = await api('POST', '/admin/v1/operators', { name: f['op-name'].value, role: f['op-role'].value });
    out.replaceChildren(el('p', {}, '令牌只显示这一次 The token is shown only now:'), el('p', { class: 'secret' }, t.token));
  });
  show(title, table(['名称 name', '角色 role', '创建 created', '吊销 revoked'],
    r.operators.map((o) => [o.name, o.role, when(o.created_at), when(o.revoked_at)])), f, out);
}

window.addEventListener('hashchange', route);
route();
