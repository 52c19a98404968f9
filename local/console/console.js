// The sandbox console's page: reads the sandbox's admin API (/sandbox/...) and the gateway's
// routes (/gateway/...) through the console server, renders what changed, and acts on clicks.
'use strict';

const POLL_MS = 1500;
const $ = (id) => document.getElementById(id);
const shown = {};
let selected;

function say(text, isError) {
  const status = $('status');
  status.textContent = text;
  status.className = isError ? 'status error' : 'status';
}

async function call(path, method, body) {
  const response = await fetch(path, {
    method: method || 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const message = (data && data.error && (data.error.message || data.error.code)) || text;
    throw new Error(`${response.status}: ${message}`);
  }
  return data;
}

function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'text') node.textContent = value;
    else if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value);
  }
  for (const child of children || []) node.append(child);
  return node;
}

/** Replaces a container's content only when its data changed, so focus and reading stay put. */
function render(id, data, build) {
  const key = JSON.stringify(data);
  if (shown[id] === key) return;
  shown[id] = key;
  const container = $(id);
  const focused = document.activeElement && document.activeElement.id;
  container.replaceChildren(...build(data));
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

const short = (id) => String(id).slice(0, 8);
/** Microsoft's side: a referral Microsoft made, or the one made for Microsoft (target msft). */
const isMicrosoft = (r) =>
  r.organizationId === 'msft' ||
  (r.target || []).some((t) => t.type === 'BusinessProfileLocation' && t.id === 'msft');

function act(referral, action, body, label) {
  return async () => {
    try {
      const reason = $('reason').value;
      const sent = body && 'reason' in body ? { ...body, reason } : body || {};
      await call(`/sandbox/referrals/${referral.id}/${action}`, 'POST', sent);
      say(`${label}: referral ${short(referral.id)} as Microsoft.`);
      await refresh();
    } catch (error) {
      say(`${label} failed: ${error.message}`, true);
    }
  };
}

function referralRow(referral) {
  const who = isMicrosoft(referral) ? "Microsoft's" : "Partner's";
  const name = `${who} referral ${short(referral.id)}`;
  const button = (action, text, body, secondary) =>
    el('button', {
      type: 'button',
      id: `${action}-${referral.id}${body && body.outcome ? `-${body.outcome}` : ''}`,
      class: secondary ? 'secondary' : '',
      'aria-label': `${text}: ${name}`,
      text,
      onclick: act(referral, action, body, text),
    });
  return el('tr', { 'data-referral': referral.id }, [
    el('th', { scope: 'row', class: isMicrosoft(referral) ? 'microsoft' : '', text: name }),
    el('td', { text: referral.direction || '' }),
    el('td', { text: referral.type || '' }),
    el('td', { class: 'state', text: `${referral.status}/${referral.substatus || 'None'}` }),
    el('td', {}, [
      el('button', {
        type: 'button',
        class: 'secondary',
        id: `details-${referral.id}`,
        'aria-label': `Details: ${name}`,
        text: 'Details',
        onclick: () => {
          selected = referral.id;
          refreshDetails();
        },
      }),
      button('accept', 'Accept'),
      button('decline', 'Decline', { reason: '' }, true),
      button('close', 'Close won', { outcome: 'Won' }, true),
      button('close', 'Close lost', { outcome: 'Lost', reason: '' }, true),
    ]),
  ]);
}

function engagements(referrals) {
  if (referrals.length === 0) return [el('p', { text: 'The sandbox holds no referrals yet.' })];
  const groups = new Map();
  for (const referral of referrals) {
    const list = groups.get(referral.engagementId) || [];
    list.push(referral);
    groups.set(referral.engagementId, list);
  }
  return [...groups.entries()].map(([engagementId, list]) =>
    el('table', { 'data-engagement': engagementId }, [
      el('caption', { text: `Engagement ${engagementId}` }),
      el('thead', {}, [
        el('tr', {}, [
          el('th', { scope: 'col', text: 'Referral' }),
          el('th', { scope: 'col', text: 'Direction' }),
          el('th', { scope: 'col', text: 'Type' }),
          el('th', { scope: 'col', text: 'Status/substatus' }),
          el('th', { scope: 'col', text: 'Act as Microsoft' }),
        ]),
      ]),
      el('tbody', {}, list.map(referralRow)),
      el('tfoot', {}, [
        el('tr', {}, [
          el('td', { colspan: '5' }, [
            el('button', {
              type: 'button',
              class: 'secondary',
              id: `add-microsoft-${engagementId}`,
              'aria-label': `Add Microsoft's referral to engagement ${engagementId}`,
              text: "Add Microsoft's referral",
              onclick: async () => {
                try {
                  await call('/sandbox/incoming', 'POST', { engagementId });
                  say(`Microsoft added a referral to engagement ${short(engagementId)}.`);
                  await refresh();
                } catch (error) {
                  say(`Adding failed: ${error.message}`, true);
                }
              },
            }),
          ]),
        ]),
      ]),
    ]),
  );
}

function table(caption, columns, rows) {
  return el('table', {}, [
    el('caption', { text: caption }),
    el('thead', {}, [
      el(
        'tr',
        {},
        columns.map((c) => el('th', { scope: 'col', text: c })),
      ),
    ]),
    el(
      'tbody',
      {},
      rows.map((cells) =>
        el(
          'tr',
          {},
          cells.map((c) => el('td', { text: String(c) })),
        ),
      ),
    ),
  ]);
}

async function refreshDetails() {
  if (!selected) return;
  try {
    const data = await call(`/sandbox/referrals/${selected}`);
    render('details', data, (d) => [
      el('h3', { text: `Referral ${d.referral.id}` }),
      table(
        'History',
        ['When', 'Change', 'By', 'Status/substatus'],
        d.history.map((h) => [h.at, h.change, h.by, `${h.status}/${h.substatus || 'None'}`]),
      ),
      table(
        'Events sent to the registered webhook',
        ['Event', 'Delivery', 'Attempts', 'Last answer'],
        d.events.map((e) => [
          e.event,
          e.state,
          e.attempts,
          e.lastStatus === null ? '' : e.lastStatus,
        ]),
      ),
      el('pre', { tabindex: '0', 'aria-label': 'The referral as the sandbox holds it' }, [
        JSON.stringify(d.referral, null, 2),
      ]),
    ]);
  } catch (error) {
    say(`Reading the referral failed: ${error.message}`, true);
  }
}

async function refreshGateway() {
  const [running, failed, subscriptions] = await Promise.all([
    call('/gateway/operations?state=running').catch(() => ({ value: [] })),
    call('/gateway/operations?state=failed').catch(() => ({ value: [] })),
    call('/gateway/subscriptions').catch(() => ({ value: [] })),
  ]);
  render('operations', [running.value, failed.value], ([r, f]) => [
    table(
      'In flight and failed',
      ['Operation', 'State', 'Step', 'Error', 'Age (min)'],
      [...r, ...f].map((o) => [
        o.operationId,
        o.state,
        o.step || '',
        o.error ? `${o.error.code}: ${o.error.message}` : '',
        o.ageMinutes,
      ]),
    ),
  ]);
  render('subscriptions', subscriptions.value, (list) => [
    table(
      'Subscriptions',
      ['Subscription', 'Events', 'Last delivery', 'Last failure'],
      list.map((s) => {
        const last = (s.deliveries || [])[0];
        return [
          s.id,
          s.events.join(', '),
          last ? `${last.state} (${last.attempts} attempts)` : 'none yet',
          last && last.lastFailure ? last.lastFailure : '',
        ];
      }),
    ),
  ]);
}

async function refresh() {
  try {
    const [referrals, faults] = await Promise.all([
      call('/sandbox/referrals'),
      call('/sandbox/faults'),
    ]);
    render('engagements', referrals.value, engagements);
    render('faults', faults.value, (list) =>
      list.length === 0
        ? [el('li', { text: 'None: the sandbox answers normally.' })]
        : list.map((f) =>
            el('li', {
              text: `${f.fault.kind === 'status' ? `HTTP ${f.fault.status}` : f.fault.kind} on ${f.method || 'any'} requests, ${f.times} more${f.until ? ` until ${new Date(f.until).toLocaleTimeString()}` : ''}`,
            }),
          ),
    );
    await Promise.all([refreshGateway(), refreshDetails()]);
  } catch (error) {
    say(`The console cannot reach the sandbox: ${error.message}`, true);
  }
}

function faultRule(form) {
  const kind = form.kind.value;
  const seconds = Number(form.seconds.value) || 0;
  const forSeconds = Number(form.forSeconds.value) || 0;
  const fault =
    kind === 'throttle'
      ? { kind: 'status', status: 429, retryAfterSeconds: seconds }
      : kind === 'outage'
        ? { kind: 'status', status: 503, retryAfterSeconds: seconds }
        : kind === 'slow'
          ? { kind: 'delay', ms: seconds * 1000 }
          : { kind: 'drop' };
  return {
    fault,
    times: forSeconds > 0 ? 1000000 : Number(form.times.value) || 1,
    ...(forSeconds > 0 ? { forMs: forSeconds * 1000 } : {}),
    ...(kind === 'drop'
      ? { method: 'POST', when: 'after' }
      : form.method.value
        ? { method: form.method.value }
        : {}),
  };
}

$('fault-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await call('/sandbox/faults', 'POST', faultRule(event.target));
    say('The fault is on.');
    await refresh();
  } catch (error) {
    say(`Turning the fault on failed: ${error.message}`, true);
  }
});

$('fault-clear').addEventListener('click', async () => {
  try {
    await call('/sandbox/faults', 'DELETE');
    say('All faults cleared.');
    await refresh();
  } catch (error) {
    say(`Clearing failed: ${error.message}`, true);
  }
});

$('send-incoming').addEventListener('click', async () => {
  try {
    await call('/sandbox/incoming', 'POST', {});
    say('Microsoft sent a new incoming referral.');
    await refresh();
  } catch (error) {
    say(`Sending failed: ${error.message}`, true);
  }
});

refresh();
setInterval(refresh, POLL_MS);
