// The portal's account pages (docs/portal.md "Account care"): the own
// password, sessions and TOTP; the tenant's users with disable / enable /
// password reset for a tenant admin; and the reset form a person opens with
// the one-time token an admin gave them. Every form control has a label and
// everything works from the keyboard.
import { call, el, table, when, say } from '../../shared/api.js';

const errText = (e) => `${e.message} (${e.code || e.status})`;

function field(id, label, attrs = {}) {
  return [el('label', { for: id }, label), el('input', { id, name: id, ...attrs })];
}

function passwordForm(api, changed) {
  const msg = el('p', { id: 'pw-msg', role: 'status' });
  const f = el('form', { id: 'password-form', 'aria-labelledby': 'pw-title' },
    el('h3', { id: 'pw-title' }, '修改密码 Change password'),
    ...field('pw-current', '当前密码 Current password', { type: 'password', autocomplete: 'current-password', required: true }),
    ...field('pw-new', '新密码 New password (12+)', { type: 'password', autocomplete: 'new-password', required: true, minlength: '12' }),
    el('p', {}, el('button', { type: 'submit' }, '修改密码 Change password')), msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('PUT', '/portal/v1/password', { current_password: f['pw-current'].value, new_password: f['pw-new'].value });
      f.reset();
      await changed();  // the other sessions are gone: show the list as it is now
      msg.className = 'ok';
      msg.textContent = '密码已修改，其他会话已退出 Password changed; your other sessions are signed out';
    } catch (e) {
      msg.className = 'error';
      msg.textContent = e.status === 403 ? '当前密码错误 The current password is wrong' : errText(e);
    }
  });
  return f;
}

async function sessionsSection(api, rerender, signedOut) {
  const r = await api('GET', '/portal/v1/sessions');
  const rows = r.sessions.map((s) => [s.user_agent || '—', when(s.created_at), when(s.last_seen_at),
    s.current ? '本会话 this session'
      : el('button', { type: 'button', class: 'secondary', 'aria-label': `退出会话 Sign out session ${s.session_id}`,
        onclick: async () => { await api('DELETE', `/portal/v1/sessions/${encodeURIComponent(s.session_id)}`); rerender(); } },
      '退出 Sign out')]);
  return [el('h3', {}, '会话 Sessions'),
    table(['设备 device', '登录 signed in', '最近 last seen', ''], rows),
    el('p', {}, el('button', { type: 'button', id: 'signout-everywhere', onclick: async () => {
      if (!confirm('在所有设备上退出（包括本设备）？ Sign out everywhere, this browser included?')) return;
      await api('DELETE', '/portal/v1/sessions');
      signedOut();
    } }, '全部退出 Sign out everywhere'))];
}

function totpSection(api, me, rerender) {
  const box = el('div', { id: 'totp-box' });
  const reauth = (prefix, codeLabel) => [
    ...field(`${prefix}-password`, '当前密码 Current password', { type: 'password', autocomplete: 'current-password', required: true }),
    ...field(`${prefix}-code`, codeLabel, { inputmode: 'numeric', autocomplete: 'one-time-code', required: true })];
  const enrol = async () => {
    const t = await api('POST', '/portal/v1/totp');
    const f = el('form', { id: 'totp-enrol' },
      el('p', {}, '在验证器中添加此密钥 Add this secret to your authenticator:'),
      el('p', { class: 'secret' }, t.secret), el('p', { class: 'muted' }, t.otpauth_uri),
      ...field('totp-code', '新密钥的口令 Code from the new secret', { inputmode: 'numeric', autocomplete: 'one-time-code', required: true }),
      ...(me.user.totp_enabled ? reauth('totp-old', '旧密钥的当前口令 Current code of the old secret') : []),
      el('button', { type: 'submit' }, '启用 Enable'));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { secret: t.secret, code: f['totp-code'].value };
      if (me.user.totp_enabled) { body.password = f['totp-old-password'].value; body.current_code = f['totp-old-code'].value; }
      try {
        await api('POST', '/portal/v1/totp/confirm', body);
        me.user.totp_enabled = true;
        rerender();
        say('已启用 TOTP enabled', 'ok');
      } catch (e) { say(e.status === 403 ? '密码或口令错误 Password or code is wrong' : errText(e), 'error'); }
    });
    box.replaceChildren(f);
    f['totp-code'].focus();
  };
  const parts = [el('h3', {}, '动态口令 TOTP'),
    el('p', {}, me.user.totp_enabled ? '已启用 Enabled' : '未启用 Not enabled'),
    el('button', { type: 'button', id: 'totp-enrol-button', onclick: enrol },
      me.user.totp_enabled ? '更换密钥 Replace secret' : '启用动态口令 Enable TOTP')];
  if (me.user.totp_enabled) {
    const f = el('form', { id: 'totp-disable' }, el('h4', {}, '停用 Disable TOTP'),
      ...reauth('totp-off', '当前口令 Current code'), el('button', { type: 'submit', class: 'secondary' }, '停用 Disable'));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('DELETE', '/portal/v1/totp', { password: f['totp-off-password'].value, code: f['totp-off-code'].value });
        me.user.totp_enabled = false;
        rerender();
        say('已停用 TOTP disabled', 'ok');
      } catch (e) { say(e.status === 403 ? '密码或口令错误 Password or code is wrong' : errText(e), 'error'); }
    });
    parts.push(f);
  }
  parts.push(box);
  return parts;
}

