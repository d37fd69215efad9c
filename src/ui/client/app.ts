// The live cluster view in the browser: reads nodes, services and tasks through the view's
// read-only window on the Engine API and draws them again whenever the event stream says
// something changed. Compiled by tsc with the rest, served as /app.js.
/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

const API = '/api/v1.41';

async function api(path: string): Promise<Doc[]> {
  const res = await fetch(`${API}${path}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.message ?? `${res.status}`);
  return body;
}

function el(tag: string, attrs: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Tasks the cluster still wants (desired running or a job's complete); replaced and removed ones are history. */
const current = (t: Doc): boolean => t.DesiredState === 'running' || t.DesiredState === 'ready' || t.DesiredState === 'complete';

function taskCard(t: Doc, serviceName: Map<string, string>): HTMLElement {
  const svc = serviceName.get(t.ServiceID) ?? t.ServiceID.slice(0, 12);
  const state: string = t.Status?.State ?? 'new';
  const slot = t.Slot ? `.${t.Slot}` : '';
  const image = String(t.Spec?.ContainerSpec?.Image ?? '').split('@')[0]!;
  return el(
    'div',
    { class: `task ${state}`, 'data-task': t.ID, 'data-service': svc, 'data-state': state, title: t.Status?.Err || t.Status?.Message || state },
    el('div', { class: 'svc' }, `${svc}${slot}`),
    el('div', { class: 'meta' }, `${state} · ${image}`),
  );
}

function nodeColumn(n: Doc, tasks: Doc[], serviceName: Map<string, string>): HTMLElement {
  const role: string = n.Spec?.Role ?? 'worker';
  const state: string = n.Status?.State ?? 'unknown';
  const availability: string = n.Spec?.Availability ?? 'active';
  const hostname: string = n.Description?.Hostname ?? n.ID;
  const leader = n.ManagerStatus?.Leader ? ' (leader)' : '';
  const badges = el('div', { class: 'badges' }, el('span', { class: `badge ${role}` }, `${role}${leader}`), el('span', { class: `badge ${state}` }, state), el('span', { class: `badge ${availability}` }, availability));
  const mine = tasks.filter((t) => t.NodeID === n.ID).sort((a, b) => (a.ServiceID + String(a.Slot)).localeCompare(b.ServiceID + String(b.Slot), undefined, { numeric: true }));
  return el(
    'section',
    { class: `node ${state}`, 'data-node': hostname, 'data-role': role, 'data-state': state, 'data-availability': availability },
    el('div', { class: 'head' }, el('div', { class: 'name' }, hostname), badges),
    el('div', { class: 'tasks' }, ...mine.map((t) => taskCard(t, serviceName))),
  );
}

let renders = 0;

async function refresh(): Promise<void> {
  const message = document.getElementById('message')!;
  try {
    const [nodes, tasks, services] = await Promise.all([api('/nodes'), api('/tasks'), api('/services')]);
    const serviceName = new Map(services.map((s) => [s.ID as string, s.Spec.Name as string]));
    const live = tasks.filter(current);
    nodes.sort((a, b) => (a.Spec.Role === b.Spec.Role ? String(a.Description?.Hostname).localeCompare(String(b.Description?.Hostname)) : a.Spec.Role === 'manager' ? -1 : 1));
    const columns = nodes.map((n) => nodeColumn(n, live, serviceName));
    const unassigned = live.filter((t) => !t.NodeID);
    if (unassigned.length) columns.push(nodeColumn({ ID: undefined, Spec: { Role: 'unassigned' }, Status: { State: 'pending' }, Description: { Hostname: 'not placed yet' } }, unassigned.map((t) => ({ ...t, NodeID: undefined })), serviceName));
    document.getElementById('nodes')!.replaceChildren(...columns);
    document.getElementById('status')!.textContent = `${nodes.length} nodes · ${services.length} services · ${live.length} tasks`;
    message.hidden = true;
  } catch (err) {
    message.hidden = false;
    message.textContent = `The cluster cannot be read here: ${(err as Error).message}`;
  }
  document.body.dataset.renders = String(++renders);
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** Draws again shortly: a burst of events (a service scaled) is one redraw. */
function schedule(): void {
  pending ??= setTimeout(() => {
    pending = undefined;
    void refresh();
  }, 100);
}

/** Follows GET /events (one JSON event a line) and reconnects when the stream ends. */
async function follow(): Promise<never> {
  const live = document.getElementById('live')!;
  for (;;) {
    try {
      const res = await fetch(`${API}/events`);
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      live.textContent = 'live';
      live.classList.add('on');
      schedule();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        buffered += decoder.decode(r.value, { stream: true });
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        if (lines.some((l) => l.trim())) schedule();
      }
    } catch {
      // the daemon went away or restarted: show it and try again
    }
    live.textContent = 'offline';
    live.classList.remove('on');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

void refresh();
void follow();