export async function accountPage(title, { api, me, show, rerender, signedOut }) {
  const box = el('div', { id: 'sessions-box' });
  const refresh = async () => box.replaceChildren(...await sessionsSection(api, rerender, signedOut));
  await refresh();
  show(title, el('p', {}, `${me.user.login} (${me.user.role})`), passwordForm(api, refresh), box,
    ...totpSection(api, me, rerender));
}

export async function usersPage(title, { api, me, show, rerender }) {
  const users = await api('GET', '/portal/v1/users');
  const out = el('div', { id: 'reset-out', 'aria-live': 'polite' });
  const isAdmin = me.user.role === 'admin';
  const actions = (u) => {
    if (!isAdmin || u.user_id === me.user.user_id) return '—';
    const post = async (what) => {
      try {
        return await api('POST', `/portal/v1/users/${encodeURIComponent(u.user_id)}/${what}`);
      } catch (e) { say(errText(e), 'error'); return undefined; }
    };
    return el('span', {},
      el('button', { type: 'button', class: 'secondary', 'aria-label': `${u.disabled ? '启用 Enable' : '停用 Disable'} ${u.login}`,
        onclick: async () => {
          if (!u.disabled && !confirm(`停用 ${u.login}？其所有会话立即退出。Disable ${u.login}? All their sessions end now.`)) return;
          if ((await post(u.disabled ? 'enable' : 'disable')) !== undefined) rerender();
        } }, u.disabled ? '启用 Enable' : '停用 Disable'), ' ',
      el('button', { type: 'button', class: 'secondary', 'aria-label': `重置密码 Reset password of ${u.login}`,
        onclick: async () => {
          const t = await post('password-reset');
          if (!t) return;
          out.replaceChildren(el('p', {}, `${u.login} 的一次性重置令牌，只显示这一次，24小时内有效 One-time reset token, shown only now, valid 24 hours:`),
            el('p', { class: 'secret' }, t.reset_token),
            el('p', { class: 'muted' }, `${location.origin}/portal/#/reset`));
        } }, '重置密码 Reset password'));
  };
  const content = [table(['登录名 login', '角色 role', 'TOTP', '状态 status', '创建 created', '操作 actions'],
    users.users.map((u) => [u.login, u.role, u.totp_enabled ? '✓' : '—', u.disabled ? '已停用 disabled' : '正常 active',
      when(u.created_at), actions(u)])), out];
  if (isAdmin) {
    const f = el('form', { id: 'new-user' }, el('h3', {}, '创建用户 New user'),
      ...field('nu-login', '登录名 Login', { required: true }),
      ...field('nu-password', '初始密码 Initial password (12+)', { type: 'password', autocomplete: 'new-password', required: true }),
      el('label', { for: 'nu-role' }, '角色 Role'),
      el('select', { id: 'nu-role', name: 'role' }, el('option', { value: 'member' }, 'member'), el('option', { value: 'admin' }, 'admin')),
      el('p', {}, el('button', { type: 'submit' }, '创建用户 Create user')));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', '/portal/v1/users', { login: f['nu-login'].value, password: f['nu-password'].value, role: f.role.value });
        rerender();
      } catch (e) { say(errText(e), 'error'); }
    });
    content.push(f);
  }
  show(title, ...content);
}

// The reset form: no session; the token from the admin or operator.
export function resetPage(show, done) {
  const msg = el('p', { id: 'reset-msg', role: 'alert' });
  const f = el('form', { id: 'reset-form' },
    ...field('reset-token', '重置令牌 Reset token', { required: true, autocomplete: 'off' }),
    ...field('reset-password', '新密码 New password (12+)', { type: 'password', autocomplete: 'new-password', required: true, minlength: '12' }),
    el('p', {}, el('button', { type: 'submit' }, '设置密码 Set password')), msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await call('POST', '/portal/v1/password-reset', { body: { reset_token: f['reset-token'].value.trim(), new_password: f['reset-password'].value } });
      f.reset();
      done();
      say('密码已设置，请登录 Password set: sign in', 'ok');
    } catch (e) {
      msg.className = 'error';
      msg.textContent = e.status === 401 ? '令牌无效、已使用或已过期 The token is invalid, used or expired' : errText(e);
    }
  });
  show('重置密码 Reset password', f);
}
